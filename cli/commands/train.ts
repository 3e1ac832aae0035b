import { basename, join } from "node:path";
import { existsSync } from "node:fs";
import type { MnistDataset } from "../../src/data/mnist.js";
import { firstExamples } from "../../src/data/subset.js";
import { getBackend } from "../../src/kernels/registry.js";
import { wasmThreads } from "../../src/kernels/wasm/index.js";
import { FolderStorage } from "../../src/node/run-storage.js";
import { checkMnist, chooseModel, shortName, type ModelChoice } from "../../src/node/model-file.js";
import type { ReportFiles } from "../../src/node/run-report.js";
import type { ReportLang } from "../../src/report/types.js";
import {
  METRICS_FILE,
  MODEL_FILE,
  type RunConfig,
  type RunMetrics,
  type TrainSettings,
} from "../../src/train/run-files.js";
import { trainRun, type RunEvent, type TrainRunResult } from "../../src/train/run.js";
import { loadSplit, type DataFlags } from "../data.js";
import { epochProgress, pictureProgress, type EpochProgress } from "../progress.js";
import { localeLang } from "../options.js";
import { CliError, cliMessages, type CliMessages } from "../messages.js";
import { checkSameConfig } from "../run-folder.js";

export type { EpochMetrics, RunMetrics } from "../../src/train/run-files.js";

/** The flags of `convlab train`: the training settings (`arch` may name a spec file), the data's, and the output's. */
export interface TrainFlags extends DataFlags, TrainSettings {
  /** Train on the first N training images only (0 or absent: all); recorded in the run's config when set. */
  trainLimit?: number;
  out?: string;
  json: boolean;
  progress: boolean;
  /** Language of the console lines and the run report; default from the locale (LC_ALL, LC_MESSAGES, LANG). */
  lang?: ReportLang;
}

/** How a sweep runs `train`; a plain `convlab train` uses none of it. */
export interface TrainOptions {
  /** The training and test sets, already loaded (a sweep reads MNIST once for all its runs). */
  data?: { train: MnistDataset; test: MnistDataset };
}

function defaultOutDir(flags: TrainFlags, choice: ModelChoice): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return join("runs", `${stamp}-${shortName(choice)}-lr${flags.lr}-e${flags.epochs}-s${flags.seed}`);
}

/**
 * The closing lines of `train` and `sweep`: the report page and, one picture a line, its SVG and PNG,
 * named in their folder.
 */
export function reportLines(m: CliMessages, files: ReportFiles): string[] {
  return [m.report(files.html), ...files.pictures.map((picture) => `  ${picture.map((f) => basename(f)).join(", ")}`)];
}

/** The settings recorded in metrics.json and checkpoints: the flags that shape training, and what ran them. */
export function runConfig(flags: TrainFlags, choice: ModelChoice): RunConfig {
  const { json: _json, progress: _progress, out: _out, lang: _lang, trainLimit, ...config } = flags;
  return {
    ...config,
    ...(trainLimit !== undefined && trainLimit > 0 ? { trainLimit } : {}),
    backend: getBackend(),
    threads: getBackend() === "wasm" ? wasmThreads() : 1,
    optimizer: "SGD",
    ...(choice.specFile !== undefined ? { spec: choice.spec } : {}),
  };
}

/** The process's peak resident memory so far, in MB, as metrics.json records it. */
export const peakRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);

/**
 * Prints a run's events as the tutorial does: `Epoch 1, Loss: 0.2792` a line, the test accuracy, and on a terminal
 * a progress bar per epoch with images/s and ETA. `stop()` clears a bar left by an error.
 */
export function trainPrinter(
  out: string,
  lang: ReportLang,
  say: (line: string) => void,
  progress: boolean,
): { onEvent: (event: RunEvent) => void; stop: () => void } {
  const m = cliMessages(lang);
  let bar: EpochProgress | undefined;
  let epochs = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const onEvent = (event: RunEvent) => {
    switch (event.type) {
      case "start":
        epochs = event.epochs;
        if (event.resumed !== undefined) say(m.train.resuming(out, event.resumed.epoch, event.epochs));
        break;
      case "epochStart":
        bar = epochProgress(event.epoch, epochs, event.batches, progress, lang);
        break;
      case "batch":
        bar?.update(event.batch, event.loss, event.examples);
        break;
      case "epochEnd":
        stop();
        say(m.train.epoch(event.metrics.epoch, event.metrics.loss, event.metrics.seconds));
        break;
      case "test":
        if (event.final) say(m.train.testAccuracy(event.result.accuracy));
        break;
    }
  };
  return { onEvent, stop };
}

/** After a run: the files saved, then the run report (pictures and report.html) written beside them. */
export async function finishRun(
  out: string,
  result: TrainRunResult,
  testSet: MnistDataset,
  lang: ReportLang,
  say: (line: string) => void,
  progress: boolean,
): Promise<void> {
  const m = cliMessages(lang);
  say(m.train.saved(join(out, MODEL_FILE), join(out, METRICS_FILE)));
  say(m.train.drawing);
  // Vega and resvg load only now: training starts without waiting for them.
  const { writeRunReport } = await import("../../src/node/run-report.js");
  const bar = pictureProgress(progress, lang);
  let files: ReportFiles;
  try {
    files = await writeRunReport(
      out,
      { metrics: result.metrics, model: result.model, testSet, lang },
      (done, total, name) => bar.picture(done, total, name),
    );
  } finally {
    bar.stop();
  }
  for (const line of reportLines(m, files)) say(line);
}

/**
 * The tutorial's exercise (see trainRun in src/train/run.ts): train the model (a preset or a spec file) with
 * SGD(momentum) on shuffled batches, print each epoch's mean loss, then the test accuracy; save `metrics.json` and
 * `model.safetensors` in the run folder, then the report. Each file is written atomically, model and metrics only
 * when training succeeded, so a failed or interrupted run leaves no half-written output.
 *
 * After each epoch `checkpoint.safetensors` holds everything to continue: rerunning with the same `--out` and
 * settings resumes after the last saved epoch and ends with the same weights as an uninterrupted run (bit for bit
 * on the ref backend, or wasm with --threads 1). A checkpoint made with other settings is refused, naming the
 * setting.
 */
export async function trainCommand(flags: TrainFlags, options: TrainOptions = {}): Promise<RunMetrics> {
  const lang = flags.lang ?? localeLang();
  const say = (line: string) => {
    if (!flags.json) console.log(line);
  };
  // A spec that is invalid or does not fit MNIST fails here, before any data is read or weight drawn.
  const choice = chooseModel(flags.arch);
  checkMnist(choice);
  const out = flags.out ?? defaultOutDir(flags, choice);
  if (existsSync(join(out, MODEL_FILE))) {
    throw new CliError("alreadyTrained", [out]);
  }
  const [train, test] =
    options.data !== undefined
      ? [options.data.train, options.data.test]
      : await Promise.all([loadSplit(flags, true, flags.json), loadSplit(flags, false, flags.json)]);

  const config = runConfig(flags, choice);
  const printer = trainPrinter(out, lang, say, flags.progress && !flags.json);
  let result: TrainRunResult;
  try {
    result = await trainRun({
      choice,
      config,
      data: { train: firstExamples(train, flags.trainLimit), test },
      storage: new FolderStorage(out),
      onEvent: printer.onEvent,
      resume: (saved) => {
        checkSameConfig(out, "checkpoint", saved.config, config);
        return true;
      },
      peakMemoryMB: peakRssMB,
    });
  } finally {
    printer.stop();
  }
  await finishRun(out, result, test, lang, say, flags.progress && !flags.json);
  if (flags.json) console.log(JSON.stringify({ out, ...result.metrics }));
  return result.metrics;
}
