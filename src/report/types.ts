import type { TopLevelSpec } from "vega-lite";
import type { EvalResult } from "../train/loop.js";

/** The languages of the report's labels and titles: English, and the tutorial's Vietnamese. */
export type ReportLang = "en" | "vi";

/** A Vega-Lite spec, as every builder in this folder returns it (a type import only: nothing of vega-lite is bundled). */
export type ChartSpec = TopLevelSpec;

/**
 * The part of a run's `metrics.json` (cli `RunMetrics`) that the pictures read. Kept structural, so the library does
 * not depend on the CLI, and older `metrics.json` files without `batchLosses` still draw (epoch means only).
 */
export interface ReportMetrics {
  config: { arch: string; lr: number; momentum: number; batchSize: number; epochs: number; seed: number };
  epochs: { epoch: number; loss: number; seconds: number; batchLosses?: number[] }[];
  test: EvalResult;
  parameters: number;
  seconds: number;
}

/** A 2-D picture for a grid panel: `values[r * width + c]`, row 0 at the top. */
export interface Plane {
  height: number;
  width: number;
  values: ArrayLike<number>;
}

/** One panel of an image grid: a picture with its title; `wrong` frames it in red. */
export interface Panel extends Plane {
  title: string;
  wrong?: boolean;
}

/** A test image with what the model made of it. */
export interface Prediction {
  /** Index in the test set. */
  index: number;
  label: number;
  predicted: number;
  /** Softmax probability of the predicted class. */
  probability: number;
  image: Plane;
}
