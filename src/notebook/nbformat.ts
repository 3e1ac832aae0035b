/**
 * The few parts of Jupyter's notebook format (nbformat 4.5) that convlab writes: Markdown and code cells, with
 * stable cell ids, for Deno's TypeScript kernel. See https://nbformat.readthedocs.io (format 4, minor 5 adds `id`).
 */

/** A cell's text, stored as nbformat's list of lines, each but the last ending in "\n". */
type Source = string[];

export interface MarkdownCell {
  cell_type: "markdown";
  id: string;
  metadata: Record<string, unknown>;
  source: Source;
}

export interface CodeCell {
  cell_type: "code";
  id: string;
  metadata: { tags?: string[] };
  source: Source;
  execution_count: null;
  outputs: unknown[];
}

export type Cell = MarkdownCell | CodeCell;

export interface Notebook {
  nbformat: 4;
  nbformat_minor: 5;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

/** Deno's Jupyter kernel as `deno jupyter --install` registers it: the notebook opens with it selected. */
export const DENO_KERNEL = {
  kernelspec: { display_name: "Deno", language: "typescript", name: "deno" },
  language_info: {
    codemirror_mode: "typescript",
    file_extension: ".ts",
    mimetype: "text/x.typescript",
    name: "typescript",
    nbconvert_exporter: "script",
    pygments_lexer: "typescript",
  },
};

function lines(text: string): Source {
  const parts = text.replace(/^\n+|\n+$/g, "").split("\n");
  return parts.map((line, i) => (i < parts.length - 1 ? `${line}\n` : line));
}

/** Builds cells with ids numbered in order ("cell-01", …), so the same inputs give the same file. */
export class NotebookBuilder {
  private readonly cells: Cell[] = [];

  private nextId(): string {
    return `cell-${String(this.cells.length + 1).padStart(2, "0")}`;
  }

  markdown(text: string): this {
    this.cells.push({ cell_type: "markdown", id: this.nextId(), metadata: {}, source: lines(text) });
    return this;
  }

  /** A code cell; `tags` as Jupyter's cell tags (papermill finds its `parameters` cell by one). */
  code(text: string, tags: string[] = []): this {
    this.cells.push({
      cell_type: "code",
      id: this.nextId(),
      metadata: tags.length > 0 ? { tags } : {},
      source: lines(text),
      execution_count: null,
      outputs: [],
    });
    return this;
  }

  build(metadata: Record<string, unknown> = {}): Notebook {
    return { nbformat: 4, nbformat_minor: 5, metadata: { ...DENO_KERNEL, ...metadata }, cells: [...this.cells] };
  }
}

/** The notebook as its .ipynb text: JSON with one-space indentation, as Jupyter writes it, and a final newline. */
export function notebookJson(notebook: Notebook): string {
  return `${JSON.stringify(notebook, null, 1)}\n`;
}
