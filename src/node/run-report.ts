import { join } from "node:path";
import type { MnistDataset } from "../data/mnist.js";
import type { SpecModel } from "../models/spec.js";
import {
  confidentlyWrong,
  convLayers,
  featureInput,
  kernelsOf,
  planes,
  predictAll,
  predictionsAt,
} from "../report/analyze.js";
import { confusionSpec } from "../report/confusion.js";
import { reportHtml, type ReportFigure, type ReportTable } from "../report/html.js";
import { lossComparisonSpec, lossSpec } from "../report/loss.js";
import { reportMessages } from "../report/messages.js";
import {
  confidentlyWrongSpec,
  featureMapsSpec,
  featurePairSpec,
  kernelsSpec,
  predictionsSpec,
  type FeatureInput,
} from "../report/pictures.js";
import type { ChartSpec, ReportLang, ReportMetrics } from "../report/types.js";
import { writeFileAtomic } from "./atomic.js";
import { MNIST } from "./mnist.js";
import { loadTrainedModel } from "./model-file.js";
import { writeChart } from "./render.js";

/** What the reports read of a run's `metrics.json`; the CLI's `RunMetrics` fits it. */
export type RunReportMetrics = ReportMetrics & { config: { dataDir?: string } };

export interface RunReportInput {
  metrics: RunReportMetrics;
  model: SpecModel;
  testSet: MnistDataset;
  lang: ReportLang;
  /** How many of the first test images to show with their predictions (the tutorial's 5). */
  predictions?: number;
  /** The test image whose feature maps are drawn (the tutorial's `images[0]`). */
  sampleIndex?: number;
}

/** How many confidently wrong test images the report shows. */
const WRONG_SHOWN = 10;

/** The feature maps of every convolution of `model` for test image `index`. */
function featureInputs(model: SpecModel, testSet: MnistDataset, index: number): FeatureInput[] {
  return convLayers(model).map((layer) => featureInput(model, testSet, layer, index));
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The settings and results of one run as the report's tables. */
function runTables(metrics: RunReportMetrics, lang: ReportLang): ReportTable[] {
  const m = reportMessages(lang);
  const { config, test } = metrics;
  const last = metrics.epochs[metrics.epochs.length - 1];
  return [
    {
      caption: m.settings,
      head: ["", ""],
      rows: [
        ["arch", config.arch],
        ["epochs", String(config.epochs)],
        ["lr", String(config.lr)],
        ["momentum", String(config.momentum)],
        ["batch size", String(config.batchSize)],
        ["seed", String(config.seed)],
      ],
    },
    {
      caption: m.results,
      head: ["", ""],
      rows: [
        [m.testAccuracy, `${pct(test.accuracy)} (${test.correct}/${test.total})`],
        [m.testLoss, test.loss.toFixed(4)],
        [m.finalLoss, last === undefined ? "–" : last.loss.toFixed(4)],
        [m.parameters, String(metrics.parameters)],
        [m.seconds, metrics.seconds.toFixed(1)],
      ],
    },
    {
      caption: m.lossTitle,
      head: [m.epoch, m.loss, m.seconds],
      rows: metrics.epochs.map((e) => [String(e.epoch), e.loss.toFixed(4), e.seconds.toFixed(1)]),
    },
  ];
}

/** Renders each named chart into `dir` (SVG + PNG), in order, and returns them as report figures. */
async function writeCharts(dir: string, charts: [string, ChartSpec][]): Promise<ReportFigure[]> {
  const figures: ReportFigure[] = [];
  // One at a time: each render holds a whole SVG in memory, and the CPU is shared with whatever else runs.
  for (const [name, spec] of charts) figures.push({ name, svg: await writeChart(dir, name, spec) });
  return figures;
}

/** What a report wrote: its page, and each picture's SVG and PNG, in the page's order. */
export interface ReportFiles {
  html: string;
  pictures: [svg: string, png: string][];
}

/** The files of a report in `dir`: `page`, and `<name>.svg` and `<name>.png` of each figure. */
const reportFiles = (dir: string, page: string, figures: ReportFigure[]): ReportFiles => ({
  html: join(dir, page),
  pictures: figures.map(({ name }) => [join(dir, `${name}.svg`), join(dir, `${name}.png`)]),
});

/**
 * Writes the pictures of a finished run into `runDir`, each as `<name>.svg` and `<name>.png`, and `report.html`
 * holding them inline with the run's numbers:
 * - `loss`: each epoch's mean loss (the tutorial's plot), every batch's loss faint, and their moving average;
 * - `predictions`: the first N test images titled "Predicted: 7 / True: 7", wrong ones framed in red;
 * - `features-<conv>`: every channel of each convolution after ReLU, for test image `sampleIndex`;
 * - `kernels-<conv1>`: the first convolution's learned kernels with their values;
 * - `confusion`: the test confusion matrix with each class's accuracy;
 * - `wrong`: the 10 test images predicted wrong with the highest probability (absent when none is wrong).
 *
 * Returns the paths written: report.html, and each picture's SVG and PNG in the order above.
 */
export async function writeRunReport(runDir: string, input: RunReportInput): Promise<ReportFiles> {
  const { metrics, model, testSet, lang } = input;
  const m = reportMessages(lang);
  const count = Math.min(input.predictions ?? 5, testSet.length);
  const sample = input.sampleIndex ?? 0;
  const table = predictAll(model, testSet);
  const wrong = confidentlyWrong(table, testSet, WRONG_SHOWN);
  const features = featureInputs(model, testSet, sample);
  const first = convLayers(model)[0];

  const charts: [string, ChartSpec][] = [
    ["loss", lossSpec(metrics, lang)],
    ["predictions", predictionsSpec(predictionsAt(table, testSet, [...Array(count).keys()]), lang)],
    ...features.map((f): [string, ChartSpec] => [`features-${f.layer}`, featureMapsSpec(f, lang)]),
    ...(first === undefined
      ? []
      : ([[`kernels-${first}`, kernelsSpec(first, planes(kernelsOf(model, first)), lang)]] as [string, ChartSpec][])),
    ["confusion", confusionSpec(metrics.test, lang)],
    ...(wrong.length > 0 ? ([["wrong", confidentlyWrongSpec(wrong, lang)]] as [string, ChartSpec][]) : []),
  ];
  const figures = await writeCharts(runDir, charts);
  const html = reportHtml({
    lang,
    title: m.reportTitle(runDir),
    tables: runTables(metrics, lang),
    figures,
    footer: wrong.length > 0 ? m.generated : `${m.noneWrong} ${m.generated}`,
  });
  writeFileAtomic(join(runDir, "report.html"), html);
  return reportFiles(runDir, "report.html", figures);
}

/** A run folder name made safe for a file name. */
const fileSafe = (name: string) => name.replace(/[^\w.-]+/g, "_");

/**
 * Writes the sweep's comparison into `sweepDir`: `loss` (every run's epoch losses overlaid), a table of test
 * accuracy, final loss, parameters and seconds, and per run `features-<name>` (its conv1 and conv2 feature maps of
 * test image 0 side by side), rebuilding each model from `<dir>/model.safetensors`; all in `comparison.html`.
 * Returns the paths written: comparison.html, and each picture's SVG and PNG.
 */
export async function writeComparisonReport(
  sweepDir: string,
  runs: { name: string; dir: string; metrics: RunReportMetrics }[],
  lang: ReportLang,
): Promise<ReportFiles> {
  const m = reportMessages(lang);
  const testSets = new Map<string, Promise<MnistDataset>>();
  const testSetOf = (root: string) => {
    if (!testSets.has(root)) testSets.set(root, MNIST({ root, train: false }));
    return testSets.get(root)!;
  };
  const charts: [string, ChartSpec][] = [["loss", lossComparisonSpec(runs, lang)]];
  for (const run of runs) {
    const { model } = loadTrainedModel(join(run.dir, "model.safetensors"));
    const features = featureInputs(model, await testSetOf(run.metrics.config.dataDir ?? "./data"), 0);
    if (features.length === 0) continue;
    const heading = m.featuresPair(run.name, 0);
    const spec =
      features.length === 1
        ? featureMapsSpec(features[0], lang)
        : featurePairSpec(features[0], features[1], lang, heading);
    charts.push([`features-${fileSafe(run.name)}`, spec]);
  }
  const figures = await writeCharts(sweepDir, charts);
  const table: ReportTable = {
    caption: m.results,
    head: [m.run, m.testAccuracy, m.finalLoss, m.parameters, m.seconds],
    rows: runs.map(({ name, metrics }) => [
      name,
      pct(metrics.test.accuracy),
      metrics.epochs.length > 0 ? metrics.epochs[metrics.epochs.length - 1].loss.toFixed(4) : "–",
      String(metrics.parameters),
      metrics.seconds.toFixed(1),
    ]),
  };
  const html = reportHtml({ lang, title: m.comparisonTitle, tables: [table], figures, footer: m.generated });
  writeFileAtomic(join(sweepDir, "comparison.html"), html);
  return reportFiles(sweepDir, "comparison.html", figures);
}
