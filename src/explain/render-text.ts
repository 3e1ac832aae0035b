import type { Block, MatrixView } from "./doc.js";
import { fmt } from "./format.js";
import type { Rect } from "./types.js";

export interface TextOptions {
  /** Highlight with ANSI colours (a terminal); otherwise the highlighted cells are put in [brackets]. */
  color: boolean;
}

/** Wider matrices than this are drawn as shades (an MNIST digit is 28 wide), two characters per cell. */
const SHADE_ABOVE = 16;
const SHADES = [" ", "░", "▒", "▓", "█"];

const ANSI = {
  highlight: (s: string) => `\x1b[1;7m${s}\x1b[0m`,
  good: (s: string) => `\x1b[32m${s}\x1b[0m`,
  bad: (s: string) => `\x1b[1;31m${s}\x1b[0m`,
  bold: (s: string) => `\x1b[1m${s}\x1b[0m`,
};

/** Visible width: ANSI escapes take no room. */
const ANSI_CODE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");
const width = (s: string) => s.replace(ANSI_CODE, "").length;
const padEnd = (s: string, n: number) => s + " ".repeat(Math.max(0, n - width(s)));

const inside = (rects: readonly Rect[], i: number, j: number) =>
  rects.find((r) => i >= r.row && i < r.row + r.height && j >= r.col && j < r.col + r.width);

/**
 * A matrix as lines: its label, then one line per row between │ bars, columns right-aligned. A highlighted cell is
 * shown in reverse video with colour, or else each highlighted rectangle's row is put in [brackets], so the current
 * window stays visible in a log file or a snapshot.
 */
export function matrixLines(view: MatrixView, color: boolean): string[] {
  const { matrix, highlight = [] } = view;
  const cols = matrix[0]?.length ?? 0;
  const flat = matrix.flat();
  let rows: string[];
  if (cols > SHADE_ABOVE) {
    const [lo, hi] = [Math.min(...flat), Math.max(...flat)];
    const shade = (v: number) => SHADES[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (SHADES.length - 1))];
    rows = matrix.map((r, i) =>
      r
        .map((v, j) => (color && inside(highlight, i, j) ? ANSI.highlight : (s: string) => s)(shade(v).repeat(2)))
        .join(""),
    );
    rows.push(`${SHADES.slice(1).join("")}: ${fmt(lo)} … ${fmt(hi)}`);
    rows = rows.map((r, i) => (i < matrix.length ? `│${r}│` : r));
  } else {
    const w = Math.max(...flat.map((v) => fmt(v).length));
    rows = matrix.map((r, i) => {
      const cells = r.map((v, j) => {
        const text = fmt(v).padStart(w);
        const rect = inside(highlight, i, j);
        if (rect === undefined) return ` ${text} `;
        if (color) return ` ${ANSI.highlight(text)} `;
        return `${j === rect.col ? "[" : " "}${text}${j === rect.col + rect.width - 1 ? "]" : " "}`;
      });
      return `│${cells.join("")}│`;
    });
  }
  const body = Math.max(view.label.length, ...rows.map(width));
  return [padEnd(view.label, body), ...rows.map((r) => padEnd(r, body))];
}

/** Matrices side by side, top-aligned, with each operator on the middle row of the tallest. */
export function sideBySide(items: readonly (MatrixView | string)[], color: boolean): string[] {
  const columns = items.map((item) => (typeof item === "string" ? null : matrixLines(item, color)));
  const height = Math.max(...columns.map((c) => c?.length ?? 0));
  // The operator sits on the middle row of the shortest matrix, so it stays between the rows of both neighbours.
  const shortest = Math.min(...items.map((item) => (typeof item === "string" ? Infinity : item.matrix.length)));
  const middle = 1 + Math.floor((shortest - 1) / 2);
  const blocks = columns.map((c, k) => {
    if (c !== null) return [...c, ...new Array<string>(height - c.length).fill(" ".repeat(width(c[0])))];
    const op = items[k] as string;
    return Array.from({ length: height }, (_, line) => (line === middle ? op : " ".repeat(op.length)));
  });
  return Array.from({ length: height }, (_, line) =>
    blocks
      .map((b) => b[line])
      .join("  ")
      .trimEnd(),
  );
}

function blockLines(block: Block, color: boolean): string[] {
  switch (block.kind) {
    case "heading": {
      const text = color ? ANSI.bold(block.text) : block.text;
      if (block.level === 3) return [`▸ ${text}`];
      return [text, (block.level === 1 ? "═" : "─").repeat(block.text.length)];
    }
    case "text":
      return [block.text];
    case "list":
      return block.items.map((item) => `• ${item}`);
    case "formula":
      return [`    ${block.text}`];
    case "matrices":
      return sideBySide(block.items, color).map((l) => `  ${l}`);
    case "check": {
      const mark = block.agrees ? "✓" : "✗";
      return [`${color ? (block.agrees ? ANSI.good : ANSI.bad)(mark) : mark} ${block.text}`];
    }
  }
}

/** The document as terminal text, blocks separated by blank lines. */
export function renderText(blocks: readonly Block[], options: TextOptions): string {
  return blocks.map((b) => blockLines(b, options.color).join("\n")).join("\n\n") + "\n";
}
