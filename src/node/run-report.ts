import { join } from "node:path";
import type { MnistDataset } from "../data/mnist.js";
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
import { MNIST } from "./mnist.js";
import { loadTrainedModel } from "./model-file.js";
import { writeChart } from "./render.js";

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
  runs: { name: string; dir: string; metrics: RunReportMetrics }[],
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
