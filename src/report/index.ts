/**
 * Pictures of a training run as Vega-Lite specs: pure functions from numbers to chart descriptions, browser-safe.
 * Rendering them to SVG/PNG files lives in `src/node/render.ts`; the run and sweep reports in `src/node/run-report.ts`.
 */
export type { ChartSpec, Panel, Plane, Prediction, ReportLang, ReportMetrics } from "./types.js";
export { reportMessages, type ReportMessages } from "./messages.js";
export { imageGridSpec, imageGridView, WRONG_COLOR, type GridColor, type GridOptions } from "./image-grid.js";
export { ema, EMA_ALPHA, lossPoints, lossSpec, lossComparisonSpec } from "./loss.js";
export { confusionSpec } from "./confusion.js";
export {
  columnsFor,
  predictionsSpec,
  confidentlyWrongSpec,
  featureMapsSpec,
  featurePairSpec,
  kernelsSpec,
  type FeatureInput,
} from "./pictures.js";
export {
  convLayers,
  featureMaps,
  featureInput,
  planes,
  kernelsOf,
  predictAll,
  predictionsAt,
  confidentlyWrong,
  imagePlane,
  type PredictionTable,
} from "./analyze.js";
export { reportHtml, escapeHtml, type ReportPage, type ReportTable, type ReportFigure } from "./html.js";
