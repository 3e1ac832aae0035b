/**
 * convlab/plot: the tutorial's pictures from your own values. Every function returns a {@link Figure}: `await
 * fig.svg()` anywhere, `await fig.png()` where a rasterizer is (Node with `convlab/node` loaded, a browser page),
 * `await fig.save("loss.png")` in Node, and inline display in Deno's Jupyter kernel. Browser-safe: no Node API.
 *
 * The charts are the ones the CLI's run reports draw (the spec builders of src/report), so a learner's plot and the
 * report's look the same.
 */
export {
  Figure,
  JUPYTER_DISPLAY,
  PlotError,
  row,
  renderSvg,
  registerRasterizer,
  registerFileWriter,
  canRasterize,
  PNG_SCALE,
  PLOT_CODES,
  type PlotErrorCode,
  type PlotErrorReason,
  type Rasterizer,
  type FileWriter,
} from "./figure.js";
export {
  lossCurve,
  imageGrid,
  predictions,
  featureMaps,
  kernels,
  confusionMatrix,
  confusionOf,
  type TextOptions,
  type LossRun,
  type ImageGridOptions,
  type PredictionsOptions,
  type FeatureMapsOptions,
  type KernelsOptions,
  type ConfusionOptions,
} from "./figures.js";
export { heatmap, heatmapSpec, type HeatmapOptions, type HeatmapColor, type HeatmapRegion } from "./heatmap.js";
export type { LossHistory } from "../report/loss.js";
export type { ChartSpec, Plane, ReportLang } from "../report/types.js";
export type { GridColor } from "../report/image-grid.js";
export * from "./theory.js";
export { show, type Displayable } from "./display.js";
// The run report and the sweep comparison of the CLI, built in memory (the lab page's downloads).
export {
  runReportContent,
  comparisonReportContent,
  renderReport,
  type ReportContent,
  type RunReportInput,
  type ComparedRun,
} from "../report/run-report.js";
