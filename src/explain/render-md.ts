import type { Block, MatrixView } from "./doc.js";
import { fmt } from "./format.js";
import { sideBySide } from "./render-text.js";

/** One matrix as a Markdown table: column numbers on top, row numbers on the left, highlighted cells in bold. */
function table(view: MatrixView): string {
  const { matrix, highlight = [] } = view;
  const bold = (i: number, j: number) =>
    highlight.some((r) => i >= r.row && i < r.row + r.height && j >= r.col && j < r.col + r.width);
  const cols = matrix[0].map((_, j) => String(j));
  const lines = [
    `| ${view.label} | ${cols.join(" | ")} |`,
    `|---|${cols.map(() => "---:").join("|")}|`,
    ...matrix.map((r, i) => `| **${i}** | ${r.map((v, j) => (bold(i, j) ? `**${fmt(v)}**` : fmt(v))).join(" | ")} |`),
  ];
  return lines.join("\n");
}

function block(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `${"#".repeat(b.level)} ${b.text}`;
    case "text":
      return b.text;
    case "list":
      return b.items.map((item) => `- ${item}`).join("\n");
    case "formula":
      return `\`${b.text}\``;
    case "matrices": {
      // One matrix reads best as a table; several side by side (with their operators) as the aligned text layout.
      const only = b.items.length === 1 ? b.items[0] : null;
      if (only !== null && typeof only !== "string") return table(only);
      return ["```text", ...sideBySide(b.items, false), "```"].join("\n");
    }
    case "check":
      return `- ${b.agrees ? "✅" : "❌"} ${b.text}`;
  }
}

/** The document as Markdown: headings, Markdown tables for single matrices, code blocks for side-by-side ones. */
export function renderMarkdown(blocks: readonly Block[]): string {
  return blocks.map(block).join("\n\n") + "\n";
}
