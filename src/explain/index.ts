/**
 * The tutorial's worked examples, computed live by the library's own ops: `explain` computes (numbers only, and
 * the tutorial's printed results checked against them), `toDocument` puts it into words in a language, and the
 * renderers turn the document into terminal text or Markdown. Browser-safe: no Node API.
 */
export { explain, allTopics, isCustom, type ExplainInput, type Explanation, type TopicResult } from "./explain.js";
export { toDocument, type Block, type MatrixView } from "./doc.js";
export { renderText, type TextOptions } from "./render-text.js";
export { renderMarkdown } from "./render-md.js";
export { ExplainInputError, parseMatrix, toMatrix } from "./matrix.js";
export { TUTORIAL } from "./examples.js";
export { LANGS, TOPICS, type Lang, type Topic, type Matrix, type Check } from "./types.js";
