import type { BatchDataset } from "../data/dataset.js";
import { decodeSafetensors, encodeSafetensors } from "../io/safetensors.js";
import type { ModelChoice } from "../models/choice.js";
import type { RunControl } from "./control.js";
import { NonFiniteLossError } from "./loop.js";
import {
  CHECKPOINT_FILE,
  checkpointInfo,
  checkpointMetadata,
  configDifference,
  inspectRun,
  runRow,
  type RunConfig,
  type RunInfo,
  type RunMetrics,
  type RunRow,
} from "./run-files.js";
import { RunStoppedError, trainRun, type RunEvent, type TrainRunOptions, type TrainRunResult } from "./run.js";
import type { RunStorage } from "./storage.js";

/** A run of a sweep, ready to go: its model and the config it records. */
export interface SweepRunPlan {
  name: string;
  choice: ModelChoice;
  config: RunConfig;
}

/** A run's line in a sweep's summary: its row, and whether this sweep trained it or found it done. */
export interface SweepRun extends RunRow {
  /** True when this invocation trained (or resumed) it; false when it was found finished or failed before. */
  trained: boolean;
}

/**
 * What {@link runSweep} reports: a run begins (found done, or to train; or to continue from an earlier run of the
 * sweep that is its first epochs), a run's own events, a run ends.
 */
export type SweepEvent =
  | {
      type: "runStart";
      index: number;
      count: number;
      name: string;
      found?: RunInfo;
      /** The earlier run this one continues after its last epoch, `epoch`: see {@link runSweep}. */
      continues?: { name: string; epoch: number };
    }
  | { type: "run"; index: number; name: string; event: RunEvent }
  | { type: "runFailed"; index: number; name: string; message: string }
  | { type: "runEnd"; index: number; name: string; row: SweepRun; result?: TrainRunResult };

export interface SweepOptions {
  runs: readonly SweepRunPlan[];
  /** Each run's storage, by name (a folder per run, an IndexedDB prefix per run). */
  storageFor: (name: string) => RunStorage;
  /** Read once, shared by every run. */
  data: { train: BatchDataset; test: BatchDataset };
  control?: RunControl;
  onEvent?: (event: SweepEvent) => void;
  /**
   * Checks that a run found finished (or failed) was made with the run's settings; default: throw naming the
   * setting. The CLI throws its own, translated error.
   */
  checkFound?: (info: RunInfo, wanted: RunConfig) => void;
  /** Called after each run this sweep trains, before the next starts (the CLI writes the run's report). */
  afterRun?: (plan: SweepRunPlan, result: TrainRunResult, storage: RunStorage) => Promise<void>;
  /** Passed on to each {@link trainRun}. */
  train?: Pick<TrainRunOptions, "testEachEpoch" | "peakMemoryMB" | "resume">;
}

function defaultCheckFound(info: RunInfo, wanted: RunConfig): void {
  const d = configDifference(info.config, wanted);
  if (d === undefined) return;
  throw new Error(
    `${info.dir}: the run there was trained with ${d.flag} ${d.saved}, but this sweep asks for ${d.flag} ${d.wanted}; ` +
      `delete it to train it again`,
  );
}

/** A run this sweep trained to its last epoch: its settings, and its last checkpoint (TrainRunResult.checkpoint). */
interface TrainedRun {
  name: string;
  config: RunConfig;
  checkpoint: Uint8Array;
}

/**
 * The trained run whose training is the first epochs of a run of `config`: the same settings but fewer epochs (the
 * most such), or none.
 */
function headOf(config: RunConfig, trained: readonly TrainedRun[]): TrainedRun | undefined {
  const heads = trained.filter(
    (run) =>
      run.config.epochs < config.epochs &&
      configDifference(run.config, { ...config, epochs: run.config.epochs }) === undefined,
  );
  return heads.sort((a, b) => b.config.epochs - a.config.epochs)[0];
}

/**
 * `head`'s last checkpoint made the checkpoint a run of `config` writes after the same epoch: the same bytes for the
 * weights, the optimizer and the generator, with `config` as the settings.
 */
function continuedCheckpoint(head: TrainedRun, config: RunConfig): { bytes: Uint8Array; epoch: number } {
  const where = `${head.name}'s last checkpoint`;
  const { tensors, metadata } = decodeSafetensors(head.checkpoint, where);
  const info = checkpointInfo(metadata, where);
  return {
    bytes: encodeSafetensors(tensors, { ...metadata, ...checkpointMetadata({ ...info, config }) }),
    epoch: info.epoch,
  };
}

/**
 * Trains each run of a sweep in its own storage, in order, and returns their rows. A run that differs from a run the
 * sweep trained before it only by more epochs (the homework's 10 epochs after the tutorial's 5) continues from that
 * run's last checkpoint instead of training the same epochs again: it ends as if trained from the start (bit for bit
 * with the same backend and threads, as a resumed run does), and its metrics hold the earlier run's epochs and
 * seconds. Resumable: a run already finished (or failed) with the same settings is not trained again, an interrupted
 * run continues from its checkpoint, so running an identical sweep again trains nothing. A run whose loss diverges
 * is recorded as failed and the sweep goes on. A stop (through `control`) interrupts the run in progress (it keeps its
 * last epoch's checkpoint, and resumes from it when the sweep runs again) and ends the sweep: the rows are those of
 * the runs done so far.
 */
export async function runSweep(options: SweepOptions): Promise<SweepRun[]> {
  const { runs, onEvent } = options;
  const checkFound = options.checkFound ?? defaultCheckFound;
  const rows: SweepRun[] = [];
  const trained: TrainedRun[] = [];
  for (const [index, plan] of runs.entries()) {
    if (options.control?.stopped === true) break;
    const storage = options.storageFor(plan.name);
    const before = await inspectRun(storage);
    const found = before !== undefined && before.status !== "interrupted" ? before : undefined;
    const head = before === undefined ? headOf(plan.config, trained) : undefined;
    const continued = head && continuedCheckpoint(head, plan.config);
    onEvent?.({
      type: "runStart",
      index,
      count: runs.length,
      name: plan.name,
      ...(found ? { found } : {}),
      ...(head && continued ? { continues: { name: head.name, epoch: continued.epoch } } : {}),
    });
    // After runStart, which the CLI answers by locking the run's folder.
    if (continued !== undefined) await storage.write(CHECKPOINT_FILE, continued.bytes);
    let result: TrainRunResult | undefined;
    let stopped = false;
    if (found !== undefined) {
      checkFound(found, plan.config);
    } else {
      try {
        result = await trainRun({
          ...options.train,
          choice: plan.choice,
          config: plan.config,
          data: options.data,
          storage,
          control: options.control,
          onStop: "interrupt",
          recordFailure: true,
          onEvent: (event) => onEvent?.({ type: "run", index, name: plan.name, event }),
        });
        if (result.checkpoint !== undefined) {
          trained.push({ name: plan.name, config: plan.config, checkpoint: result.checkpoint });
        }
        await options.afterRun?.(plan, result, storage);
      } catch (error) {
        if (error instanceof RunStoppedError) {
          stopped = true;
        } else if (error instanceof NonFiniteLossError) {
          onEvent?.({ type: "runFailed", index, name: plan.name, message: error.message });
        } else {
          throw error;
        }
      }
    }
    // recordFailure writes failed.json even when the loss diverged before the first checkpoint, so info is set.
    const info = found ?? (await inspectRun(storage));
    // A run stopped in its first epoch has nothing saved yet.
    if (info === undefined && stopped) break;
    if (info === undefined) throw new Error(`${storage.where}: the run left no files; this is a bug in convlab`);
    const row: SweepRun = { ...runRow(plan.name, info), trained: found === undefined };
    rows.push(row);
    onEvent?.({ type: "runEnd", index, name: plan.name, row, ...(result ? { result } : {}) });
    if (stopped) break;
  }
  return rows;
}

/** A sweep's finished runs with their metrics, in order: what the comparison report shows. */
export async function finishedRuns(
  rows: readonly SweepRun[],
  storageFor: (name: string) => RunStorage,
): Promise<{ name: string; dir: string; metrics: RunMetrics }[]> {
  const finished: { name: string; dir: string; metrics: RunMetrics }[] = [];
  for (const row of rows) {
    if (row.status !== "finished") continue;
    const metrics = (await inspectRun(storageFor(row.name)))?.metrics;
    if (metrics !== undefined) finished.push({ name: row.name, dir: row.dir, metrics });
  }
  return finished;
}
