import { DataLoader } from "../data/dataloader.js";
import { ConvlabError } from "../errors.js";
import type { BatchDataset } from "../data/dataset.js";
import { decodeSafetensors, encodeSafetensors } from "../io/safetensors.js";
import { modelMetadata, type ModelChoice } from "../models/choice.js";
import { checkModelSize } from "../models/limits.js";
import { SpecModel } from "../models/spec.js";
import { getBackend } from "../kernels/registry.js";
import { wasmThreads } from "../kernels/wasm/index.js";
import { SGD } from "../optim/sgd.js";
import { defaultGenerator, manualSeed } from "../tensor/random.js";
import { encodeCheckpoint, restoreCheckpoint, type TrainingState } from "./checkpoint.js";
import { RunControl } from "./control.js";
import { evaluate, NonFiniteLossError, trainNextBatch, type EvalResult } from "./loop.js";
import {
  CHECKPOINT_FILE,
  checkpointInfo,
  checkpointMetadata,
  configDifference,
  FAILED_FILE,
  METRICS_FILE,
  MODEL_FILE,
  type CheckpointInfo,
  type EpochMetrics,
  type FailureInfo,
  type RunConfig,
  type RunMetrics,
  type TrainSettings,
} from "./run-files.js";
import { writeJson, type RunStorage } from "./storage.js";

/** What a {@link trainRun} reports as it goes, in this order: start, then per epoch its batches and end, then test. */
export type RunEvent =
  | { type: "start"; epochs: number; batches: number; resumed?: CheckpointInfo }
  | { type: "epochStart"; epoch: number; batches: number }
  | {
      type: "batch";
      epoch: number;
      /** 1-based within the epoch. */
      batch: number;
      batches: number;
      loss: number;
      /** Images in this batch. */
      examples: number;
      /** Steps done in this run so far, all epochs (a resumed run counts from its checkpoint). */
      steps: number;
      /** Training images per second over this epoch so far. */
      imagesPerSecond: number;
    }
  | { type: "epochEnd"; metrics: EpochMetrics; stopped: boolean }
  /**
   * The test set's result: after each epoch with `testEachEpoch`, and always once at the end, with the model as
   * tested (to draw its pictures; it goes on training after a test that is not final).
   */
  | { type: "test"; epoch: number; result: EvalResult; final: boolean; model: SpecModel };

export interface TrainRunOptions {
  /** The model to train: a preset or a spec. */
  choice: ModelChoice;
  /** The settings (from `choice`'s arch, with what runs it); recorded in metrics.json and checkpoints. */
  config: RunConfig;
  data: { train: BatchDataset; test: BatchDataset };
  /** Where the run's files go; a checkpoint already there is resumed (see `resume`). */
  storage: RunStorage;
  /** Pause, resume and stop from outside (the page's buttons); the run lets the event loop in either way. */
  control?: RunControl;
  /**
   * What a stop does: `"test"` (default) ends training there, tests the model and saves it as the run's result;
   * `"interrupt"` throws {@link RunStoppedError} and leaves the last epoch's checkpoint, so the run resumes later
   * (a sweep's runs, which must each train to their end).
   */
  onStop?: "test" | "interrupt";
  onEvent?: (event: RunEvent) => void;
  /**
   * Decides on a checkpoint found in storage: true continues from it, false starts over (it is overwritten), and a
   * throw refuses. Default: continue when it was made with the same settings, else throw naming the setting.
   */
  resume?: (saved: CheckpointInfo) => boolean;
  /** On a diverging loss, write failed.json, so a sweep's later runs and `convlab runs` know of it. */
  recordFailure?: boolean;
  /** Test after every epoch, not only at the end (the page shows each epoch's accuracy). */
  testEachEpoch?: boolean;
  /** The process's peak memory in MB, recorded in metrics (Node's resourceUsage; browsers have none). */
  peakMemoryMB?: () => number;
}

export interface TrainRunResult {
  metrics: RunMetrics;
  model: SpecModel;
  /** The model's state dict as written to model.safetensors. */
  safetensors: Uint8Array;
  /**
   * The last epoch's checkpoint.safetensors (weights, optimizer buffers, generator, metrics so far), removed from
   * storage once the run finished: where a run with the same settings but more epochs would be after this one's
   * last epoch (a sweep's longer run continues from it). Absent when the run was stopped before its last epoch.
   */
  checkpoint?: Uint8Array;
}

/**
 * The config a run records in metrics.json and its checkpoints: its settings (with `trainLimit` only when it limits
 * anything), what runs it (backend, threads, optimizer), and for a model from a spec file, the spec itself.
 */
export function runConfigOf(
  settings: TrainSettings & Partial<Pick<RunConfig, "trainLimit" | "dataDir" | "download">>,
  choice: ModelChoice,
): RunConfig {
  const { trainLimit, ...rest } = settings;
  return {
    ...rest,
    ...(trainLimit !== undefined && trainLimit > 0 ? { trainLimit } : {}),
    backend: getBackend(),
    threads: getBackend() === "wasm" ? wasmThreads() : 1,
    optimizer: "SGD",
    ...(choice.specFile !== undefined ? { spec: choice.spec } : {}),
  };
}

/**
 * A run stopped with `onStop: "interrupt"` (code `E_RUN_STOPPED`): its storage keeps the checkpoint of its last
 * finished epoch, `epoch - 1`.
 */
export class RunStoppedError extends ConvlabError {
  constructor(
    /** The epoch that was stopped, and the batch (1-based) it was stopped after. */
    readonly epoch: number,
    readonly batch: number,
    readonly batches: number,
  ) {
    super(
      "E_RUN_STOPPED",
      `the run was stopped at epoch ${epoch}, batch ${batch}; it resumes from its last finished epoch`,
    );
  }
}

/** The tutorial's test_loader: batches of 64, in order. */
const TEST_BATCH = 64;

function defaultResume(where: string) {
  return (saved: CheckpointInfo, wanted: RunConfig): boolean => {
    const d = configDifference(saved.config, wanted);
    if (d === undefined) return true;
    throw new Error(
      `${where}: the checkpoint there was trained with ${d.flag} ${d.saved}, but this run asks for ${d.flag} ` +
        `${d.wanted}; continue it with ${d.flag} ${d.saved}, or delete ${CHECKPOINT_FILE} to start it over`,
    );
  };
}

/** Restores the checkpoint in `storage` into `training`, when there is one and `resume` accepts it. */
async function resumeFrom(
  storage: RunStorage,
  training: TrainingState,
  resume: (saved: CheckpointInfo) => boolean,
): Promise<CheckpointInfo | undefined> {
  const bytes = await storage.read(CHECKPOINT_FILE);
  if (bytes === undefined) return undefined;
  const path = `${storage.where}/${CHECKPOINT_FILE}`;
  const content = decodeSafetensors(bytes, path);
  const info = checkpointInfo(content.metadata, path);
  if (!resume(info)) return undefined;
  restoreCheckpoint(content, training);
  return info;
}

/**
 * The tutorial's exercise as a run: build the model (after `manualSeed(config.seed)`, so the weights and each epoch's
 * order are those of `torch.manual_seed`), train it with SGD(momentum) on shuffled batches for `config.epochs`, test
 * it, and write `model.safetensors` and `metrics.json` into `storage`. Browser-safe: the CLI runs it on a folder,
 * the lab page in a Web Worker on IndexedDB.
 *
 * After each epoch `checkpoint.safetensors` holds the weights, the optimizer's buffers, the generator state, the
 * settings and the metrics so far; a run started again on the same storage resumes after the last saved epoch and
 * ends with the same weights as an uninterrupted run (bit for bit on ref, or wasm on 1 thread). The checkpoint is
 * removed once model and metrics are written. A NaN or infinite loss throws {@link NonFiniteLossError} before it
 * reaches the weights (with `recordFailure`, after writing failed.json).
 */
export async function trainRun(options: TrainRunOptions): Promise<TrainRunResult> {
  const { choice, config, storage, onEvent } = options;
  const control = options.control ?? new RunControl();
  // The size check at the run's own batch size, before any memory is taken for it.
  checkModelSize(choice.trace, { batchSize: config.batchSize });
  manualSeed(config.seed);
  const model = new SpecModel(choice.spec);
  const optimizer = new SGD(model.parameters(), { lr: config.lr, momentum: config.momentum });
  const trainLoader = new DataLoader(options.data.train, { batchSize: config.batchSize, shuffle: true });
  const testLoader = new DataLoader(options.data.test, { batchSize: TEST_BATCH, shuffle: false });
  const training: TrainingState = { model, optimizer, generator: defaultGenerator };
  const decide = options.resume ?? ((saved: CheckpointInfo) => defaultResume(storage.where)(saved, config));
  const resumed = await resumeFrom(storage, training, decide);
  onEvent?.({ type: "start", epochs: config.epochs, batches: trainLoader.length, ...(resumed ? { resumed } : {}) });

  // A resumed run reports its total time: the checkpoint's seconds count as already spent.
  const start = performance.now() - 1000 * (resumed?.seconds ?? 0);
  const epochs: EpochMetrics[] = resumed?.epochs.slice() ?? [];
  let steps = (resumed?.epoch ?? 0) * trainLoader.length;
  let stoppedAt: RunMetrics["stoppedAt"];
  let firstStepSeconds: number | undefined;
  let lastCheckpoint: Uint8Array | undefined;
  try {
    for (let epoch = (resumed?.epoch ?? 0) + 1; epoch <= config.epochs && stoppedAt === undefined; epoch++) {
      onEvent?.({ type: "epochStart", epoch, batches: trainLoader.length });
      const epochStart = performance.now();
      const batchLosses: number[] = [];
      let examples = 0;
      model.train();
      const batches = trainLoader[Symbol.iterator]();
      for (;;) {
        const batch = batchLosses.length + 1;
        const step = trainNextBatch(batches, model, optimizer, (value) => {
          return new NonFiniteLossError(epoch, batch, value, config.lr);
        });
        if (step.done === true) break;
        const { loss, examples: stepExamples } = step.value;
        batchLosses.push(loss);
        firstStepSeconds ??= performance.now() / 1000;
        examples += stepExamples;
        steps++;
        const imagesPerSecond = examples / ((performance.now() - epochStart) / 1000);
        onEvent?.({
          type: "batch",
          epoch,
          batch,
          batches: trainLoader.length,
          loss,
          examples: stepExamples,
          steps,
          imagesPerSecond,
        });
        if (await control.between()) {
          if (batch === trainLoader.length && epoch === config.epochs) break; // stopped with nothing left to do
          if (options.onStop === "interrupt") throw new RunStoppedError(epoch, batch, trainLoader.length);
          stoppedAt = { epoch, batch };
          break;
        }
      }
      const metrics: EpochMetrics = {
        epoch,
        loss: batchLosses.reduce((a, v) => a + v, 0) / batchLosses.length,
        seconds: (performance.now() - epochStart) / 1000,
        batchLosses,
      };
      epochs.push(metrics);
      onEvent?.({ type: "epochEnd", metrics, stopped: stoppedAt !== undefined });
      if (stoppedAt !== undefined) break;
      const info = checkpointMetadata({ epoch, config, epochs, seconds: (performance.now() - start) / 1000 });
      const checkpoint = encodeCheckpoint(training, { ...modelMetadata(choice), ...info });
      lastCheckpoint = encodeSafetensors(checkpoint.tensors, checkpoint.metadata);
      await storage.write(CHECKPOINT_FILE, lastCheckpoint);
      if (options.testEachEpoch === true && epoch < config.epochs) {
        onEvent?.({ type: "test", epoch, result: evaluate(model, testLoader), final: false, model });
      }
    }
  } catch (error) {
    if (options.recordFailure === true && error instanceof NonFiniteLossError) {
      const failure: FailureInfo = { message: error.message, config, epochs };
      await writeJson(storage, FAILED_FILE, failure);
    }
    throw error;
  }
  const test = evaluate(model, testLoader);
  onEvent?.({ type: "test", epoch: epochs.at(-1)?.epoch ?? 0, result: test, final: true, model });

  const metrics: RunMetrics = {
    config,
    epochs,
    test,
    parameters: model.numParameters(),
    seconds: (performance.now() - start) / 1000,
    ...(options.peakMemoryMB !== undefined ? { peakRssMB: options.peakMemoryMB() } : {}),
    ...(firstStepSeconds !== undefined ? { firstStepSeconds } : {}),
    ...(stoppedAt !== undefined ? { stoppedAt } : {}),
  };
  const safetensors = encodeSafetensors(model.stateDict(), modelMetadata(choice));
  await storage.write(MODEL_FILE, safetensors);
  await writeJson(storage, METRICS_FILE, metrics);
  // Only now, with both files in place: a crash before this line leaves a resumable checkpoint.
  await storage.remove(CHECKPOINT_FILE);
  await storage.remove(FAILED_FILE);
  const finished = stoppedAt === undefined && epochs.at(-1)?.epoch === config.epochs;
  return { metrics, model, safetensors, ...(finished && lastCheckpoint ? { checkpoint: lastCheckpoint } : {}) };
}
