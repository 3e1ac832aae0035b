import { join } from "node:path";
import { getBackend, type BackendName } from "../kernels/registry.js";
import { wasmThreads } from "../kernels/wasm/index.js";
import { MODEL_FILE, inspectRun } from "../train/run-files.js";
import type { IdxArray } from "../data/idx.js";
import { MnistDataset } from "../data/mnist.js";
import {
  comparisonReportContent,
  renderReport,
  runReportContent,
  type ComparedRun,
  type ReportContent,
  type RunReportInput,
  type RunReportMetrics,
} from "../report/run-report.js";
import { writeFileAtomic } from "./atomic.js";
import { errorOfMessage, type ProcessErrorMessage } from "./process-error.js";
import { MNIST } from "./mnist.js";
import { loadTrainedModel } from "./model-file.js";
import { writeChart } from "./render.js";
import { FolderStorage } from "./run-storage.js";
import { processTask } from "./spawn.js";

// What a report shows is decided in src/report/run-report.ts (browser-safe: the lab page builds the same reports);
// this module writes them into run and sweep folders.
export type { RunReportMetrics } from "../report/run-report.js";

/** What a report wrote: its page, and each picture's SVG and PNG, in the page's order. */
export interface ReportFiles {
  html: string;
  pictures: [svg: string, png: string][];
}

/** Told after each picture is written: how many of how many, and its name. */
export type PictureProgress = (done: number, total: number, name: string) => void;

/** Writes `content` into `dir`: each chart as `<name>.svg` and `<name>.png`, and the page holding them inline. */
async function writeReport(dir: string, content: ReportContent, onPicture?: PictureProgress): Promise<ReportFiles> {
  const { html, figures } = await renderReport(content, (name, spec) => writeChart(dir, name, spec), onPicture);
  writeFileAtomic(join(dir, content.page), html);
  return {
    html: join(dir, content.page),
    pictures: figures.map(({ name }) => [join(dir, `${name}.svg`), join(dir, `${name}.png`)]),
  };
}

/**
 * Writes the report of a finished run into `runDir` (see runReportContent for its pictures): `report.html` and each
 * picture as SVG and PNG. Returns the paths written, in the page's order.
 */
export function writeRunReport(
  runDir: string,
  input: Omit<RunReportInput, "title">,
  onPicture?: PictureProgress,
): Promise<ReportFiles> {
  return writeReport(runDir, runReportContent({ ...input, title: runDir }), onPicture);
}

/**
 * Writes the sweep's comparison (see comparisonReportContent) into `sweepDir` as `comparison.html` and its
 * pictures, rebuilding each model from `<dir>/model.safetensors` and reading the test set the run used.
 */
export async function writeComparisonReport(
  sweepDir: string,
  runs: ComparisonRun[],
  lang: RunReportInput["lang"],
  onPicture?: PictureProgress,
): Promise<ReportFiles> {
  const testSets = new Map<string, Promise<MnistDataset>>();
  const testSetOf = (root: string) => {
    if (!testSets.has(root)) testSets.set(root, MNIST({ root, train: false }));
    return testSets.get(root)!;
  };
  const compared: ComparedRun[] = [];
  for (const run of runs) {
    const { model } = loadTrainedModel(join(run.dir, "model.safetensors"));
    compared.push({ ...run, model, testSet: await testSetOf(run.metrics.config.dataDir ?? "./data") });
  }
  return writeReport(sweepDir, comparisonReportContent(compared, lang), onPicture);
}

/**
 * What the report's process (report-process.ts) is given: a finished run's folder with its test set's IDX arrays
 * (copied over: 7.8 MB for MNIST's 10,000 images), or a sweep's folder with its finished runs (whose test sets it
 * reads); the language, and the backend with its threads.
 */
export type ReportJob = (
  | { kind: "run"; dir: string; images: IdxArray; labels: IdxArray }
  | { kind: "comparison"; dir: string; runs: ComparisonRun[] }
) & { lang: RunReportInput["lang"]; backend: BackendName; threads: number };

/** A sweep's finished run, as the comparison report takes it. */
export interface ComparisonRun {
  name: string;
  dir: string;
  metrics: RunReportMetrics;
}

/** What the report's process tells: each picture written, then the files, or the error that stopped it. */
export type RunReportMessage =
  | { type: "picture"; done: number; total: number; name: string }
  | { type: "done"; files: ReportFiles }
  | ProcessErrorMessage;

/** The report of the finished run in `dir`, from its metrics.json and model.safetensors, on `testSet`. */
export async function writeRunReportOfFolder(
  dir: string,
  testSet: MnistDataset,
  lang: RunReportInput["lang"],
  onPicture?: PictureProgress,
): Promise<ReportFiles> {
  const metrics = (await inspectRun(new FolderStorage(dir)))?.metrics;
  if (metrics === undefined) throw new Error(`${dir}: no finished run to draw the report of; this is a bug in convlab`);
  const { model } = loadTrainedModel(join(dir, MODEL_FILE));
  return writeRunReport(dir, { metrics, model, testSet, lang }, onPicture);
}

/**
 * {@link writeRunReportOfFolder} in a child process that ends with it. Drawing builds Vega scenegraphs and resvg
 * pixel buffers (native memory that V8's collector does not see: thx/resvg-js#216) that the allocator keeps after
 * they are freed, in a worker thread too: drawn in the training process, each report of a sweep left 50–150 MB
 * behind, and the sweep's later runs trained at 250–530 MB instead of ~150. A process gives all of it back when it
 * exits. Errors come back with their code and message. A test set with a transform (a function, which cannot cross
 * to another process) is drawn here instead.
 */
export function drawRunReport(
  dir: string,
  testSet: MnistDataset,
  lang: RunReportInput["lang"],
  onPicture?: PictureProgress,
): Promise<ReportFiles> {
  if (testSet.transform !== null) return writeRunReportOfFolder(dir, testSet, lang, onPicture);
  return drawInProcess({ kind: "run", dir, images: testSet.images, labels: testSet.labels, lang }, onPicture);
}

/**
 * {@link writeComparisonReport} in a child process that ends with it, as {@link drawRunReport}: its pictures run
 * every model over its test set and draw them all, which left a sweep's process at about 500 MB.
 */
export function drawComparisonReport(
  sweepDir: string,
  runs: ComparisonRun[],
  lang: RunReportInput["lang"],
  onPicture?: PictureProgress,
): Promise<ReportFiles> {
  return drawInProcess({ kind: "comparison", dir: sweepDir, runs, lang }, onPicture);
}

/** Draws `job` in report-process.ts, on this process's backend and threads. */
function drawInProcess(
  job: DistributiveOmit<ReportJob, "backend" | "threads">,
  onPicture?: PictureProgress,
): Promise<ReportFiles> {
  const threads = getBackend() === "wasm" ? wasmThreads() : 1;
  return processTask<ReportFiles, RunReportMessage>(
    "report-process",
    { ...job, backend: getBackend(), threads },
    (message, end) => {
      if (message.type === "picture") onPicture?.(message.done, message.total, message.name);
      else if (message.type === "done") end({ value: message.files });
      else end({ error: errorOfMessage(message) });
    },
    (how) => new Error(`${job.dir}: the report's process ended (${how}) before the report was done`),
  );
}

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
