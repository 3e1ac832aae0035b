// §2.2–2.4 of the tutorial, live: ReLU of the feature map, 2×2 max pooling of the result, and the fully connected
// layer y = Wx + b, each computed by the library from the step before (and the tutorial's own examples beside them).
import { TUTORIAL } from "../src/explain/examples.js";
import { fmt, span, term, vec } from "../src/explain/format.js";
import { ExplainInputError } from "../src/explain/matrix.js";
import { explainPool } from "../src/explain/pool.js";
import { explainRelu } from "../src/explain/relu.js";
import type { FcResult, PoolResult, PoolWindow, ReluResult } from "../src/explain/types.js";
import { el, tr, type LabContext, type Texts } from "./context.js";
import { checkNotes } from "./theory-checks.js";
import type { TheoryResult } from "./theory-compute.js";
import { CellGrid, figure, op, pick, say, trf, trm } from "./theory-dom.js";

const TEXT = {
  reluRule: {
    en: "A number greater than 0 is kept; a number less than or equal to 0 becomes 0.",
    vi: "Nếu số lớn hơn 0, giữ nguyên. Nếu số nhỏ hơn hoặc bằng 0, biến thành 0.",
  },
  winners: {
    en: "Green: the cell that won its window (on a tie the first in reading order wins, as in maxPool2d). Hover over a cell of P to see its window.",
    vi: "Ô màu xanh lá: số lớn nhất của vùng (nếu bằng nhau, ô đầu tiên theo thứ tự đọc được chọn, như maxPool2d). Rê chuột lên một ô của P để xem vùng của nó.",
  },
  dropped: {
    en: "Hatched cells fall in no 2×2 window: maxPool2d, like PyTorch, rounds ⌊(H − 2)/2⌋ + 1 down and drops a partial window at the edge.",
    vi: "Các ô gạch chéo không thuộc vùng 2×2 nào: maxPool2d, giống PyTorch, làm tròn xuống ⌊(H − 2)/2⌋ + 1 và bỏ vùng dở dang ở mép.",
  },
  single: {
    en: "So this feature map pools to a single number (1×1): that is what the library computes. The tutorial's own pooling example assumes a 4×4 map instead (below).",
    vi: "Vì vậy feature map này sau pooling chỉ còn một số (1×1): đó là kết quả thư viện tính được. Ví dụ pooling của bài thì giả sử một feature map 4×4 (bên dưới).",
  },
  noPool: { en: "No pooling here:", vi: "Không thực hiện được pooling:" },
  example: { en: "The tutorial's example (§2.3)", vi: "Ví dụ của bài (§2.3)" },
  fromChain: {
    en: "x is the pooled map above, flattened row by row: the chain runs all the way from the image to y.",
    vi: "x là feature map sau pooling ở trên, duỗi theo từng hàng: cả quy trình chạy liền một mạch từ ảnh đến y.",
  },
} satisfies Record<string, Texts>;

/** Why the fully connected step uses the tutorial's x rather than the chain's (`n` numbers, 0 without pooling). */
function tutorialX(n: number): Texts {
  const x = vec([...TUTORIAL.x]);
  const has = {
    en: n === 0 ? "There is no pooled map above" : `The pooled map above has ${n} number${n === 1 ? "" : "s"}`,
    vi: n === 0 ? "Ở trên không có feature map sau pooling" : `Feature map sau pooling ở trên có ${n} số`,
  };
  return {
    en:
      `${has.en}, but W needs 4, so this step uses the tutorial's own x = ${x} (its §2.3 example, flattened). ` +
      `With the tutorial's "7" and kernel, set P = 1: the map keeps its 5×5 size, pools to 2×2 = 4 numbers and ` +
      `flows straight into W.`,
    vi:
      `${has.vi}, nhưng W cần 4, nên bước này dùng x = ${x} của chính bài (ví dụ ở §2.3, đã duỗi). Với ảnh "7" ` +
      `và bộ lọc của bài, hãy đặt P = 1: feature map giữ kích thước 5×5, sau pooling còn 2×2 = 4 số và đi thẳng ` +
      `vào W.`,
  };
}

/** A part of the page that shows one step of the chain. */
export interface LayerSection {
  element: HTMLElement;
  render(result: TheoryResult): void;
}

/** S → ReLU(S), the cells ReLU set to 0 marked in both, and the sentence that lists them. */
class ReluView {
  readonly element: HTMLElement;
  #input = new CellGrid({ "data-matrix": "relu-input" });
  #output: CellGrid;
  #zeroed = el("p", { class: "th-line" });

  constructor(testid: string) {
    this.#output = new CellGrid({ testid, class: "th-result" });
    this.element = el(
      "div",
      {},
      el(
        "div",
        { class: "th-row" },
        figure("S", this.#input.element),
        op("→"),
        figure("ReLU(S)", this.#output.element),
      ),
      this.#zeroed,
    );
  }

  show(ctx: LabContext, relu: ReluResult): void {
    const zeroed = (i: number, j: number) => [relu.zeroed.some((z) => z.i === i && z.j === j) && "zeroed"];
    this.#input.show(relu.input, zeroed);
    this.#output.show(relu.output, zeroed);
    this.#zeroed.textContent = say(ctx).zeroed(relu.zeroed);
  }
}

/** ReLU of the chain's feature map, and the tutorial's example with negative values. */
export function reluSection(ctx: LabContext): LayerSection {
  const chain = new ReluView("theory-relu");
  const example = new ReluView("theory-relu-example");
  const negatives = explainRelu(TUTORIAL.negativeMap);
  ctx.lang.watch(() => example.show(ctx, negatives));
  const of = el("p");
  const checks = checkNotes(ctx, ["relu.featureMap", "pipeline.noNegatives"], "theory-relu-checks");
  const element = el(
    "article",
    { class: "th-card", testid: "theory-relu-section" },
    el("h3", {}, trm(ctx, "reluTitle")),
    el("p", { class: "th-formula" }, "ReLU(x) = max(0, x)"),
    el("p", {}, tr(ctx, TEXT.reluRule)),
    of,
    chain.element,
    checks,
    el(
      "div",
      { class: "th-sub" },
      el(
        "p",
        {},
        trf(ctx, (m) => m.reluOf(m.reluOfNegatives)),
      ),
      example.element,
      checkNotes(ctx, ["relu.negatives"], "theory-relu-example-checks"),
    ),
  );
  return {
    element,
    render(result) {
      const m = say(ctx);
      of.textContent = m.reluOf(result.tutorial ? m.reluOfFeatureMap : m.reluOfYourMap);
      chain.show(ctx, result.relu);
      checks.hidden = !result.tutorial;
    },
  };
}

/** The cell of each window that maxPool2d picks: the first largest in reading order, as its kernel breaks ties. */
function winnerOf(w: PoolWindow): { row: number; col: number } {
  const k = w.window.flat().indexOf(w.max);
  const width = w.window[0].length;
  return { row: w.row + Math.floor(k / width), col: w.col + (k % width) };
}

/** A map → its max pooling, each window's winner marked, and the window under the pointer framed and written out. */
class PoolView {
  readonly element: HTMLElement;
  #input = new CellGrid({ "data-matrix": "pool-input" });
  #output: CellGrid;
  #line = el("p", { class: "th-line" });
  #pool: PoolResult | null = null;
  #selected = 0;

  constructor(
    private readonly ctx: LabContext,
    testid: string,
    inputLabel: string,
  ) {
    this.#output = new CellGrid({ testid, class: "th-result" });
    this.element = el(
      "div",
      {},
      el(
        "div",
        { class: "th-row" },
        figure(inputLabel, this.#input.element),
        op("→"),
        figure("P", this.#output.element),
      ),
      this.#line,
    );
    for (const type of ["mouseover", "focusin"] as const) {
      this.#output.element.addEventListener(type, (event) => {
        const cell = event.target instanceof HTMLElement ? event.target.closest<HTMLElement>("[data-i]") : null;
        const pool = this.#pool;
        if (cell === null || pool === null) return;
        const k = pool.windows.findIndex((w) => w.i === Number(cell.dataset.i) && w.j === Number(cell.dataset.j));
        if (k >= 0 && k !== this.#selected) this.show(pool, k);
      });
    }
  }

  show(pool: PoolResult, selected = this.#selected): void {
    this.#pool = pool;
    this.#selected = selected < pool.windows.length ? selected : 0;
    const w = pool.windows[this.#selected];
    const winners = new Set(pool.windows.map(winnerOf).map(({ row, col }) => `${row},${col}`));
    const covered = (i: number, j: number) =>
      pool.windows.some((x) => i >= x.row && i < x.row + pool.size && j >= x.col && j < x.col + pool.size);
    this.#input.show(pool.input, (i, j) => [winners.has(`${i},${j}`) && "winner", !covered(i, j) && "dropped"]);
    this.#input.frame({ row: w.row, col: w.col, height: pool.size, width: pool.size });
    this.#output.show(pool.output, (i, j) => [i === w.i && j === w.j && "selected"]);
    this.#output.frame({ row: w.i, col: w.j, height: 1, width: 1 });
    for (const x of pool.windows) this.#output.cell(x.i, x.j)?.setAttribute("tabindex", x === w ? "0" : "-1");
    const values = w.window.flat().map(fmt).join(", ");
    this.#line.textContent = say(this.ctx).poolWindow(
      w.i,
      w.j,
      span(w.row, pool.size),
      span(w.col, pool.size),
      values,
      w.max,
    );
  }
}

/** Max pooling of ReLU(S), with what the floor drops, and the tutorial's own 4×4 example. */
export function poolSection(ctx: LabContext): LayerSection {
  const chain = new PoolView(ctx, "theory-pool", "ReLU(S)");
  const example = new PoolView(ctx, "theory-pool-example", "S");
  const tutorialPool = explainPool(TUTORIAL.poolMap);
  ctx.lang.watch(() => example.show(tutorialPool));
  const intro = el("p");
  const dropped = el("p", { class: "th-aside", testid: "theory-pool-dropped" }, tr(ctx, TEXT.dropped));
  const single = el("p", { class: "th-aside", testid: "theory-pool-single" }, tr(ctx, TEXT.single));
  const message = el("q", { lang: "en" });
  const error = el("p", { class: "th-problem", testid: "theory-pool-error" }, tr(ctx, TEXT.noPool), " ", message);
  const element = el(
    "article",
    { class: "th-card", testid: "theory-pool-section" },
    el("h3", {}, trm(ctx, "poolTitle")),
    el("p", { class: "th-formula" }, "P(i, j) = max(I(2i : 2i + 2, 2j : 2j + 2))"),
    intro,
    error,
    chain.element,
    el("p", { class: "th-hint" }, tr(ctx, TEXT.winners)),
    dropped,
    single,
    el(
      "div",
      { class: "th-sub" },
      el("h4", {}, tr(ctx, TEXT.example)),
      el("p", {}, trm(ctx, "poolAssumed")),
      el(
        "p",
        {},
        trf(ctx, (m) => m.poolIntro(2, 2, 4, 4, 2, 2)),
      ),
      example.element,
      checkNotes(ctx, ["pool.maxima", "pool.output"], "theory-pool-checks"),
    ),
  );
  return {
    element,
    render(result) {
      const { pool } = result;
      const failed = pool instanceof ExplainInputError;
      for (const part of [intro, chain.element, dropped, single]) part.hidden = failed;
      error.hidden = !failed;
      if (failed) {
        message.textContent = pool.message;
        return;
      }
      const [h, w] = [pool.input.length, pool.input[0].length];
      intro.textContent = say(ctx).poolIntro(pool.size, pool.stride, h, w, pool.output.length, pool.output[0].length);
      chain.show(pool);
      dropped.hidden = (h - pool.size) % pool.stride === 0 && (w - pool.size) % pool.stride === 0;
      single.hidden = pool.output.length * pool.output[0].length !== 1 || dropped.hidden;
    },
  };
}

/** y = Wx + b as matrices, then each output's dot product written out, and the decision. */
export function fcSection(ctx: LabContext): LayerSection {
  const grids = {
    weight: new CellGrid({ "data-matrix": "weight" }),
    x: new CellGrid({ "data-matrix": "x" }),
    bias: new CellGrid({ "data-matrix": "bias" }),
    y: new CellGrid({ testid: "theory-fc-y", class: "th-result" }),
  };
  const [intro, source, decision] = [el("p"), el("p", { class: "th-aside", testid: "theory-fc-source" }), el("p")];
  const lines = el("div", { testid: "theory-fc", class: "th-result" });
  const checks = checkNotes(ctx, ["fc.y0", "fc.y1Line", "fc.y", "fc.decision"], "theory-fc-checks");
  const element = el(
    "article",
    { class: "th-card", testid: "theory-fc-section" },
    el("h3", {}, trm(ctx, "fcTitle")),
    el("p", { class: "th-formula" }, "y = Wx + b,   yₒ = Σₖ W[o][k] · x[k] + b[o]"),
    intro,
    source,
    el(
      "div",
      { class: "th-row" },
      figure("W", grids.weight.element),
      op("·"),
      figure("x", grids.x.element),
      op("+"),
      figure("b", grids.bias.element),
      op("="),
      figure("y", grids.y.element),
    ),
    lines,
    decision,
    checks,
  );
  let last: FcResult | null = null;
  const show = (fc: FcResult, row: number) => {
    const inRow = (i: number) => [i === row && "in-row"];
    grids.weight.show(fc.weight, inRow);
    grids.x.show(fc.x.map((v) => [v]));
    grids.bias.show(
      fc.bias.map((v) => [v]),
      inRow,
    );
    grids.y.show(
      fc.y.map((v) => [v]),
      inRow,
    );
  };
  lines.addEventListener("mouseover", (event) => {
    const line = event.target instanceof HTMLElement ? event.target.closest<HTMLElement>("[data-o]") : null;
    if (line !== null && last !== null) show(last, Number(line.dataset.o));
  });
  lines.addEventListener("mouseleave", () => last !== null && show(last, -1));
  return {
    element,
    render(result) {
      const { fc } = result;
      const m = say(ctx);
      last = fc;
      intro.textContent = m.fcIntro(fc.x.length);
      const n = result.pool instanceof ExplainInputError ? 0 : result.pool.output.flat().length;
      source.textContent = pick(ctx, result.fcFromChain ? TEXT.fromChain : tutorialX(n));
      show(fc, -1);
      lines.replaceChildren(
        ...fc.y.map((y, o) => {
          const terms =
            fc.weight[o].map((w, k) => `${term(w)}·${term(fc.x[k])}`).join(" + ") + ` + ${term(fc.bias[o])}`;
          const products = [...fc.products[o], fc.bias[o]].map(term).join(" + ");
          return el("p", { class: "th-line", "data-o": o }, m.fcLine(o, terms, products, y));
        }),
      );
      decision.textContent = m.decision(
        fc.decision,
        fc.y[fc.decision],
        m.classes[fc.decision] ?? fc.classes[fc.decision],
      );
      checks.hidden = result.fcFromChain;
    },
  };
}
