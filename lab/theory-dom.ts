// The Theory part's building blocks: grids of numbers (shown or edited), a frame that slides over a grid like the
// kernel over the image, and the texts of src/explain/messages.ts in the page's language.
import { messages, type Messages } from "../src/explain/messages.js";
import type { Matrix, Rect } from "../src/explain/types.js";
import { el, tr, type Attributes, type LabContext, type Texts } from "./context.js";
import { cellText, parseNumber } from "./theory-compute.js";

/** The text of `texts` in the page's current language (for text rebuilt on every render, unlike {@link tr}). */
export function pick(ctx: LabContext, texts: Texts): string {
  return texts[ctx.lang.value];
}

/** `convlab explain`'s messages in the page's current language. */
export function say(ctx: LabContext): Messages {
  return messages(ctx.lang.value);
}

type TextKey = { [K in keyof Messages]: Messages[K] extends string ? K : never }[keyof Messages];

/** A fixed message of `convlab explain` as a node that follows the language switch. */
export function trm(ctx: LabContext, key: TextKey): Text {
  return tr(ctx, { en: messages("en")[key], vi: messages("vi")[key] });
}

/** A message of `convlab explain` built from its texts (`m => m.reluOf(m.reluOfNegatives)`), following the switch. */
export function trf(ctx: LabContext, text: (m: Messages) => string): Text {
  return tr(ctx, { en: text(messages("en")), vi: text(messages("vi")) });
}

/** Classes for a cell of a computed map, beyond its value's shading: the window, a zeroed or a winning cell. */
export type Marks = (i: number, j: number, value: number) => (string | false)[];

/**
 * Places the frame over `rect` of a grid whose cells are `--cell` wide with `--gap` between them (lab.css); hidden
 * when `rect` is null. A CSS transition makes it slide from window to window, as the kernel does.
 */
function placeFrame(frame: HTMLElement, rect: Rect | null): void {
  frame.hidden = rect === null;
  if (rect === null) return;
  frame.style.setProperty("--row", String(rect.row));
  frame.style.setProperty("--col", String(rect.col));
  frame.style.setProperty("--h", String(rect.height));
  frame.style.setProperty("--w", String(rect.width));
}

/** Shades a cell by its value relative to the grid's largest magnitude: blue for positive, red for negative. */
function shade(cell: HTMLElement, value: number, top: number): void {
  cell.style.setProperty("--shade", top > 0 ? (Math.abs(value) / top).toFixed(3) : "0");
  cell.classList.toggle("pos", value > 0);
  cell.classList.toggle("neg", value < 0);
  cell.classList.toggle("dark", top > 0 && value / top > 0.5);
}

/** Smaller type for long numbers ("-0.33"), so every cell keeps the grid's width and the frame stays aligned. */
function fit(cell: HTMLElement, text: string): void {
  cell.classList.toggle("long", text.length >= 4);
  cell.classList.toggle("xlong", text.length >= 6);
}

/**
 * A matrix shown as a grid of cells, each with `data-i`/`data-j` and its value as text ({@link cellText}). Cells
 * are kept while the shape stays, so hover and keyboard focus survive every recompute.
 */
export class CellGrid {
  readonly element: HTMLDivElement;
  #cells: HTMLElement[][] = [];
  #frame = el("div", { class: "th-frame", hidden: true });

  constructor(attributes: Attributes = {}) {
    this.element = el("div", { ...attributes, class: `th-grid ${attributes.class ?? ""}` });
  }

  /** Shows `m`; `marks` adds classes per cell. */
  show(m: Matrix, marks: Marks = () => []): void {
    const [rows, cols] = [m.length, m[0]?.length ?? 0];
    if (this.#cells.length !== rows || this.#cells[0]?.length !== cols) this.#build(rows, cols);
    const top = Math.max(0, ...m.flat().map(Math.abs));
    m.forEach((row, i) =>
      row.forEach((value, j) => {
        const cell = this.#cells[i][j];
        cell.className = ["th-cell", ...marks(i, j, value)].filter(Boolean).join(" ");
        cell.textContent = cellText(value);
        fit(cell, cell.textContent);
        shade(cell, value, top);
      }),
    );
  }

  #build(rows: number, cols: number): void {
    this.#cells = Array.from({ length: rows }, (_, i) =>
      Array.from({ length: cols }, (_, j) => el("span", { class: "th-cell", "data-i": i, "data-j": j })),
    );
    this.element.style.setProperty("--cols", String(cols));
    this.element.replaceChildren(...this.#cells.flat(), this.#frame);
  }

  cell(i: number, j: number): HTMLElement | undefined {
    return this.#cells[i]?.[j];
  }

  frame(rect: Rect | null): void {
    placeFrame(this.#frame, rect);
  }
}

/** One labelled matrix of a row like "I ∗ K = S": the label above the grid. */
export function figure(label: Node | string, grid: HTMLElement, attributes: Attributes = {}): HTMLElement {
  return el(
    "figure",
    { ...attributes, class: `th-figure ${attributes.class ?? ""}` },
    el("figcaption", {}, label),
    grid,
  );
}

/** An operator between matrices ("∗", "⊙", "=", "→"). */
export function op(symbol: string): HTMLElement {
  return el("span", { class: "th-op", "aria-hidden": "true" }, symbol);
}

/**
 * A matrix of number inputs (the image or the kernel), optionally drawn inside `padding` rings of fixed zeros, as
 * conv2d pads it. The inputs persist across resizes and re-padding, so a value being typed is never lost.
 */
export class InputGrid {
  readonly element: HTMLDivElement;
  #inputs: HTMLInputElement[][] = [];
  /** Every cell in padded coordinates: the inputs and the zeros around them. */
  #items: HTMLElement[][] = [];
  #padding = 0;
  #frame = el("div", { class: "th-frame", hidden: true });

  constructor(
    attributes: Attributes,
    /** The matrix's name in each input's label, "I(0, 2)". */
    private readonly name: string,
    values: Matrix,
    private readonly onInput: () => void,
  ) {
    this.element = el("div", { ...attributes, class: `th-grid th-inputs ${attributes.class ?? ""}` });
    this.setValues(values);
  }

  /** Replaces every value (and the shape, if it differs). */
  setValues(values: Matrix): void {
    this.resize(values.length, values[0].length);
    values.forEach((row, i) => row.forEach((v, j) => this.#write(this.#inputs[i][j], v)));
  }

  /** Resizes to rows×cols, keeping the top-left values; new cells start at 0. */
  resize(rows: number, cols: number): void {
    const old = this.#inputs;
    if (old.length === rows && old[0]?.length === cols) return;
    this.#inputs = Array.from({ length: rows }, (_, i) =>
      Array.from({ length: cols }, (_, j) => old[i]?.[j] ?? this.#input(i, j)),
    );
    this.#layout();
  }

  setPadding(padding: number): void {
    if (padding === this.#padding) return;
    this.#padding = padding;
    this.#layout();
  }

  /** The values, or null (with the bad cells marked) while any cell is not a number. */
  read(): Matrix | null {
    const values = this.#inputs.map((row) => row.map((input) => this.#check(input)));
    return values.every((row) => row.every((v) => v !== null)) ? (values as Matrix) : null;
  }

  /** Adds classes to cells by padded coordinates (row, col): the window, the edge no window reaches. */
  mark(marks: (row: number, col: number) => (string | false)[]): void {
    this.#items.forEach((row, r) =>
      row.forEach((item, c) => {
        for (const name of ["in-window", "uncovered"]) item.classList.remove(name);
        for (const name of marks(r, c)) if (name) item.classList.add(name);
      }),
    );
  }

  frame(rect: Rect | null): void {
    placeFrame(this.#frame, rect);
  }

  #input(i: number, j: number): HTMLInputElement {
    const input = el("input", {
      class: "th-cell th-input",
      type: "text",
      inputmode: "decimal",
      autocomplete: "off",
      spellcheck: "false",
      "aria-label": `${this.name}(${i}, ${j})`,
      "data-i": i,
      "data-j": j,
    });
    this.#write(input, 0);
    input.addEventListener("input", () => {
      this.#check(input);
      this.onInput();
    });
    // Typing replaces the number rather than appending to it, as in a spreadsheet.
    input.addEventListener("focus", () => input.select());
    input.addEventListener("keydown", (event) => this.#move(event, i, j));
    return input;
  }

  /** Up, Down and Enter move between rows; Left and Right stay with the text cursor. */
  #move(event: KeyboardEvent, i: number, j: number): void {
    const step = { ArrowUp: -1, ArrowDown: 1, Enter: 1 }[event.key];
    const next = step === undefined ? undefined : this.#inputs[i + step]?.[j];
    if (next === undefined) return;
    event.preventDefault();
    next.focus();
  }

  #write(input: HTMLInputElement, value: number): void {
    input.value = String(value);
    this.#check(input);
  }

  /** Parses one cell, marks it when it is not a number, and shades it: ink for 0…1 (the "7"), red below 0. */
  #check(input: HTMLInputElement): number | null {
    const value = parseNumber(input.value);
    fit(input, input.value.trim());
    input.classList.toggle("invalid", value === null);
    input.setAttribute("aria-invalid", String(value === null));
    const shade = value === null ? 0 : Math.min(1, Math.abs(value));
    input.style.setProperty("--shade", shade.toFixed(3));
    input.classList.toggle("dark", value !== null && value > 0.5);
    input.classList.toggle("neg", value !== null && value < 0);
    return value;
  }

  /** Lays the cells out for the current shape and padding; the old window and marks no longer apply. */
  #layout(): void {
    const p = this.#padding;
    for (const input of this.#inputs.flat()) input.classList.remove("in-window", "uncovered");
    placeFrame(this.#frame, null);
    const [rows, cols] = [this.#inputs.length + 2 * p, (this.#inputs[0]?.length ?? 0) + 2 * p];
    this.#items = Array.from({ length: rows }, (_, r) =>
      Array.from(
        { length: cols },
        (_, c) => this.#inputs[r - p]?.[c - p] ?? el("span", { class: "th-cell th-pad", "aria-hidden": "true" }, "0"),
      ),
    );
    this.element.style.setProperty("--cols", String(cols));
    this.element.replaceChildren(...this.#items.flat(), this.#frame);
  }
}

/** An integer control (P, S, a size) with its range; its value is null, and it is marked, when out of range. */
export interface IntControl {
  element: HTMLElement;
  input: HTMLInputElement;
  read(): number | null;
  set(value: number): void;
}

export function intControl(
  ctx: LabContext,
  label: Texts,
  attributes: { testid: string; min: number; max: number; value: number },
  onInput: () => void,
): IntControl {
  const { testid, min, max, value } = attributes;
  const input = el("input", { testid, type: "number", min, max, step: 1, class: "th-int", value });
  const read = (): number | null => {
    const n = parseNumber(input.value);
    const ok = n !== null && Number.isInteger(n) && n >= min && n <= max;
    input.classList.toggle("invalid", !ok);
    input.setAttribute("aria-invalid", String(!ok));
    return ok ? n : null;
  };
  input.addEventListener("input", onInput);
  const range = el("span", { class: "th-range" }, `${min}–${max}`);
  const element = el("label", { class: "th-control" }, tr(ctx, label), input, range);
  return {
    element,
    input,
    read,
    set: (v) => {
      input.value = String(v);
      read();
    },
  };
}
