// §2.1 of the tutorial, live: the "7" and the edge kernel as editable grids, the feature map conv2d computes from
// them, one window at a time taken apart into its products and their sum, and the output-size formula for P and S.
import { fmt, sumLine, term } from "../src/explain/format.js";
import { ExplainInputError } from "../src/explain/matrix.js";
import type { ConvResult, ConvWindow, OutputSize } from "../src/explain/types.js";
import { el, tr, type LabContext, type Texts } from "./context.js";
import { checkNotes, tutorialNotes } from "./theory-checks.js";
import { tutorialInput, type TheoryInput, type TheoryResult } from "./theory-compute.js";
import { CellGrid, figure, InputGrid, intControl, op, pick, say, trm, type IntControl } from "./theory-dom.js";

/** The conv section: the page's editor (every number the chain starts from) and the convolution it computes. */
export interface ConvSection {
  element: HTMLElement;
  /** The learner's numbers, or null while any of them is not a valid number (the bad ones are marked). */
  read(): TheoryInput | null;
  render(result: TheoryResult): void;
  /** Why nothing new is shown: a cell that is not a number, or input the library cannot explain; null when fine. */
  problem(problem: "invalid" | ExplainInputError | null): void;
}

/** Which window the learner looks at, by its position (i, j) in the feature map. */
interface Selection {
  i: number;
  j: number;
}

const CONV_CHECKS = [
  "conv.window00",
  "conv.products00",
  "conv.sum00",
  "conv.window11",
  "conv.products11",
  "conv.sum11",
  "conv.featureMap",
];

const TEXT = {
  hint: {
    en: "Hover over a cell of S (or click it and use the arrow keys) to see the window of the image it comes from.",
    vi: "Rê chuột lên một ô của S (hoặc bấm vào ô rồi dùng các phím mũi tên) để xem vùng ảnh tạo ra nó.",
  },
  invalid: {
    en: "A marked cell is not a number (write e.g. 1, -1 or 0.5). Everything below still shows the last valid numbers.",
    vi: "Ô được đánh dấu không phải là số (hãy viết ví dụ 1, -1 hoặc 0.5). Mọi kết quả bên dưới vẫn là của bộ số hợp lệ gần nhất.",
  },
  cannot: {
    en: "convlab cannot compute this convolution (everything below still shows the last numbers that worked):",
    vi: "convlab không tính được phép tích chập này (mọi kết quả bên dưới vẫn là của bộ số hợp lệ gần nhất):",
  },
  products: {
    en: "Multiply each cell of the window by the matching cell of K:",
    vi: "Nhân từng phần tử với bộ lọc K:",
  },
  previous: { en: "◀ Previous window", vi: "◀ Vùng trước" },
  next: { en: "Next window ▶", vi: "Vùng tiếp theo ▶" },
} satisfies Record<string, Texts>;

/** A button with a text in both languages. */
export function button(ctx: LabContext, testid: string, texts: Texts, onClick: () => void): HTMLButtonElement {
  const b = el("button", { testid, type: "button", class: "th-button" }, tr(ctx, texts));
  b.addEventListener("click", onClick);
  return b;
}

/** The formula of the tutorial (P = 0, S = 1), or its general form over the padded image. */
function convFormula(conv: ConvResult): string {
  return conv.stride === 1 && conv.padding === 0
    ? "S(i, j) = Σₘ Σₙ I(i + m, j + n) · K(m, n)"
    : `S(i, j) = Σₘ Σₙ I_padded(i·${conv.stride} + m, j·${conv.stride} + n) · K(m, n)`;
}

/** The cells of the padded image that no window covers: what the floor in ⌊(H − F + 2P)/S⌋ drops. */
function uncovered(conv: ConvResult): (row: number, col: number) => boolean {
  const [kh, kw] = [conv.kernel.length, conv.kernel[0].length];
  const rows = new Set(conv.windows.flatMap((w) => Array.from({ length: kh }, (_, m) => w.row + m)));
  const cols = new Set(conv.windows.flatMap((w) => Array.from({ length: kw }, (_, n) => w.col + n)));
  return (row, col) => !rows.has(row) || !cols.has(col);
}

/** The windows the tutorial works out step by step (§2.1 "Bước 1" and "Bước 2"), with the checks of each. */
const WORKED: Record<string, string[]> = {
  "0,0": ["conv.window00", "conv.products00", "conv.sum00"],
  "1,1": ["conv.window11", "conv.products11", "conv.sum11"],
};

/** On the tutorial's numbers, whether the tutorial got the selected window right, if it works it out at all. */
function workedNote(ctx: LabContext, w: ConvWindow): string | null {
  const ids = WORKED[`${w.i},${w.j}`];
  if (ids === undefined) return null;
  const wrong = ids.filter((id) => tutorialNotes().get(id)?.check.agrees === false);
  if (wrong.length === 0) {
    return pick(ctx, {
      en: "✓ The tutorial works this window out in §2.1 and gets it right (see the checks below).",
      vi: "✓ Bài tính vùng này ở §2.1 và tính đúng (xem phần kiểm tra bên dưới).",
    });
  }
  const list = wrong.map((id) => say(ctx).check[id]).join(pick(ctx, { en: " and ", vi: " và " }));
  return pick(ctx, {
    en: `⚠ The tutorial works this window out in §2.1, but prints ${list} wrong (see the checks below).`,
    vi: `⚠ Bài tính vùng này ở §2.1, nhưng in sai ${list} (xem phần kiểm tra bên dưới).`,
  });
}

/** The window being explained: its cells ⊙ K = its products, each product written out, and their sum. */
function windowDetail(ctx: LabContext, step: (by: number) => void) {
  const title = el("h4", { testid: "theory-window-title" });
  // The window and K are drawn in ink, as their editable originals above; the products in blue and red.
  const [win, kernel, products] = [
    new CellGrid({ class: "small ink", "data-matrix": "window" }),
    new CellGrid({ class: "small ink", "data-matrix": "kernel" }),
    new CellGrid({ class: "small", "data-matrix": "products" }),
  ];
  const terms = el("code", { testid: "theory-terms" });
  const sum = el("p", { class: "th-line", testid: "theory-sum" });
  const position = el("span", { class: "th-position", testid: "theory-position" });
  const note = el("p", { class: "th-window-note", testid: "theory-window-note" });
  const element = el(
    "div",
    { class: "th-window th-result", testid: "theory-window" },
    title,
    el(
      "div",
      { class: "th-row" },
      figure(trm(ctx, "labelWindow"), win.element),
      op("⊙"),
      figure("K", kernel.element),
      op("="),
      figure(trm(ctx, "labelProducts"), products.element),
    ),
    el("p", { class: "th-line" }, tr(ctx, TEXT.products), " ", terms),
    sum,
    note,
    el(
      "div",
      { class: "th-steps" },
      button(ctx, "theory-prev", TEXT.previous, () => step(-1)),
      position,
      button(ctx, "theory-next", TEXT.next, () => step(1)),
    ),
  );
  const show = (conv: ConvResult, w: ConvWindow, tutorial: boolean) => {
    const m = say(ctx);
    const worked = tutorial ? workedNote(ctx, w) : null;
    note.hidden = worked === null;
    note.textContent = worked ?? "";
    const [kh, kw] = [conv.kernel.length, conv.kernel[0].length];
    const where = conv.padding > 0 ? pick(ctx, { en: " of the padded image", vi: " của ảnh đã đệm" }) : "";
    title.textContent = m.window(w.i, w.j, w.row, w.col, kh, kw) + where;
    win.show(w.window);
    kernel.show(conv.kernel);
    products.show(w.products);
    const k = conv.kernel.flat();
    terms.textContent = `${w.window
      .flat()
      .map((v, n) => `${term(v)}·${term(k[n])}`)
      .join(" + ")} = ${fmt(w.sum)}`;
    sum.textContent = m.windowSum(w.i, w.j, sumLine(w.products.flat(), w.sum));
    const index = conv.windows.indexOf(w) + 1;
    const n = conv.windows.length;
    position.textContent = pick(ctx, { en: `window ${index} of ${n}`, vi: `vùng ${index} / ${n}` });
  };
  return { element, show };
}

/** "⌊(5 − 3 + 2·0)/1⌋ + 1 = 3" for one side, with the value in its own element for the learner's eye (and tests). */
function sizeLine(name: string, s: OutputSize): HTMLElement {
  return el(
    "div",
    {},
    `${name} = ⌊(H − F + 2P)/S⌋ + 1 = ⌊(${s.size} − ${s.kernel} + 2·${s.padding})/${s.stride}⌋ + 1 = `,
    el("b", { testid: "theory-size-value" }, String(s.floored)),
  );
}

/** Padding and stride: the output-size formula filled in with the current H, F, P and S. */
function sizeBlock(ctx: LabContext) {
  const lines = el("div", { class: "th-formula", testid: "theory-size" });
  const unfloored = el("p", { class: "th-aside" });
  const floorNote = el("p", { class: "th-aside" }, trm(ctx, "paddingFloor"));
  const edge = el("p", { class: "th-aside" });
  const checks = checkNotes(ctx, ["padding.outputSize"], "theory-size-checks", false);
  const element = el(
    "div",
    { class: "th-sub" },
    el("h4", {}, trm(ctx, "paddingTitle")),
    el("p", {}, trm(ctx, "paddingIntro")),
    lines,
    unfloored,
    floorNote,
    edge,
    checks,
  );
  const show = (result: TheoryResult) => {
    const { height, width } = result.sizes;
    const square = height.size === width.size && height.kernel === width.kernel;
    lines.replaceChildren(
      ...(square ? [sizeLine("H_out = W_out", height)] : [sizeLine("H_out", height), sizeLine("W_out", width)]),
    );
    // The tutorial's formula has no floor; say where that matters, with its own unfloored value.
    const exact = Number.isInteger(height.unfloored) && Number.isInteger(width.unfloored);
    const s = Number.isInteger(height.unfloored) ? width : height;
    unfloored.textContent = exact
      ? ""
      : say(ctx).sizeLine(s.size, s.kernel, s.padding, s.stride, s.unfloored, s.floored);
    unfloored.hidden = exact;
    floorNote.hidden = exact;
    const { conv } = result;
    const last = conv.windows[conv.windows.length - 1];
    const unused = conv.padded.length - (last.row + conv.kernel.length);
    edge.hidden = unused <= 0;
    edge.textContent = unused > 0 ? say(ctx).unusedEdge(unused) : "";
    checks.hidden = !result.tutorial;
  };
  return { element, show };
}

/** The box that says why the results did not change: a cell that is not a number, or the library's refusal. */
function problemBox(ctx: LabContext) {
  const invalid = el("p", { testid: "theory-invalid", hidden: true }, tr(ctx, TEXT.invalid));
  const message = el("q", { lang: "en" });
  const error = el("p", { testid: "theory-error", hidden: true }, tr(ctx, TEXT.cannot), " ", message);
  const element = el("div", { class: "th-problem", role: "status", hidden: true }, invalid, error);
  const show = (problem: "invalid" | ExplainInputError | null) => {
    element.hidden = problem === null;
    invalid.hidden = problem !== "invalid";
    error.hidden = !(problem instanceof ExplainInputError);
    if (problem instanceof ExplainInputError) message.textContent = problem.message;
  };
  return { element, show };
}

/** Hover, focus and the arrow keys over the feature map all choose the window to explain. */
function listenToOutput(grid: CellGrid, select: (s: Selection, focus?: boolean) => void, current: () => Selection) {
  const at = (target: EventTarget | null): Selection | null => {
    const cell = target instanceof HTMLElement ? target.closest<HTMLElement>("[data-i]") : null;
    return cell === null ? null : { i: Number(cell.dataset.i), j: Number(cell.dataset.j) };
  };
  for (const type of ["mouseover", "focusin"] as const) {
    grid.element.addEventListener(type, (event) => {
      const s = at(event.target);
      if (s !== null) select(s);
    });
  }
  const moves: Record<string, [number, number]> = {
    ArrowUp: [-1, 0],
    ArrowDown: [1, 0],
    ArrowLeft: [0, -1],
    ArrowRight: [0, 1],
  };
  grid.element.addEventListener("keydown", (event) => {
    const move = moves[event.key];
    if (move === undefined) return;
    event.preventDefault();
    const c = current();
    select({ i: c.i + move[0], j: c.j + move[1] }, true);
  });
}

/** The four integer controls, each with its range: the image and kernel sizes, P and S. */
function controlsOf(ctx: LabContext, onInput: () => void) {
  const t = tutorialInput();
  const control = (label: Texts, testid: string, min: number, max: number, value: number): IntControl =>
    intControl(ctx, label, { testid, min, max, value }, onInput);
  return {
    imageSize: control(
      { en: "Image size H = W", vi: "Kích thước ảnh H = W" },
      "theory-image-size",
      1,
      8,
      t.image.length,
    ),
    kernelSize: control(
      { en: "Kernel size F", vi: "Kích thước bộ lọc F" },
      "theory-kernel-size",
      1,
      5,
      t.kernel.length,
    ),
    padding: control({ en: "Padding P", vi: "Padding P" }, "theory-padding", 0, 3, t.padding),
    stride: control({ en: "Stride S", vi: "Stride S" }, "theory-stride", 1, 4, t.stride),
  };
}

/**
 * Builds the conv section. `onInput` runs on every edit; the caller reads, computes and renders, so that one place
 * decides what a bad number does to the whole page.
 */
export function convSection(ctx: LabContext, onInput: () => void): ConvSection {
  const t = tutorialInput();
  const controls = controlsOf(ctx, onInput);
  const image = new InputGrid({ testid: "theory-image" }, "I", t.image, onInput);
  const kernel = new InputGrid({ testid: "theory-kernel" }, "K", t.kernel, onInput);
  const output = new CellGrid({ testid: "theory-output", class: "th-result" });
  const [formula, intro, imageLabel, outputLabel] = [el("p", { class: "th-formula" }), el("p"), el("span"), el("span")];
  const size = sizeBlock(ctx);
  const problem = problemBox(ctx);
  const checks = checkNotes(ctx, CONV_CHECKS, "theory-conv-checks");
  let selected: Selection = { i: 0, j: 0 };
  let last: ConvResult | null = null;
  let tutorial = true;

  /** Highlights window `selected` everywhere: its frame on the image, its cell of S, its products. */
  const show = (conv: ConvResult) => {
    const w = conv.windows.find((x) => x.i === selected.i && x.j === selected.j) ?? conv.windows[0];
    selected = { i: w.i, j: w.j };
    const rect = { row: w.row, col: w.col, height: conv.kernel.length, width: conv.kernel[0].length };
    const inside = (r: number, c: number) =>
      r >= w.row && r < w.row + rect.height && c >= w.col && c < w.col + rect.width;
    const isUncovered = uncovered(conv);
    image.mark((r, c) => [inside(r, c) && "in-window", isUncovered(r, c) && "uncovered"]);
    image.frame(rect);
    output.show(conv.featureMap, (i, j) => [i === w.i && j === w.j && "selected"]);
    output.frame({ row: w.i, col: w.j, height: 1, width: 1 });
    // One tab stop for the whole map (the selected cell); the arrow keys move within it.
    for (const x of conv.windows) output.cell(x.i, x.j)?.setAttribute("tabindex", x === w ? "0" : "-1");
    detail.show(conv, w, tutorial);
  };
  const select = (next: Selection, focus = false) => {
    if (last === null) return;
    const [rows, cols] = [last.featureMap.length, last.featureMap[0].length];
    const clamped = { i: Math.min(Math.max(next.i, 0), rows - 1), j: Math.min(Math.max(next.j, 0), cols - 1) };
    if (clamped.i !== selected.i || clamped.j !== selected.j) {
      selected = clamped;
      show(last);
    }
    if (focus) output.cell(selected.i, selected.j)?.focus();
  };
  const step = (by: number) => {
    if (last === null) return;
    const [n, cols] = [last.windows.length, last.featureMap[0].length];
    const k = (((selected.i * cols + selected.j + by) % n) + n) % n;
    select({ i: Math.floor(k / cols), j: k % cols });
  };
  const detail = windowDetail(ctx, step);
  listenToOutput(output, select, () => selected);

  const reset = (what: "image" | "kernel" | "all") => {
    if (what !== "kernel") {
      image.setValues(t.image);
      controls.imageSize.set(t.image.length);
    }
    if (what !== "image") {
      kernel.setValues(t.kernel);
      controls.kernelSize.set(t.kernel.length);
    }
    if (what === "all") {
      controls.padding.set(t.padding);
      controls.stride.set(t.stride);
    }
    onInput();
  };

  const element = el(
    "article",
    { class: "th-card", testid: "theory-conv" },
    el("h3", {}, trm(ctx, "convTitle")),
    formula,
    intro,
    el("div", { class: "th-controls" }, ...Object.values(controls).map((c) => c.element)),
    el(
      "div",
      { class: "th-controls" },
      button(ctx, "theory-reset-image", { en: "↺ Tutorial's image", vi: "↺ Ảnh của bài" }, () => reset("image")),
      button(ctx, "theory-reset-kernel", { en: "↺ Tutorial's kernel", vi: "↺ Bộ lọc của bài" }, () => reset("kernel")),
      button(ctx, "theory-reset", { en: "↺ All of the tutorial's numbers", vi: "↺ Toàn bộ số của bài" }, () =>
        reset("all"),
      ),
    ),
    problem.element,
    el(
      "div",
      { class: "th-row" },
      figure(imageLabel, image.element),
      op("∗"),
      figure("K", kernel.element),
      op("="),
      figure(outputLabel, output.element),
    ),
    el("p", { class: "th-hint" }, tr(ctx, TEXT.hint)),
    detail.element,
    size.element,
    checks,
  );

  return {
    element,
    read() {
      const [n, f] = [controls.imageSize.read(), controls.kernelSize.read()];
      const [padding, stride] = [controls.padding.read(), controls.stride.read()];
      // The grids follow a valid size or P at once, so the zeros of the padding appear as soon as P is typed.
      if (n !== null) image.resize(n, n);
      if (f !== null) kernel.resize(f, f);
      if (padding !== null) image.setPadding(padding);
      const [i, k] = [image.read(), kernel.read()];
      if (i === null || k === null || n === null || f === null || padding === null || stride === null) return null;
      return { image: i, kernel: k, padding, stride };
    },
    render(result) {
      const { conv } = result;
      last = conv;
      tutorial = result.tutorial;
      formula.textContent = convFormula(conv);
      intro.textContent = say(ctx).convIntro(
        conv.image.length,
        conv.image[0].length,
        `${conv.kernel.length}×${conv.kernel[0].length}`,
      );
      const p = conv.padding;
      imageLabel.textContent = p > 0 ? pick(ctx, { en: `I (padded, P = ${p})`, vi: `I (đã đệm, P = ${p})` }) : "I";
      outputLabel.textContent = `S (${conv.featureMap.length}×${conv.featureMap[0].length})`;
      checks.hidden = !result.tutorial;
      size.show(result);
      show(conv);
    },
    problem: problem.show,
  };
}
