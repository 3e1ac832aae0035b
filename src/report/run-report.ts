import type { MnistDataset } from "../data/mnist.js";
import type { SpecModel } from "../models/spec.js";
import { Figure } from "../plot/figure.js";
import { confidentlyWrong, convLayers, featureInput, kernelsOf, planes, predictAll, predictionsAt } from "./analyze.js";
import { confusionSpec } from "./confusion.js";
import { reportHtml, type ReportFigure, type ReportTable } from "./html.js";
import { lossComparisonSpec, lossSpec } from "./loss.js";
import { reportMessages } from "./messages.js";
import {
  confidentlyWrongSpec,
  featureMapsSpec,
  featurePairSpec,
  kernelsSpec,
  predictionsSpec,
  type FeatureInput,
} from "./pictures.js";
import type { ChartSpec, ReportLang, ReportMetrics } from "./types.js";

/** What the reports read of a run's `metrics.json`. */
export type RunReportMetrics = ReportMetrics & { config: { dataDir?: string } };

export interface RunReportInput {
  metrics: RunReportMetrics;
  model: SpecModel;
  testSet: MnistDataset;
  lang: ReportLang;
  /** The report's heading: the run folder, say. */
  title: string;
  /** How many of the first test images to show with their predictions (the tutorial's 5). */
  predictions?: number;
  /** The test image whose feature maps are drawn (the tutorial's `images[0]`). */
  sampleIndex?: number;
}

/**
 * A report before rendering: its tables and its named charts, in the page's order. Node renders each chart to
 * `<name>.svg` and `.png` beside `page` (src/node/run-report.ts); a browser renders the same charts in memory.
 */
export interface ReportContent {
  /** The HTML file's name: report.html or comparison.html. */
  page: string;
  lang: ReportLang;
  title: string;
  tables: ReportTable[];
  charts: [name: string, spec: ChartSpec][];
  footer: string;
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

/**
 * The report of a finished run (report.html):
 * - `loss`: each epoch's mean loss (the tutorial's plot), every batch's loss faint, and their moving average;
 * - `predictions`: the first N test images titled "Predicted: 7 / True: 7", wrong ones framed in red;
 * - `features-<conv>`: every channel of each convolution after ReLU, for test image `sampleIndex`;
 * - `kernels-<conv1>`: the first convolution's learned kernels with their values;
 * - `confusion`: the test confusion matrix with each class's accuracy;
 * - `wrong`: the 10 test images predicted wrong with the highest probability (absent when none is wrong).
 */
export function runReportContent(input: RunReportInput): ReportContent {
  const { metrics, model, testSet, lang } = input;
  const m = reportMessages(lang);
  const count = Math.min(input.predictions ?? 5, testSet.length);
  const table = predictAll(model, testSet);
  const wrong = confidentlyWrong(table, testSet, WRONG_SHOWN);
  const features = featureInputs(model, testSet, input.sampleIndex ?? 0);
  const first = convLayers(model)[0];
  const charts: [string, ChartSpec][] = [
    ["loss", lossSpec(metrics, lang)],
    ["predictions", predictionsSpec(predictionsAt(table, testSet, [...Array(count).keys()]), lang)],
    ...features.map((f): [string, ChartSpec] => [`features-${f.layer}`, featureMapsSpec(f, lang)]),
  ];
  if (first !== undefined) charts.push([`kernels-${first}`, kernelsSpec(first, planes(kernelsOf(model, first)), lang)]);
  charts.push(["confusion", confusionSpec(metrics.test, lang)]);
  if (wrong.length > 0) charts.push(["wrong", confidentlyWrongSpec(wrong, lang)]);
  return {
    page: "report.html",
    lang,
    title: m.reportTitle(input.title),
    tables: runTables(metrics, lang),
    charts,
    footer: wrong.length > 0 ? m.generated : `${m.noneWrong} ${m.generated}`,
  };
}

/** A run of a sweep as the comparison shows it: its name, metrics, trained model and the test set it used. */
export interface ComparedRun {
  name: string;
  metrics: RunReportMetrics;
  model: SpecModel;
  testSet: MnistDataset;
}

/** A run's name made safe for a file name. */
const fileSafe = (name: string) => name.replace(/[^\w.-]+/g, "_");

/**
 * The comparison of a sweep's finished runs (comparison.html): `loss` (every run's epoch losses overlaid), a table
 * of test accuracy, final loss, parameters and seconds, and per run `features-<name>` (its conv1 and conv2 feature
 * maps of test image 0 side by side).
 */
export function comparisonReportContent(runs: readonly ComparedRun[], lang: ReportLang): ReportContent {
  const m = reportMessages(lang);
  const charts: [string, ChartSpec][] = [["loss", lossComparisonSpec(runs, lang)]];
  for (const run of runs) {
    const features = featureInputs(run.model, run.testSet, 0);
    if (features.length === 0) continue;
    const spec =
      features.length === 1
        ? featureMapsSpec(features[0], lang)
        : featurePairSpec(features[0], features[1], lang, m.featuresPair(run.name, 0));
    charts.push([`features-${fileSafe(run.name)}`, spec]);
  }
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
  return { page: "comparison.html", lang, title: m.comparisonTitle, tables: [table], charts, footer: m.generated };
}

/**
 * Renders a report's charts (through {@link Figure}, as `fig.svg()` does) and its self-contained HTML page. A
 * `render` given replaces the rendering of each chart and means it writes each to its files (Node's reports), which
 * the page then names under each picture. Charts render one at a time, since each holds a whole SVG in memory.
 */
export async function renderReport(
  content: ReportContent,
  render?: (name: string, spec: ChartSpec) => Promise<string>,
  onChart?: (done: number, total: number, name: string) => void,
): Promise<{ html: string; figures: ReportFigure[] }> {
  const draw = render ?? ((name: string, spec: ChartSpec) => new Figure(spec, name).svg());
  const figures: ReportFigure[] = [];
  for (const [name, spec] of content.charts) {
    figures.push({ name, svg: await draw(name, spec) });
    onChart?.(figures.length, content.charts.length, name);
  }
  const html = reportHtml({
    lang: content.lang,
    title: content.title,
    tables: content.tables,
    figures,
    footer: content.footer,
    fileCaptions: render !== undefined,
  });
  return { html, figures };
}
