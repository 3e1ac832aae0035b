/**
 * The tutorial's four theory figures, the "Hình minh họa" slots of its §2.1 (convolution), §2.2 (ReLU), §2.3 (max
 * pooling) and §3 (the whole pipeline), drawn in English or the tutorial's Vietnamese.
 *
 * Every number drawn comes from `src/explain`, which computes it with the library's own ops (conv2d, relu, maxPool2d,
 * linear, mul, sum, argmax); where the tutorial prints something else, the figure shows the computed value and marks
 * the printed one, as `convlab explain` does in text. Browser-safe: pure functions from numbers to Vega-Lite specs.
 *
 * A figure is one Vega-Lite view whose marks are placed in pixels (every scale is `null`): matrices are grids of
 * `rect` cells with their values written in, marks are unfilled `rect`s and circles, arrows are rules with a
 * triangle. The layout is computed here, so matrices of different sizes sit centred on one line with their labels,
 * and nothing overlaps. The data rows keep what they show (`panel`, `i`, `j`, `value`, `role`), so a test or a
 * reader can find "the cell S(0, 2)" or "the cells marked as misprints" in the spec without parsing the SVG.
 */
import { explain, isCustom, type ExplainInput, type TopicResult } from "../explain/explain.js";
import { fmt, span, sumLine, vec } from "../explain/format.js";
import { messages, type Messages } from "../explain/messages.js";
import type { Check, ConvResult, FcResult, Lang, Matrix, PoolResult, ReluResult, Topic } from "../explain/types.js";
import { FONT } from "../report/base.js";
import type { ChartSpec } from "../report/types.js";
import { Figure } from "./figure.js";

// ————————————————————————————————————————————————————————————— words

/** The figures' own words; the rest (titles, window and pooling lines, notes) are `src/explain/messages.ts`'s. */
const FIGURE_WORDS = {
  en: {
    image: "I: input image",
    kernel: "K: kernel (filter)",
    featureMap: "S: feature map (conv2d)",
    printedMap: "S as the tutorial prints it",
    step: (n: number) => `Step ${n}`,
    misprints: (label: string, count: number, total: number) =>
      `✗ §2.1 ${label}: ${count} of its ${total} cells differ from the formula (framed in red):`,
    misprint: (name: string, printed: string, computed: string) =>
      `${name}: the tutorial printed ${printed}, the formula gives ${computed}`,
    windowLegend: "Black frame: the window of the step below and the cell of S it gives.",
    negativesLegend: "Framed in purple: the negative values, which ReLU sets to 0.",
    winnersLegend: "Each colour is one 2×2 window; ○ marks its largest value (on a tie, every copy), □ where it goes.",
    map: (h: number, w: number) => `feature map ${h}×${w}`,
    pooled: "P (maxPool2d)",
    pool: (f: number, s: number) => `max ${f}×${f},\nstride ${s}`,
    conv: (p: number, s: number) => (p === 0 && s === 1 ? "∗ K\n(conv2d)" : `∗ K (conv2d)\nP = ${p}, S = ${s}`),
    flatten: 'flatten\n("duỗi")',
    fc: "y = Wx + b\n(linear)",
    argmax: "argmax",
    verdict: "verdict",
    assumed: "§2.3 assumes\na 4×4 map",
    tutorialChain: "The tutorial's examples one after another (§2.1 → §2.2 → §2.3 → §2.4):",
    seam: 'The dashed arrow is not a computation: §2.3 pools a 4×4 map it assumes, not the feature map of the "7".',
    realChain: 'The same steps run end to end on the "7" by convlab (as `convlab explain pipeline`):',
    noFc: (n: number) => `no y: x has ${n} numbers, W expects 4`,
    flatCount: (n: number) => `x: ${n} numbers`,
  },
  vi: {
    image: "I: ảnh đầu vào",
    kernel: "K: bộ lọc (kernel)",
    featureMap: "S: feature map (conv2d)",
    printedMap: "S in trong bài",
    step: (n: number) => `Bước ${n}`,
    misprints: (label: string, count: number, total: number) =>
      `✗ §2.1 ${label}: ${count} trong ${total} ô khác với công thức (đóng khung đỏ):`,
    misprint: (name: string, printed: string, computed: string) =>
      `${name}: bài in ${printed}, công thức cho ${computed}`,
    windowLegend: "Khung đen: vùng của bước bên dưới và ô của S mà nó cho ra.",
    negativesLegend: "Khung tím: các giá trị âm, bị ReLU biến thành 0.",
    winnersLegend: "Mỗi màu là một vùng 2×2; ○ đánh dấu số lớn nhất của vùng (nếu bằng nhau: mọi số đó), □ nơi nó đến.",
    map: (h: number, w: number) => `feature map ${h}×${w}`,
    pooled: "P (maxPool2d)",
    pool: (f: number, s: number) => `max ${f}×${f},\nstride ${s}`,
    conv: (p: number, s: number) => (p === 0 && s === 1 ? "∗ K\n(conv2d)" : `∗ K (conv2d)\nP = ${p}, S = ${s}`),
    flatten: "duỗi\n(flatten)",
    fc: "y = Wx + b\n(linear)",
    argmax: "argmax",
    verdict: "kết luận",
    assumed: "§2.3 giả sử\nmap 4×4",
    tutorialChain: "Các ví dụ của bài nối tiếp nhau (§2.1 → §2.2 → §2.3 → §2.4):",
    seam: 'Mũi tên nét đứt không phải phép tính: §2.3 pooling một map 4×4 do bài giả sử, không phải feature map của số "7".',
    realChain: 'Cùng các bước đó, convlab chạy trọn chuỗi trên số "7" (như `convlab explain pipeline`):',
    noFc: (n: number) => `không có y: x có ${n} số, W cần 4`,
    flatCount: (n: number) => `x: ${n} số`,
  },
} satisfies Record<Lang, unknown>;

type Words = (typeof FIGURE_WORDS)["en"];

// ————————————————————————————————————————————————————————————— look

/** Colours: cells white at 0, blue when positive, brown when negative; the marks in colours that stand out on them. */
export const THEORY_COLORS = {
  positive: "#1f6fb2",
  negative: "#a6611a",
  grid: "#9a9a9a",
  ink: "#1a1a1a",
  muted: "#666666",
  /** A printed number of the tutorial that the formula does not give (the report's WRONG_COLOR). */
  misprint: "#d62728",
  /** The window of a worked step. */
  window: "#111111",
  /** A negative value, set to 0 by ReLU. */
  negativeMark: "#8e44ad",
  /** The pooling windows, in turn (neighbouring windows always differ). */
  pool: ["#e6780e", "#1b9e77", "#7570b3", "#e7298a"],
  verdict: "#2ca02c",
} as const;

/** Pixel sizes of the layout. */
const CELL = 40;
const LABEL_SIZE = 13;
const NOTE_SIZE = 13;
const OP_SIZE = 24;
const GAP = 14;
const ROW_GAP = 26;
const MARGIN = 8;
/** Above the view: the title (16 px), the subtitle (13 px) and the space below them. */
const TITLE_SPACE = 66;

/** The minus sign (U+2212) instead of the hyphen before a number, as the tutorial typesets −1. */
const minus = (text: string) => text.replace(/(^|[\s([,=·+:])-(?=\d)/g, "$1−");

/** A number as a figure writes it: explain's `fmt` (no float noise) with a real minus sign, 2 decimals at most. */
function figureNumber(x: number): string {
  return minus(fmt(Number(x.toFixed(2))));
}

/**
 * The width of `text` in DejaVu Sans at `size` pixels, estimated from the letters' advance widths (vega's "none"
 * renderer has no font metrics either): a little wide, so that estimates never make texts touch.
 */
function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if (" .,:;'|!ijlIf()[]t".includes(ch)) em += 0.36;
    else if ("mwMW—⟶%".includes(ch)) em += 0.95;
    else if (/[A-ZĐ∑⊙∗≠×]/u.test(ch)) em += 0.72;
    else em += 0.62;
  }
  return em * size * (bold ? 1.1 : 1);
}

/** Operators that stay on the line of both their operands, so "⌊(4 − 2)/2⌋ + 1 = 2" is never cut. */
const OPERATORS = new Set(["−", "-", "+", "=", "·", "×", "→", "≠"]);

/** Splits `text` into lines no wider than `width` pixels, at spaces but not around an operator. */
function wrap(text: string, size: number, width: number, bold = false): string[] {
  const words: string[] = [];
  let glue = false;
  for (const word of text.split(" ")) {
    const operator = OPERATORS.has(word);
    if ((glue || operator) && words.length > 0) words[words.length - 1] += ` ${word}`;
    else words.push(word);
    glue = operator;
  }
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    const next = line === "" ? word : `${line} ${word}`;
    if (line !== "" && textWidth(next, size, bold) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** White → `hex`, by t in [0, 1]. */
function mix(hex: string, t: number): string {
  const c = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  const v = c.map((x) => Math.round(255 + (x - 255) * t));
  return `#${v.map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

// ————————————————————————————————————————————————————————————— the data a figure is drawn from

/** One cell of a drawn matrix: which matrix (`panel`), where, its value and the text written in it. */
export interface CellDatum {
  panel: string;
  i: number;
  j: number;
  value: number;
  /** The value as written in the cell ("" when the matrix is too large to write values in). */
  text: string;
  x: number;
  y: number;
  x2: number;
  y2: number;
  fill: string;
  ink: string;
  fontSize: number;
}

/** What a frame or circle marks. */
export type MarkRole =
  /** A number the tutorial prints differently from the formula (src/explain/checks.ts's mismatches). */
  | "misprint"
  /** The window of a worked convolution step, and the cell of S it gives. */
  | "window"
  /** A negative value, and the 0 ReLU makes of it. */
  | "negative"
  /** A pooling window, and the output cell it gives. */
  | "pool-window"
  /** The largest value of a pooling window. */
  | "winner"
  /** The predicted class. */
  | "verdict";

/** A frame around `rows`×`cols` cells of a panel from (i, j), or a circle on cell (i, j) (`shape: "circle"`). */
export interface MarkDatum {
  role: MarkRole;
  panel: string;
  i: number;
  j: number;
  rows: number;
  cols: number;
  shape: "frame" | "circle";
  x: number;
  y: number;
  x2: number;
  y2: number;
  color: string;
  strokeWidth: number;
  dashed: boolean;
  /** Circles: the symbol's size (its diameter squared, as vega sizes symbols). */
  size: number;
}

/** What a text is. */
export type TextRole = "label" | "index" | "operator" | "arrow" | "heading" | "note" | "misprint" | "verdict";

export interface TextDatum {
  role: TextRole;
  text: string;
  x: number;
  y: number;
  size: number;
  color: string;
  align: "left" | "center" | "right";
  baseline: "top" | "middle" | "bottom" | "alphabetic";
  bold: boolean;
}

interface LineDatum {
  x: number;
  y: number;
  x2: number;
  y2: number;
  color: string;
  dashed: boolean;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where everything of a figure goes, in pixels from the top-left of the view; grows as things are drawn. */
class Board {
  readonly cells: CellDatum[] = [];
  readonly marks: MarkDatum[] = [];
  readonly texts: TextDatum[] = [];
  readonly lines: LineDatum[] = [];
  readonly heads: { x: number; y: number; color: string }[] = [];
  right = 0;
  bottom = 0;

  grow(x: number, y: number): void {
    this.right = Math.max(this.right, x);
    this.bottom = Math.max(this.bottom, y);
  }

  text(role: TextRole, text: string, x: number, y: number, style: Partial<TextDatum> = {}): void {
    const t: TextDatum = {
      role,
      text: minus(text),
      x,
      y,
      size: LABEL_SIZE,
      color: THEORY_COLORS.ink,
      align: "left",
      baseline: "alphabetic",
      bold: false,
      ...style,
    };
    this.texts.push(t);
    const w = textWidth(t.text, t.size, t.bold);
    const below = { top: t.size, middle: t.size / 2, bottom: 0, alphabetic: t.size / 4 }[t.baseline];
    this.grow(t.align === "left" ? x + w : t.align === "center" ? x + w / 2 : x, y + below);
  }

  /** Wrapped lines from (x, y) (the top of the first line), at most `width` wide; returns the y below them. */
  paragraph(role: TextRole, text: string, x: number, y: number, width: number, style: Partial<TextDatum> = {}) {
    const size = style.size ?? NOTE_SIZE;
    const leading = Math.round(size * 1.45);
    for (const line of wrap(minus(text), size, width, style.bold)) {
      this.text(role, line, x, y + size, { size, ...style });
      y += leading;
    }
    return y;
  }

  arrow(x: number, x2: number, y: number, color: string, dashed = false): void {
    this.lines.push({ x, y, x2: x2 - 7, y2: y, color, dashed });
    this.heads.push({ x: x2 - 6, y, color });
    this.grow(x2, y);
  }
}

// ————————————————————————————————————————————————————————————— matrices and rows of them

/** A frame on a matrix, in cells. */
interface FrameMark {
  role: MarkRole;
  i: number;
  j: number;
  rows?: number;
  cols?: number;
  color: string;
  /** Pixels from the cells' edge inwards (negative: outwards), so that frames on neighbouring cells both show. */
  inset?: number;
  width?: number;
  dashed?: boolean;
}

/** A matrix to draw: its id (`panel`), label, values, and marks. */
interface MatrixPiece {
  kind: "matrix";
  panel: string;
  label: string;
  matrix: Matrix;
  /** The smallest cell size in pixels (default {@link CELL}); cells grow to fit wider values (see {@link sizing}). */
  base?: number;
  frames?: FrameMark[];
  circles?: { i: number; j: number; color: string }[];
  /** A name beside each row (the classes beside y). */
  rowNames?: string[];
  /** Row and column numbers around the matrix, as S(i, j) reads them. */
  indices?: boolean;
}

type Piece =
  | MatrixPiece
  | { kind: "op"; text: string }
  | { kind: "arrow"; label: string; dashed?: boolean }
  | { kind: "verdict"; label: string; text: string }
  | { kind: "text"; text: string };

/** Above this many rows or columns a matrix is drawn small, without its values, indices or per-cell marks. */
const WRITTEN_UP_TO = 12;
const written = (matrix: Matrix) => Math.max(matrix.length, matrix[0].length) <= WRITTEN_UP_TO;

/**
 * The cell size and the font of the values: the font follows `base`, and the cells grow (up to 72 px) until the
 * widest value fits; a large map gets small cells and no values.
 */
function sizing(matrix: Matrix, base = CELL): { cell: number; font: number } {
  const font = Math.max(9, Math.min(17, Math.round(base * 0.4)));
  if (!written(matrix)) {
    return { cell: Math.max(6, Math.min(16, Math.floor(320 / Math.max(matrix.length, matrix[0].length)))), font };
  }
  const widest = Math.max(...matrix.flat().map((v) => textWidth(figureNumber(v), font)));
  return { cell: Math.max(base, Math.min(72, Math.ceil(widest + 10))), font };
}

function labelLines(text: string): string[] {
  return text.split("\n");
}

function pieceSize(piece: Piece): { width: number; height: number } {
  switch (piece.kind) {
    case "matrix": {
      const { cell } = sizing(piece.matrix, piece.base);
      const names = Math.max(0, ...(piece.rowNames ?? []).map((n) => textWidth(n, LABEL_SIZE) + 8));
      const indices = piece.indices === true ? 16 : 0;
      const width = Math.max(indices + piece.matrix[0].length * cell + names, textWidth(piece.label, LABEL_SIZE, true));
      return { width, height: piece.matrix.length * cell };
    }
    case "op":
      return { width: 34, height: OP_SIZE };
    case "arrow":
      return { width: Math.max(50, ...labelLines(piece.label).map((l) => textWidth(l, 12) + 8)), height: 20 };
    case "verdict":
      return { width: Math.max(64, textWidth(piece.label, LABEL_SIZE, true)), height: 56 };
    case "text":
      return { width: textWidth(piece.text, LABEL_SIZE, true), height: LABEL_SIZE };
  }
}

/** Draws a matrix with its top-left cell at (x, y); returns the cells' box. */
function drawMatrix(board: Board, piece: MatrixPiece, x: number, y: number): Box {
  const { matrix, panel } = piece;
  const { cell, font: fontSize } = sizing(matrix, piece.base);
  const scale = Math.max(1e-12, ...matrix.flat().map(Math.abs));
  const writeValues = written(matrix);
  matrix.forEach((row, i) =>
    row.forEach((value, j) => {
      const t = Math.min(1, Math.abs(value) / scale);
      const fill = value === 0 ? "#ffffff" : mix(value > 0 ? THEORY_COLORS.positive : THEORY_COLORS.negative, t);
      const [cx, cy] = [x + j * cell, y + i * cell];
      board.cells.push({
        panel,
        i,
        j,
        value,
        text: writeValues ? figureNumber(value) : "",
        x: cx,
        y: cy,
        x2: cx + cell,
        y2: cy + cell,
        fill,
        ink: t > 0.55 ? "#ffffff" : THEORY_COLORS.ink,
        fontSize,
      });
    }),
  );
  const box = { x, y, width: matrix[0].length * cell, height: matrix.length * cell };
  board.grow(box.x + box.width, box.y + box.height);
  for (const f of piece.frames ?? []) {
    const inset = f.inset ?? 0;
    const [rows, cols] = [f.rows ?? 1, f.cols ?? 1];
    board.marks.push({
      role: f.role,
      panel,
      i: f.i,
      j: f.j,
      rows,
      cols,
      shape: "frame",
      x: x + f.j * cell + inset,
      y: y + f.i * cell + inset,
      x2: x + (f.j + cols) * cell - inset,
      y2: y + (f.i + rows) * cell - inset,
      color: f.color,
      strokeWidth: f.width ?? 3,
      dashed: f.dashed ?? false,
      size: 0,
    });
  }
  for (const c of piece.circles ?? []) {
    const d = cell * 0.8;
    const [cx, cy] = [x + (c.j + 0.5) * cell, y + (c.i + 0.5) * cell];
    board.marks.push({
      role: "winner",
      panel,
      i: c.i,
      j: c.j,
      rows: 1,
      cols: 1,
      shape: "circle",
      x: cx,
      y: cy,
      x2: cx,
      y2: cy,
      color: c.color,
      strokeWidth: Math.max(1.5, cell / 16),
      dashed: false,
      size: d * d,
    });
  }
  (piece.rowNames ?? []).forEach((name, i) =>
    board.text("label", name, box.x + box.width + 8, y + (i + 0.5) * cell, { baseline: "middle", bold: true }),
  );
  if (piece.indices === true && writeValues) {
    matrix[0].forEach((_, j) =>
      board.text("index", String(j), x + (j + 0.5) * cell, y - 4, {
        size: 10,
        color: THEORY_COLORS.muted,
        align: "center",
        baseline: "bottom",
      }),
    );
    matrix.forEach((_, i) =>
      board.text("index", String(i), x - 5, y + (i + 0.5) * cell, {
        size: 10,
        color: THEORY_COLORS.muted,
        align: "right",
        baseline: "middle",
      }),
    );
  }
  return box;
}

/**
 * Draws pieces left to right from (x, top): matrices centred on one line with their labels above, operators and
 * arrows (with their labels above) on the line. Returns the y below the row.
 */
function drawRow(board: Board, pieces: Piece[], x: number, top: number, gap = GAP): number {
  const sizes = pieces.map(pieceSize);
  const arrowLines = Math.max(1, ...pieces.map((p) => (p.kind === "arrow" ? labelLines(p.label).length : 1)));
  const band = Math.max(...sizes.map((s) => s.height), 15 * arrowLines + 24);
  const labelBand = LABEL_SIZE + 6 + (pieces.some((p) => p.kind === "matrix" && p.indices === true) ? 14 : 0);
  const mid = top + labelBand + band / 2;
  pieces.forEach((piece, k) => {
    const { width, height } = sizes[k];
    switch (piece.kind) {
      case "matrix": {
        const left = x + (piece.indices === true ? 16 : 0);
        const box = drawMatrix(board, piece, left, mid - height / 2);
        const over = piece.indices === true ? 14 : 0;
        board.text("label", piece.label, x, box.y - 6 - over, { bold: true, baseline: "bottom" });
        break;
      }
      case "op":
        board.text("operator", piece.text, x + width / 2, mid, {
          size: OP_SIZE,
          align: "center",
          baseline: "middle",
          color: THEORY_COLORS.muted,
        });
        break;
      case "arrow": {
        board.arrow(x + 4, x + width - 4, mid, THEORY_COLORS.muted, piece.dashed === true);
        const lines = labelLines(piece.label);
        lines.forEach((line, n) =>
          board.text("arrow", line, x + width / 2, mid - 6 - (lines.length - 1 - n) * 15, {
            size: 12,
            align: "center",
            baseline: "bottom",
            color: THEORY_COLORS.muted,
          }),
        );
        break;
      }
      case "verdict": {
        const y = mid - height / 2;
        board.marks.push({
          role: "verdict",
          panel: "verdict",
          i: 0,
          j: 0,
          rows: 1,
          cols: 1,
          shape: "frame",
          x: x + width / 2 - 30,
          y,
          x2: x + width / 2 + 30,
          y2: y + height,
          color: THEORY_COLORS.verdict,
          strokeWidth: 3,
          dashed: false,
          size: 0,
        });
        board.text("label", piece.label, x + width / 2, y - 6, { bold: true, align: "center", baseline: "bottom" });
        board.text("verdict", piece.text, x + width / 2, mid, {
          size: 28,
          bold: true,
          align: "center",
          baseline: "middle",
          color: THEORY_COLORS.verdict,
        });
        break;
      }
      case "text":
        board.text("label", piece.text, x, mid, { bold: true, baseline: "middle" });
        break;
    }
    x += width + gap;
  });
  board.grow(x - gap, top + labelBand + band);
  return top + labelBand + band;
}

// ————————————————————————————————————————————————————————————— the spec

/** Pixels as they are: every position channel without a scale or an axis. */
const px = (field: string) => ({ field, type: "quantitative", scale: null, axis: null }) as const;
const raw = (field: string) => ({ field, type: "nominal", scale: null, legend: null }) as const;

/** The Vega-Lite spec of a board: one layer per kind of mark (and per text style), each with its own rows. */
function boardSpec(board: Board, title: string, subtitle: string): ChartSpec {
  const width = Math.ceil(Math.max(board.right, textWidth(title, 16, true), textWidth(subtitle, 13)) + MARGIN);
  const height = Math.ceil(board.bottom + MARGIN);
  const frames = board.marks.filter((m) => m.shape === "frame");
  const circles = board.marks.filter((m) => m.shape === "circle");
  const layer: Record<string, unknown>[] = [
    {
      data: { values: board.cells },
      mark: { aria: false, type: "rect", stroke: THEORY_COLORS.grid, strokeWidth: 0.75 },
      encoding: { x: px("x"), x2: { field: "x2" }, y: px("y"), y2: { field: "y2" }, fill: raw("fill") },
    },
    {
      data: { values: board.cells.filter((c) => c.text !== "") },
      mark: { aria: false, type: "text", align: "center", baseline: "middle" },
      encoding: {
        x: px("cx"),
        y: px("cy"),
        text: { field: "text", type: "nominal" },
        fill: raw("ink"),
        size: { field: "fontSize", type: "quantitative", scale: null, legend: null },
      },
      transform: [
        { calculate: "(datum.x + datum.x2) / 2", as: "cx" },
        { calculate: "(datum.y + datum.y2) / 2 + 0.5", as: "cy" },
      ],
    },
  ];
  for (const dashed of [false, true]) {
    const rows = frames.filter((f) => f.dashed === dashed);
    if (rows.length === 0) continue;
    layer.push({
      data: { values: rows },
      mark: { aria: false, type: "rect", filled: false, ...(dashed ? { strokeDash: [5, 3] } : {}) },
      encoding: {
        x: px("x"),
        x2: { field: "x2" },
        y: px("y"),
        y2: { field: "y2" },
        stroke: raw("color"),
        strokeWidth: { field: "strokeWidth", type: "quantitative", scale: null, legend: null },
      },
    });
  }
  if (circles.length > 0) {
    layer.push({
      data: { values: circles },
      mark: { aria: false, type: "point", shape: "circle", filled: false, opacity: 1 },
      encoding: {
        x: px("x"),
        y: px("y"),
        stroke: raw("color"),
        size: { field: "size", type: "quantitative", scale: null, legend: null },
        strokeWidth: { field: "strokeWidth", type: "quantitative", scale: null, legend: null },
      },
    });
  }
  for (const dashed of [false, true]) {
    const rows = board.lines.filter((l) => l.dashed === dashed);
    if (rows.length === 0) continue;
    layer.push({
      data: { values: rows },
      mark: { aria: false, type: "rule", strokeWidth: 2, ...(dashed ? { strokeDash: [5, 4] } : {}) },
      encoding: { x: px("x"), x2: { field: "x2" }, y: px("y"), y2: { field: "y2" }, stroke: raw("color") },
    });
  }
  if (board.heads.length > 0) {
    layer.push({
      data: { values: board.heads },
      mark: { aria: false, type: "point", shape: "triangle-right", filled: true, size: 110, opacity: 1 },
      encoding: { x: px("x"), y: px("y"), fill: raw("color") },
    });
  }
  // Alignment, baseline and weight are mark properties in Vega-Lite, not channels: one layer per combination.
  const styles = new Map<string, TextDatum[]>();
  for (const t of board.texts) {
    const key = `${t.align}|${t.baseline}|${t.bold ? "bold" : "normal"}`;
    styles.set(key, [...(styles.get(key) ?? []), t]);
  }
  for (const [key, rows] of styles) {
    const [align, baseline, weight] = key.split("|");
    layer.push({
      data: { values: rows },
      mark: { aria: false, type: "text", align, baseline, fontWeight: weight },
      encoding: {
        x: px("x"),
        y: px("y"),
        text: { field: "text", type: "nominal" },
        fill: raw("color"),
        size: { field: "size", type: "quantitative", scale: null, legend: null },
      },
    });
  }
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `${title}. ${subtitle}`,
    title: {
      text: title,
      subtitle,
      anchor: "start",
      fontSize: 16,
      subtitleFontSize: 13,
      subtitlePadding: 6,
      offset: 14,
    },
    width,
    height,
    // Sized by the layout above, not by vega: without font metrics vega guesses every text 0.8 em per letter, and
    // "pad" would widen the figure to fit those guesses. The top padding holds the title and its subtitle.
    autosize: { type: "none" },
    padding: { left: 14, right: 14, bottom: 14, top: TITLE_SPACE },
    background: "white",
    layer,
    config: { font: FONT, view: { stroke: null }, title: { subtitleColor: THEORY_COLORS.muted } },
  } as unknown as ChartSpec;
}

// ————————————————————————————————————————————————————————————— the four figures

function topicOf<T extends TopicResult["topic"]>(
  explanation: { topics: TopicResult[] },
  topic: T,
): Extract<TopicResult, { topic: T }> {
  const found = explanation.topics.find((t) => t.topic === topic);
  if (found === undefined) throw new Error(`theory figures: explain() gave no ${topic}`);
  return found as Extract<TopicResult, { topic: T }>;
}

const checkOf = (checks: Check[], id: string) => checks.find((c) => c.id === id);

/** The convolution formula as the tutorial writes it (with the learner's stride and padding when they differ). */
function convFormula(conv: ConvResult): string {
  const bias = conv.bias === 0 ? "" : " + b";
  return conv.stride === 1 && conv.padding === 0
    ? `S(i, j) = Σₘ Σₙ I(i + m, j + n) · K(m, n)${bias}`
    : `S(i, j) = Σₘ Σₙ I_padded(i·${conv.stride} + m, j·${conv.stride} + n) · K(m, n)${bias}   ` +
        `(P = ${conv.padding}, S = ${conv.stride})`;
}

/** A note on the learner's numbers: where the image and kernel come from. */
function sourceNote(board: Board, input: ExplainInput, m: Messages, y: number, width: number): number {
  if (input.imageSource === undefined && input.kernelSource === undefined) return y;
  const text = m.source(input.imageSource ?? m.tutorialImage, input.kernelSource ?? m.tutorialKernel);
  return board.paragraph("note", text, 0, y, width, { color: THEORY_COLORS.muted }) + 4;
}

/** Width that notes wrap at: the drawing's, and never narrower than a readable line. */
const noteWidth = (board: Board) => Math.max(560, board.right);

/**
 * §2.1's figure: the image I with the window of step 1 framed, the kernel K, the feature map S that conv2d gives,
 * and (for the tutorial's "7") S as the tutorial prints it, the cells where it differs from the formula framed in
 * red with a note each; below, step 1 ("Bước 1"): the window ⊙ K = the products, and their sum.
 *
 * @param example the learner's numbers instead of the tutorial's (as `explain --image/--kernel`); nothing is marked
 * as a misprint then, since the tutorial printed nothing for them.
 */
export function convolutionFigure(lang: Lang, example: ExplainInput = {}): Figure {
  const m = messages(lang);
  const w = FIGURE_WORDS[lang];
  const { conv, checks } = topicOf(explain(["conv"], example), "conv");
  const step = conv.windows[0];
  const [kh, kw] = [conv.kernel.length, conv.kernel[0].length];
  const featureMap = checkOf(checks, "conv.featureMap");
  const wrong = featureMap !== undefined && !featureMap.agrees ? featureMap.mismatches : [];
  const misprintFrames = wrong.map((x): FrameMark => ({
    role: "misprint",
    i: x.i,
    j: x.j,
    color: THEORY_COLORS.misprint,
    inset: 3.5,
  }));
  const windowFrame = (i: number, j: number, rows: number, cols: number): FrameMark => ({
    role: "window",
    i,
    j,
    rows,
    cols,
    color: THEORY_COLORS.window,
    inset: -1,
    width: 3.5,
  });
  const board = new Board();
  const image: MatrixPiece = {
    kind: "matrix",
    panel: "I",
    label: conv.padding > 0 ? `${w.image} (P = ${conv.padding})` : w.image,
    matrix: conv.padded,
    indices: true,
    frames: [windowFrame(step.row, step.col, kh, kw)],
  };
  const pieces: Piece[] = [
    image,
    { kind: "op", text: "∗" },
    { kind: "matrix", panel: "K", label: w.kernel, matrix: conv.kernel },
    { kind: "op", text: "=" },
    {
      kind: "matrix",
      panel: "S",
      label: w.featureMap,
      matrix: conv.featureMap,
      indices: true,
      frames: [windowFrame(step.i, step.j, 1, 1), ...misprintFrames],
    },
  ];
  if (featureMap !== undefined && typeof featureMap.printed === "object") {
    pieces.push(
      { kind: "op", text: wrong.length > 0 ? "≠" : "=" },
      {
        kind: "matrix",
        panel: "S-printed",
        label: w.printedMap,
        matrix: featureMap.printed,
        indices: true,
        frames: misprintFrames,
      },
    );
  }
  let y = drawRow(board, pieces, 0, 0) + 10;
  y = board.paragraph("note", w.windowLegend, 0, y, noteWidth(board), { color: THEORY_COLORS.muted }) + ROW_GAP - 8;

  // Step 1, "Bước 1": the window at (0, 0) times K, cell by cell, and the sum.
  const heading = `${w.step(1)} — ${m.window(step.i, step.j, step.row, step.col, kh, kw)}`;
  board.text("heading", heading, 0, y + 14, { size: 14, bold: true });
  y = drawRow(
    board,
    [
      { kind: "matrix", panel: "window", label: m.labelWindow, matrix: step.window },
      { kind: "op", text: "⊙" },
      { kind: "matrix", panel: "K-step", label: "K", matrix: conv.kernel },
      { kind: "op", text: "=" },
      { kind: "matrix", panel: "products", label: m.labelProducts, matrix: step.products },
    ],
    0,
    y + 22,
  );
  const terms = conv.bias === 0 ? step.products.flat() : [...step.products.flat(), conv.bias];
  const sum = m.windowSum(step.i, step.j, sumLine(terms, step.sum)) + (conv.bias === 0 ? "" : m.withBias(conv.bias));
  y = board.paragraph("note", sum, 0, y + 10, noteWidth(board), { size: 14, bold: true }) + 4;

  if (wrong.length > 0 && featureMap !== undefined) {
    y += 10;
    const total = conv.featureMap.length * conv.featureMap[0].length;
    const header = w.misprints(m.check["conv.featureMap"], wrong.length, total);
    y = board.paragraph("misprint", header, 0, y, noteWidth(board), { color: THEORY_COLORS.misprint, bold: true });
    for (const x of wrong) {
      const line = `• ${w.misprint(`S(${x.i}, ${x.j})`, figureNumber(x.printed), figureNumber(x.computed))}`;
      y = board.paragraph("misprint", line, 12, y, noteWidth(board), { color: THEORY_COLORS.misprint });
    }
    const first = conv.windows.find((x) => x.i === wrong[0].i && x.j === wrong[0].j);
    if (first !== undefined) {
      const line = sumLine(first.products.flat(), first.sum);
      const example = m.featureMapExample(first.i, first.j, span(first.row, kh), span(first.col, kw), line);
      y = board.paragraph("note", example, 0, y + 2, noteWidth(board));
    }
  }
  sourceNote(board, example, m, y + 6, noteWidth(board));
  return new Figure(boardSpec(board, m.convTitle, convFormula(conv)), "convolution");
}

/** Frames on the cells ReLU set to 0 (none on a map too large to show its values). */
const negativeMarks = (result: ReluResult, inset: number): FrameMark[] =>
  written(result.input)
    ? result.zeroed.map((x) => ({ role: "negative", i: x.i, j: x.j, color: THEORY_COLORS.negativeMark, inset }))
    : [];

/** A ReLU before/after pair: the negative cells framed on both sides, and what was set to 0 written below. */
function reluRow(board: Board, result: ReluResult, names: [string, string], y: number, m: Messages): number {
  const marks = negativeMarks(result, 2.5);
  y = drawRow(
    board,
    [
      { kind: "matrix", panel: names[0], label: "S", matrix: result.input, indices: true, frames: marks },
      { kind: "arrow", label: "ReLU" },
      { kind: "matrix", panel: names[1], label: "ReLU(S)", matrix: result.output, indices: true, frames: marks },
    ],
    0,
    y,
  );
  return board.paragraph("note", m.zeroed(result.zeroed), 0, y + 10, noteWidth(board));
}

/**
 * §2.2's figure: S before and after ReLU for the tutorial's example with negatives (the negative cells framed, and
 * 0 after), then the same for the feature map of the "7" as conv2d computes it, which, unlike the tutorial's
 * printed S, has a negative value (the §2.2 check), so ReLU does change it.
 */
export function reluFigure(lang: Lang, example: ExplainInput = {}): Figure {
  const m = messages(lang);
  const w = FIGURE_WORDS[lang];
  const { relus, checks } = topicOf(explain(["relu"], example), "relu");
  const what = { featureMap: m.reluOfFeatureMap, negatives: m.reluOfNegatives, input: m.reluOfInput };
  // The tutorial's example with negatives first: it is the one its figure describes ("Trước ReLU … Sau ReLU").
  const order = [...relus].sort((a, b) => Number(a.of !== "negatives") - Number(b.of !== "negatives"));
  const board = new Board();
  let y = 0;
  order.forEach(({ of, result }, k) => {
    if (k > 0) y += ROW_GAP;
    board.text("heading", m.reluOf(what[of]), 0, y + 14, { size: 14, bold: true });
    y = reluRow(board, result, [`S-${of}`, `ReLU-${of}`], y + 22, m);
    const check = checkOf(checks, "relu.featureMap");
    if (of === "featureMap" && check !== undefined && !check.agrees) {
      const list = result.zeroed.map(({ i, j, value }) => `S(${i}, ${j}) = ${fmt(value)}`).join(", ");
      y = board.paragraph("misprint", `✗ §2.2 ${m.reluWrong(list)}`, 0, y + 4, noteWidth(board), {
        color: THEORY_COLORS.misprint,
      });
    }
  });
  y = board.paragraph("note", w.negativesLegend, 0, y + 10, noteWidth(board), { color: THEORY_COLORS.muted });
  sourceNote(board, example, m, y + 4, noteWidth(board));
  return new Figure(boardSpec(board, m.reluTitle, "ReLU(x) = max(0, x)"), "relu");
}

/** The colour of pooling window (i, j): the four colours in a 2×2 pattern, so neighbours always differ. */
const poolColor = (i: number, j: number) => THEORY_COLORS.pool[(i % 2) * 2 + (j % 2)];

/** A pooling row: the map with every window outlined in its colour and its largest values circled → the output. */
function poolPieces(pool: PoolResult, panels: [string, string], label: string, words: Words): Piece[] {
  // On a map too large to write its values, only the first window is outlined: hundreds of frames hide the map.
  const windows = written(pool.input) ? pool.windows : pool.windows.slice(0, 1);
  const frames = windows.map((x): FrameMark => ({
    role: "pool-window",
    i: x.row,
    j: x.col,
    rows: pool.size,
    cols: pool.size,
    color: poolColor(x.i, x.j),
    inset: 2,
    width: 3,
  }));
  // Every cell of a window equal to maxPool2d's output for it: the winner (both copies on a tie).
  const circles = (written(pool.input) ? windows : []).flatMap((x) =>
    x.window.flatMap((row, a) =>
      row.flatMap((v, b) => (v === x.max ? [{ i: x.row + a, j: x.col + b, color: poolColor(x.i, x.j) }] : [])),
    ),
  );
  const outFrames = windows.map((x): FrameMark => ({
    role: "pool-window",
    i: x.i,
    j: x.j,
    color: poolColor(x.i, x.j),
    inset: 2,
    width: 3,
  }));
  return [
    { kind: "matrix", panel: panels[0], label, matrix: pool.input, frames, circles },
    { kind: "arrow", label: words.pool(pool.size, pool.stride) },
    { kind: "matrix", panel: panels[1], label: words.pooled, matrix: pool.output, frames: outFrames },
  ];
}

/**
 * §2.3's figure: the 4×4 map, each 2×2 window (stride 2) outlined in its own colour with its largest value circled,
 * and the 2×2 output of maxPool2d, each cell framed in its window's colour; each window's max(…) written below.
 */
export function poolingFigure(lang: Lang, example: ExplainInput = {}): Figure {
  const m = messages(lang);
  const w = FIGURE_WORDS[lang];
  const { pool } = topicOf(explain(["pool"], example), "pool");
  const board = new Board();
  const [h, wd] = [pool.input.length, pool.input[0].length];
  let y = drawRow(board, poolPieces(pool, ["map", "pooled"], w.map(h, wd), w), 0, 0) + 12;
  const intro = m.poolIntro(pool.size, pool.stride, h, wd, pool.output.length, pool.output[0].length);
  y = board.paragraph("note", intro, 0, y, noteWidth(board));
  if (pool.windows.length <= 16) {
    for (const x of pool.windows) {
      const values = x.window.flat().map(fmt).join(", ");
      const line = m.poolWindow(x.i, x.j, span(x.row, pool.size), span(x.col, pool.size), values, x.max);
      y = board.paragraph("note", `■ ${line}`, 0, y + 2, noteWidth(board), { color: poolColor(x.i, x.j), bold: true });
    }
  }
  y = board.paragraph("note", w.winnersLegend, 0, y + 8, noteWidth(board), { color: THEORY_COLORS.muted });
  if (!isCustom(example)) y = board.paragraph("note", m.poolAssumed, 0, y + 2, noteWidth(board));
  sourceNote(board, example, m, y + 4, noteWidth(board));
  const formula = `P(i, j) = max(I(${pool.stride}i : ${pool.stride}i + ${pool.size}, ${pool.stride}j : ${pool.stride}j + ${pool.size}))`;
  return new Figure(boardSpec(board, m.poolTitle, formula), "pooling");
}

/** The end of a pipeline row: x → y = Wx + b → the verdict. */
function fcPieces(prefix: string, fc: FcResult, m: Messages, w: Words, base: number): Piece[] {
  const decision = fc.decision;
  const frames: FrameMark[] = [{ role: "verdict", i: decision, j: 0, color: THEORY_COLORS.verdict, inset: 2 }];
  return [
    { kind: "arrow", label: w.fc },
    {
      kind: "matrix",
      panel: `${prefix}/y`,
      label: "y",
      matrix: fc.y.map((v) => [v]),
      base,
      rowNames: fc.y.map((_, o) => `"${m.classes[o] ?? fc.classes[o]}"`),
      frames,
    },
    { kind: "arrow", label: w.argmax },
    { kind: "verdict", label: w.verdict, text: `"${m.classes[decision] ?? fc.classes[decision]}"` },
  ];
}

/**
 * §3's figure, image → conv → ReLU → pool → FC → "7". First the tutorial's own examples one after another, as its
 * summary tells them: the "7" convolved and ReLU'd, then (a dashed seam: not a computation) the 4×4 map §2.3
 * assumes, pooled to 2×2, flattened to x and through §2.4's W and b to y = [2.4, −0.5] and the verdict "7". Then the
 * chain that really runs end to end on the "7" (padding 1, so that the pooled map has the 4 numbers W needs), as
 * `convlab explain pipeline` computes it.
 */
export function pipelineFigure(lang: Lang, example: ExplainInput = {}): Figure {
  const m = messages(lang);
  const w = FIGURE_WORDS[lang];
  const custom = isCustom(example);
  const explanation = explain(custom ? ["pipeline"] : ["relu", "pool", "fc", "pipeline"], example);
  const { pipeline } = topicOf(explanation, "pipeline");
  const board = new Board();
  // Small cells and gaps: the chain has 7 steps, and should still fit a page's width.
  const base = 28;
  const gap = 8;
  const small = (panel: string, label: string, matrix: Matrix, frames: FrameMark[] = []): MatrixPiece => ({
    kind: "matrix",
    panel,
    label,
    matrix,
    frames,
    base,
  });
  const negatives = (result: ReluResult) => negativeMarks(result, 2);
  let y = 0;
  if (!custom) {
    const { relus } = topicOf(explanation, "relu");
    const ofMap = relus.find((r) => r.of === "featureMap")?.result;
    const { pool } = topicOf(explanation, "pool");
    const { fc } = topicOf(explanation, "fc");
    if (ofMap === undefined) throw new Error("theory figures: explain() gave no ReLU of the feature map");
    board.text("heading", w.tutorialChain, 0, y + 14, { size: 14, bold: true });
    y = drawRow(
      board,
      [
        small("tutorial/I", "I", pipeline.conv.image),
        { kind: "arrow", label: w.conv(0, 1) },
        small("tutorial/S", "S", ofMap.input, negatives(ofMap)),
        { kind: "arrow", label: "ReLU" },
        small("tutorial/ReLU", "ReLU(S)", ofMap.output, negatives(ofMap)),
        { kind: "arrow", label: w.assumed, dashed: true },
        small("tutorial/map", w.map(pool.input.length, pool.input[0].length), pool.input),
        { kind: "arrow", label: w.pool(pool.size, pool.stride) },
        small("tutorial/P", "P", pool.output),
        { kind: "arrow", label: w.flatten },
        small("tutorial/x", "x", [fc.x]),
        ...fcPieces("tutorial", fc, m, w, base),
      ],
      0,
      y + 22,
      gap,
    );
    y = board.paragraph("note", w.seam, 0, y + 10, noteWidth(board), { color: THEORY_COLORS.muted });
    y += ROW_GAP;
  }
  const { conv, relu, pool, flat, fc } = pipeline;
  board.text("heading", custom ? m.customTitle : w.realChain, 0, y + 14, { size: 14, bold: true });
  const chain: Piece[] = [
    small("chain/I", "I", conv.image),
    { kind: "arrow", label: w.conv(conv.padding, conv.stride) },
    small("chain/S", "S", relu.input, negatives(relu)),
    { kind: "arrow", label: "ReLU" },
    small("chain/ReLU", "ReLU(S)", relu.output, negatives(relu)),
    { kind: "arrow", label: w.pool(pool.size, pool.stride) },
    small("chain/P", "P", pool.output),
    { kind: "arrow", label: w.flatten },
    flat.length <= 16 ? small("chain/x", "x", [flat]) : { kind: "text", text: w.flatCount(flat.length) },
    ...(fc === null ? [] : fcPieces("chain", fc, m, w, base)),
  ];
  y = drawRow(board, chain, 0, y + 22, gap);
  const note = custom
    ? m.pipelineCustom
    : m.pipelineHow(
        conv.featureMap.length - 2 * conv.padding,
        pipeline.unpaddedPoolSize,
        conv.featureMap.length,
        pool.output.length,
      );
  y = board.paragraph("note", note, 0, y + 10, noteWidth(board));
  if (fc === null) y = board.paragraph("note", w.noFc(flat.length), 0, y + 2, noteWidth(board));
  if (fc !== null) {
    const line = fc.y.map((v, o) => `y${o} = ${fmt(v)}`).join(", ");
    y = board.paragraph("note", `y = Wx + b = ${vec(fc.y)} (${line})`, 0, y + 2, noteWidth(board), { bold: true });
  }
  y = board.paragraph("note", w.negativesLegend, 0, y + 6, noteWidth(board), { color: THEORY_COLORS.muted });
  sourceNote(board, example, m, y + 4, noteWidth(board));
  return new Figure(boardSpec(board, m.pipelineTitle, "image → conv → ReLU → pool → FC"), "pipeline");
}

/** The file names of the figures, in the tutorial's order (§2.1, §2.2, §2.3, §3). */
export const THEORY_FIGURES = ["convolution", "relu", "pooling", "pipeline"] as const;
export type TheoryFigureName = (typeof THEORY_FIGURES)[number];

/** The four figures of the tutorial's theory part, in its order, in `lang`. */
export function theoryFigures(lang: Lang, example: ExplainInput = {}): Figure[] {
  return [
    convolutionFigure(lang, example),
    reluFigure(lang, example),
    poolingFigure(lang, example),
    pipelineFigure(lang, example),
  ];
}

/**
 * The figures of one `explain` topic: conv → convolution, relu → relu, pool → pooling, pipeline and fc (its last
 * step) → pipeline, "all" → the four; padding has none (the tutorial draws none), so `[]`.
 */
export function theoryFiguresOf(topic: Topic | "all", lang: Lang, example: ExplainInput = {}): Figure[] {
  switch (topic) {
    case "all":
      return theoryFigures(lang, example);
    case "conv":
      return [convolutionFigure(lang, example)];
    case "padding":
      return [];
    case "relu":
      return [reluFigure(lang, example)];
    case "pool":
      return [poolingFigure(lang, example)];
    case "fc":
    case "pipeline":
      return [pipelineFigure(lang, example)];
  }
}
