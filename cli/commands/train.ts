import { basename, join } from "node:path";
import { existsSync, rmSync } from "node:fs";
import { DataLoader } from "../../src/data/dataloader.js";
import { SpecModel, type ModelSpec } from "../../src/models/spec.js";
import { SGD } from "../../src/optim/sgd.js";
import { defaultGenerator, manualSeed } from "../../src/tensor/random.js";
import { evaluate, NonFiniteLossError, trainEpoch, type EvalResult } from "../../src/train/loop.js";
import { encodeCheckpoint, restoreCheckpoint, type TrainingState } from "../../src/train/checkpoint.js";
import type { MnistDataset } from "../../src/data/mnist.js";
import { writeFileAtomic } from "../../src/node/atomic.js";
import { loadSafetensorsFile, saveSafetensorsFile } from "../../src/node/safetensors-file.js";
import { getBackend } from "../../src/kernels/registry.js";
import { wasmThreads } from "../../src/kernels/wasm/index.js";
import { loadSplit, type DataFlags } from "../data.js";
import { epochProgress } from "../progress.js";
import { checkMnist, chooseModel, modelMetadata, shortName, type ModelChoice } from "../../src/node/model-file.js";
import { writeRunReport, type ReportFiles } from "../../src/node/run-report.js";
import type { ReportLang } from "../../src/report/types.js";
import { localeLang } from "../options.js";
import { CliError, cliMessages, type CliMessages } from "../messages.js";
import {
  CHECKPOINT_FILE,
  FAILED_FILE,
  METRICS_FILE,
  MODEL_FILE,
  checkpointInfo,
  checkpointMetadata,
  checkSameConfig,
  type CheckpointInfo,
  type FailureInfo,
  type RunConfig,
} from "../run-folder.js";

export interface TrainFlags extends DataFlags {
  /** A preset (seed, conv3) or the path of a model spec file (.json). */
  arch: string;
  epochs: number;
  lr: number;
  momentum: number;
  batchSize: number;
  seed: number;
  out?: string;
  json: boolean;
  progress: boolean;
  /** Language of the console lines and the run report; default from the locale (LC_ALL, LC_MESSAGES, LANG). */
  lang?: ReportLang;
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  seconds: number;
  /** Every batch's loss, in order: the report's per-batch curve. Absent in metrics.json files of older versions. */
  batchLosses?: number[];
}

/** What `metrics.json` holds: the run's settings, each epoch's mean loss and time, and the test result. */
export interface RunMetrics {
  config: Omit<TrainFlags, "json" | "progress" | "out" | "lang"> & {
    backend: string;
    threads: number;
    optimizer: string;
    /** For `--arch FILE.json`: the spec trained, as read from the file. */
    spec?: ModelSpec;
  };
  epochs: EpochMetrics[];
  test: Omit<EvalResult, "confusion"> & { confusion: number[][] };
  parameters: number;
  seconds: number;
  /** The process's peak resident memory so far, in MB. */
  peakRssMB: number;
}

/** How a sweep runs `train`; a plain `convlab train` uses none of it. */
export interface TrainOptions {
  /** The training and test sets, already loaded (a sweep reads MNIST once for all its runs). */
  data?: { train: MnistDataset; test: MnistDataset };
  /** On a diverging loss, write failed.json in the run folder, so sweep reruns and `convlab runs` know of it. */
  recordFailure?: boolean;
  /** Print nothing, not even the `--json` object (a sweep with --json prints one object for all runs). */
  quiet?: boolean;
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
  const { json: _json, progress: _progress, out: _out, lang: _lang, ...config } = flags;
  return {
    ...config,
    backend: getBackend(),
    threads: getBackend() === "wasm" ? wasmThreads() : 1,
    optimizer: "SGD",
    ...(choice.specFile !== undefined ? { spec: choice.spec } : {}),
  };
}

/**
 * Continues from `out`'s checkpoint, if there is one: restores the weights, the momentum buffers and the global
 * generator (so the next epoch shuffles as an uninterrupted run would) and returns what the checkpoint recorded.
 * A checkpoint made with other settings is refused, naming the setting.
 */
function resumeFrom(out: string, training: TrainingState, config: RunConfig): CheckpointInfo | undefined {
  const path = join(out, CHECKPOINT_FILE);
  if (!existsSync(path)) return undefined;
  const content = loadSafetensorsFile(path);
  const info = checkpointInfo(content.metadata, path);
  checkSameConfig(out, "checkpoint", info.config, config);
  restoreCheckpoint(content, training);
  return info;
}

/**
 * The tutorial's exercise: train the model (a preset or a spec file) with SGD(momentum) on shuffled batches, print each epoch's mean loss,
 * then the test accuracy; save `metrics.json` and `model.safetensors` in the run folder. The files are written only
 * when training succeeded, each atomically, so a failed or interrupted run leaves no half-written output.
 *
 * After each epoch, `checkpoint.safetensors` (see src/train/checkpoint.ts and {@link CheckpointInfo}) holds the
 * weights, the optimizer's buffers, the generator state, the settings and the metrics so far. Rerunning with the same
 * `--out` and settings resumes after the last saved epoch and ends with the same weights as an uninterrupted run
 * (bit for bit on the ref backend, or wasm with --threads 1). The checkpoint is removed when the run has finished:
 * model.safetensors then holds the final weights, and a finished run is not resumed.
 */
export async function trainCommand(flags: TrainFlags, options: TrainOptions = {}): Promise<RunMetrics> {
  const lang = flags.lang ?? localeLang();
  const m = cliMessages(lang);
  const say = (line: string) => {
    if (!flags.json && options.quiet !== true) console.log(line);
  };
  // A spec that is invalid or does not fit MNIST fails here, before any data is read or weight drawn.
  const choice = chooseModel(flags.arch);
  checkMnist(choice);
  const out = flags.out ?? defaultOutDir(flags, choice);
  if (existsSync(join(out, MODEL_FILE))) {
    throw new CliError("alreadyTrained", [out]);
  }
  const [trainSet, testSet] =
    options.data !== undefined
      ? [options.data.train, options.data.test]
      : await Promise.all([loadSplit(flags, true, flags.json), loadSplit(flags, false, flags.json)]);

  // Same order of random draws as the tutorial's script after torch.manual_seed: model init, then each epoch's order.
  manualSeed(flags.seed);
  const model = new SpecModel(choice.spec);
  const optimizer = new SGD(model.parameters(), { lr: flags.lr, momentum: flags.momentum });
  const trainLoader = new DataLoader(trainSet, { batchSize: flags.batchSize, shuffle: true });
  const testLoader = new DataLoader(testSet, { batchSize: 64, shuffle: false }); // the tutorial's test_loader

  const config = runConfig(flags, choice);
  const training: TrainingState = { model, optimizer, generator: defaultGenerator };
  const resumed = resumeFrom(out, training, config);
  if (resumed !== undefined) say(m.train.resuming(out, resumed.epoch, flags.epochs));
  // A resumed run reports its total time: the checkpoint's seconds count as already spent.
  const start = performance.now() - 1000 * (resumed?.seconds ?? 0);
  const epochs: EpochMetrics[] = resumed?.epochs ?? [];
  try {
    for (let epoch = (resumed?.epoch ?? 0) + 1; epoch <= flags.epochs; epoch++) {
      const progress = epochProgress(epoch, flags.epochs, trainLoader.length, flags.progress && !flags.json, lang);
      let result;
      try {
        result = trainEpoch(model, trainLoader, optimizer, epoch, (r) => progress.update(r.batch, r.loss, r.examples));
      } finally {
        progress.stop();
      }
      epochs.push({ epoch, loss: result.loss, seconds: result.seconds, batchLosses: result.batchLosses });
      say(m.train.epoch(epoch, result.loss, result.seconds));
      const info = checkpointMetadata({ epoch, config, epochs, seconds: (performance.now() - start) / 1000 });
      const checkpoint = encodeCheckpoint(training, { ...modelMetadata(choice), ...info });
      saveSafetensorsFile(join(out, CHECKPOINT_FILE), checkpoint.tensors, checkpoint.metadata);
    }
  } catch (error) {
    if (options.recordFailure === true && error instanceof NonFiniteLossError) {
      const failure: FailureInfo = { message: error.message, config, epochs };
      writeFileAtomic(join(out, FAILED_FILE), JSON.stringify(failure, null, 2) + "\n");
    }
    throw error;
  }
  const test = evaluate(model, testLoader);
  say(m.train.testAccuracy(test.accuracy));

  const metrics: RunMetrics = {
    config,
    epochs,
    test,
    parameters: model.numParameters(),
    seconds: (performance.now() - start) / 1000,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  saveSafetensorsFile(join(out, MODEL_FILE), model.stateDict(), modelMetadata(choice));
  writeFileAtomic(join(out, METRICS_FILE), JSON.stringify(metrics, null, 2) + "\n");
  // Only now, with both files in place: a crash before this line leaves a resumable checkpoint.
  rmSync(join(out, CHECKPOINT_FILE), { force: true });
  rmSync(join(out, FAILED_FILE), { force: true });
  say(m.train.saved(join(out, MODEL_FILE), join(out, METRICS_FILE)));
  for (const line of reportLines(m, await writeRunReport(out, { metrics, model, testSet, lang }))) say(line);
  if (flags.json && options.quiet !== true) console.log(JSON.stringify({ out, ...metrics }));
  return metrics;
}
