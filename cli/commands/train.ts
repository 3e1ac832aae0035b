import { basename, join } from "node:path";
import type { MnistDataset } from "../../src/data/mnist.js";
import { FileWriteError } from "../../src/node/atomic.js";
import { firstExamples } from "../../src/data/subset.js";
import { FolderStorage } from "../../src/node/run-storage.js";
import { peakRssMB } from "../../src/node/peak-memory.js";
import { checkMnist, chooseModel, shortName, type ModelChoice } from "../../src/node/model-file.js";
import type { ReportFiles } from "../../src/node/run-report.js";
import type { ReportLang } from "../../src/report/types.js";
import { RunControl } from "../../src/train/control.js";
import {
  CHECKPOINT_FILE,
  METRICS_FILE,
  MODEL_FILE,
  rerunAction,
  type RunConfig,
  type RunMetrics,
  type TrainSettings,
} from "../../src/train/run-files.js";
import { RunStoppedError, runConfigOf, trainRun, type RunEvent, type TrainRunResult } from "../../src/train/run.js";
import { loadSplit, type DataFlags } from "../data.js";
import { epochProgress, pictureProgress, type EpochProgress } from "../progress.js";
import { localeLang } from "../options.js";
import { CliError, cliMessages, type CliMessages } from "../messages.js";
import { checkSameConfig, cliErrorOf, commandLine, folderNotes, openRunFolder } from "../run-folder.js";
import { Interrupted, interruptSignal, onInterruptSay, stoppable } from "../interrupt.js";

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
  const { json: _json, progress: _progress, out: _out, lang: _lang, ...settings } = flags;
  return runConfigOf(settings, choice);
}

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
  testSet: MnistDataset,
  lang: ReportLang,
  say: (line: string) => void,
  progress: boolean,
): Promise<void> {
  const m = cliMessages(lang);
  say(m.train.saved(join(out, MODEL_FILE), join(out, METRICS_FILE)));
  await drawReport(out, testSet, lang, say, progress);
}

/**
 * The run report of a finished run: its pictures, then report.html (written last, so that a report stopped
 * midway is redrawn by the next run of the same command; see rerunAction).
 */
export async function drawReport(
  out: string,
  testSet: MnistDataset,
  lang: ReportLang,
  say: (line: string) => void,
  progress: boolean,
): Promise<void> {
  const m = cliMessages(lang);
  say(m.train.drawing);
  // Drawn in a child process, from the run folder's files (see drawRunReport): the memory it takes leaves with it.
  const { drawRunReport } = await import("../../src/node/run-report.js");
  const bar = pictureProgress(progress, lang);
  let files: ReportFiles;
  try {
    files = await drawRunReport(out, testSet, lang, (done, total, name) => bar.picture(done, total, name));
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
 * The run folder is checked (a folder, writable) and locked before any data is read: a second run on the same
 * `--out` is refused at once (see openRunFolder). After each epoch `checkpoint.safetensors` holds everything to
 * continue: rerunning with the same `--out` and settings resumes after the last saved epoch and ends with the same
 * weights as an uninterrupted run (bit for bit on the ref backend, or wasm with --threads 1), and a run stopped
 * while drawing its report finishes the report. A checkpoint made with other settings is refused, naming the
 * setting; a finished run with its report is refused. Ctrl-C (with the CLI's listenForInterrupts) stops after the
 * current step, keeps the last epoch's checkpoint and says how to resume; a failed write says what was kept too.
 */
export async function trainCommand(flags: TrainFlags, options: TrainOptions = {}): Promise<RunMetrics> {
  const lang = flags.lang ?? localeLang();
  const m = cliMessages(lang);
  // A spec that is invalid or does not fit MNIST fails here, before any data is read or weight drawn.
  const choice = chooseModel(flags.arch);
  checkMnist(choice);
  const out = flags.out ?? defaultOutDir(flags, choice);
  // The command that goes on from here: a default folder is named, or the same command would start another one.
  const command = commandLine(flags.out === undefined ? ["--out", out] : []);
  const lock = openRunFolder(out, lang, command);
  const saidBefore = onInterruptSay((signal) => [m.interrupt.stopped(signal), ...folderNotes(out, m, command)]);
  try {
    return await trainInFolder(out, flags, choice, command, options);
  } catch (error) {
    if (error instanceof FileWriteError) throw cliErrorOf(error, folderNotes(out, m, command));
    throw error;
  } finally {
    onInterruptSay(saidBefore);
    lock.release();
  }
}

/** {@link trainCommand} once `out` is locked: train or resume, or finish the report of a run stopped drawing it. */
async function trainInFolder(
  out: string,
  flags: TrainFlags,
  choice: ModelChoice,
  command: string,
  options: TrainOptions,
): Promise<RunMetrics> {
  const lang = flags.lang ?? localeLang();
  const m = cliMessages(lang);
  const say = (line: string) => {
    if (!flags.json) console.log(line);
  };
  const progress = flags.progress && !flags.json;
  const storage = new FolderStorage(out);
  const config = runConfig(flags, choice);
  const testSplit = () => options.data?.test ?? loadSplit(flags, false, flags.json);
  const found = await rerunAction(storage);
  if (found.action === "finished" || found.action === "occupied") throw new CliError("alreadyTrained", [out]);
  if (found.action === "report") {
    checkSameConfig(out, "finished run", found.metrics.config, config);
    say(m.train.finishingReport(out));
    if (found.staleCheckpoint) await storage.remove(CHECKPOINT_FILE);
    await drawReport(out, await testSplit(), lang, say, progress);
    if (flags.json) console.log(JSON.stringify({ out, ...found.metrics }));
    return found.metrics;
  }

  const [train, test] =
    options.data !== undefined
      ? [options.data.train, options.data.test]
      : await Promise.all([loadSplit(flags, true, flags.json), testSplit()]);
  const printer = trainPrinter(out, lang, say, progress);
  const control = new RunControl();
  let result: TrainRunResult;
  try {
    result = await stoppable(
      () => control.stop(),
      () =>
        trainRun({
          choice,
          config,
          data: { train: firstExamples(train, flags.trainLimit), test },
          storage,
          control,
          onStop: "interrupt",
          onEvent: printer.onEvent,
          resume: (saved) => {
            checkSameConfig(out, "checkpoint", saved.config, config);
            return true;
          },
          peakMemoryMB: peakRssMB,
        }),
    );
  } catch (error) {
    const signal = interruptSignal();
    if (error instanceof RunStoppedError && signal !== undefined) {
      throw new Interrupted(signal, [m.interrupt.stopped(signal, error), ...folderNotes(out, m, command)]);
    }
    throw error;
  } finally {
    printer.stop();
  }
  // A signal during the last step or the final test: the run is saved, its report not drawn.
  const signal = interruptSignal();
  if (signal !== undefined)
    throw new Interrupted(signal, [m.interrupt.stopped(signal), ...folderNotes(out, m, command)]);
  await finishRun(out, test, lang, say, progress);
  if (flags.json) console.log(JSON.stringify({ out, ...result.metrics }));
  return result.metrics;
}
