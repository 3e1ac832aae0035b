/**
 * Pictures of a training run as Vega-Lite specs: pure functions from numbers to chart descriptions, browser-safe.
 * The one copy of each chart: `convlab/plot` (src/plot) wraps them as Figures for users' own values and renders them
 * (SVG anywhere, PNG through a registered rasterizer); the run and sweep reports in `src/node/run-report.ts` write
 * them to files through `src/node/render.ts`, which renders with the same Figure.
 */
export type { ChartSpec, Panel, Plane, Prediction, ReportLang, ReportMetrics } from "./types.js";
export { reportMessages, type ReportMessages } from "./messages.js";
export { imageGridSpec, imageGridView, WRONG_COLOR, type GridColor, type GridOptions } from "./image-grid.js";
export { ema, EMA_ALPHA, lossPoints, lossSpec, lossComparisonSpec, type LossHistory } from "./loss.js";
export { confusionSpec, type ConfusionInput } from "./confusion.js";
export {
  columnsFor,
  predictionsSpec,
  confidentlyWrongSpec,
  featureMapsSpec,
  featurePairSpec,
  featureView,
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
