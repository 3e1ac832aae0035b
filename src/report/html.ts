import type { ReportLang } from "./types.js";

/** A table of numbers: a caption, the column heads, and rows of already formatted cells. */
export interface ReportTable {
  caption: string;
  head: string[];
  rows: string[][];
}

/** A picture of the report: its file name (without extension) and its SVG text. */
export interface ReportFigure {
  name: string;
  svg: string;
}

export interface ReportPage {
  lang: ReportLang;
  title: string;
  tables: ReportTable[];
  figures: ReportFigure[];
  footer: string;
  /** Whether each figure is captioned with its files (`loss.svg, loss.png`): where they were written beside it. */
  fileCaptions?: boolean;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const STYLE = `
body { font-family: "DejaVu Sans", "Liberation Sans", sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; }
table { border-collapse: collapse; margin: 1rem 0; }
caption { text-align: left; font-weight: bold; padding: 0.3rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 2rem 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #666; font-size: 0.8rem; }
footer { color: #666; font-size: 0.8rem; margin-top: 2rem; }`;

function tableHtml(table: ReportTable): string {
  const head = table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const rows = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`);
  return `<table><caption>${escapeHtml(table.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/**
 * One self-contained HTML page: the tables, then every picture as inline SVG (no scripts, no external files, no
 * network), so a run folder can be opened offline, mailed or committed as it is. The SVGs come from Vega and are
 * inserted unescaped; every other text is escaped.
 */
export function reportHtml(page: ReportPage): string {
  const caption = (name: string) =>
    page.fileCaptions === false ? "" : `<figcaption>${name}.svg, ${name}.png</figcaption>`;
  const figures = page.figures.map(
    (f) => `<figure id="${escapeHtml(f.name)}">${f.svg}${caption(escapeHtml(f.name))}</figure>`,
  );
  return [
    "<!DOCTYPE html>",
    `<html lang="${page.lang}">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(page.title)}</title><style>${STYLE}</style></head>`,
    `<body><h1>${escapeHtml(page.title)}</h1>`,
    ...page.tables.map(tableHtml),
    ...figures,
    `<footer>${escapeHtml(page.footer)}</footer></body></html>`,
    "",
  ].join("\n");
}
