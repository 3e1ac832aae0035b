/**
 * `convlab/notebook`: the tutorial's homework as a Jupyter notebook for Deno's TypeScript kernel, and what its cells
 * use: Markdown display and draft answers written from a run's own numbers. Browser-safe: writing the file is the
 * CLI's (`convlab notebook homework`).
 */
export { homeworkNotebook, type HomeworkOptions } from "./homework.js";
export {
  NotebookBuilder,
  notebookJson,
  DENO_KERNEL,
  type Notebook,
  type Cell,
  type CodeCell,
  type MarkdownCell,
} from "./nbformat.js";
export {
  markdown,
  Markdown,
  mapStats,
  describeLosses,
  epochsDraft,
  conv3Draft,
  learningRateDraft,
  featureMapsDraft,
  type DraftLang,
  type RunResult,
  type MapStats,
} from "./drafts.js";
