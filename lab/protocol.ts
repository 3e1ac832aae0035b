// The messages between the page and its training worker (train-worker.ts), and the homework's runs they name. Everything the worker sends is plain
// data (structured clone), computed by the same core as the CLI: trainRun, runSweep, the report's analysis.
import type { Plane, Prediction } from "../src/report/types.js";
import type { RunEvent } from "../src/train/run.js";
import type { RunMetrics, RunRow, TrainSettings } from "../src/train/run-files.js";
import { HOMEWORK, type GridPoint } from "../src/train/sweep-plan.js";

/** What the page asks a run for: the tutorial's settings, and optionally fewer training images for a quick run. */
export interface LabSettings extends TrainSettings {
  /** Train on the first N training images only; 0 or absent: all 60,000. */
  trainLimit?: number;
}

/**
 * The homework's runs as the page trains them: the tutorial's five, with every run's epochs times `scale` (at least
 * one), so a quick look (0.2: 1 and 2 epochs) names its runs by the epochs they really train.
 */
export function homeworkPoints(scale: number): GridPoint[] {
  return HOMEWORK.map((point) => ({ ...point, epochs: Math.max(1, Math.round(Number(point.epochs) * scale)) }));
}

export type ToWorker =
  | { type: "train"; settings: LabSettings }
  | { type: "homework"; epochsScale: number; trainLimit?: number }
  | { type: "pause" }
  | { type: "resume" }
  | { type: "stop" }
  /** Builds the report page (report.html or comparison.html) of the last run or sweep. */
  | { type: "report"; lang: "en" | "vi" };

/** The test set's picture of a model at an epoch's end: what report.html shows, as data the page draws. */
export interface EpochPictures {
  epoch: number;
  accuracy: number;
  loss: number;
  confusion: number[][];
  predictions: Prediction[];
  /** conv1's and conv2's feature maps (after ReLU) of test image 0. */
  features: { layer: string; maps: Plane[] }[];
  image: Plane;
}

export type FromWorker =
  | { type: "ready"; backend: string; threads: number; isolated: boolean; notices: string[] }
  | { type: "loading"; what: "train" | "test"; received: number }
  /** A run's event; a test event without its model, which stays in the worker. */
  | { type: "event"; event: Exclude<RunEvent, { type: "test" }> | Omit<Extract<RunEvent, { type: "test" }>, "model"> }
  | { type: "paused"; paused: boolean }
  | { type: "pictures"; pictures: EpochPictures }
  | { type: "done"; metrics: RunMetrics; safetensors: Uint8Array; arch: string }
  | { type: "runStart"; index: number; count: number; name: string; found: boolean }
  | { type: "runEnd"; index: number; row: RunRow; epochLosses: number[]; features: EpochPictures["features"] }
  | { type: "homeworkDone"; rows: RunRow[] }
  /** The job (a run, the homework) has ended, finished or failed: the worker takes the next. */
  | { type: "idle" }
  | { type: "report"; name: string; html: string }
  | { type: "error"; message: string };
