import type { BatchDataset } from "../data/dataset.js";
import { decodeSafetensors, encodeSafetensors } from "../io/safetensors.js";
import type { ModelChoice } from "../models/choice.js";
import { RunControl } from "./control.js";
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

/** One run for a {@link SweepTrainer} to train, with what trainRun needs of the sweep. */
export interface SweepTrainJob {
  plan: SweepRunPlan;
  storage: RunStorage;
  control: RunControl;
  onEvent: (event: RunEvent) => void;
}

/**
 * Trains one run of a sweep as trainRun does with `onStop: "interrupt"` and `recordFailure` (a stop throws
 * RunStoppedError, a diverging loss NonFiniteLossError after writing failed.json), wherever it likes: the CLI gives
 * each run a process of its own, so that several train side by side (see SweepOptions.jobs).
 */
export type SweepTrainer = (job: SweepTrainJob) => Promise<TrainRunResult>;

export interface SweepOptions {
  runs: readonly SweepRunPlan[];
  /** Each run's storage, by name (a folder per run, an IndexedDB prefix per run). */
  storageFor: (name: string) => RunStorage;
  /** Read once, shared by every run that trains here (without `trainer`, which reads its own). */
  data?: { train: BatchDataset; test: BatchDataset };
  control?: RunControl;
  onEvent?: (event: SweepEvent) => void;
  /**
   * Checks that a run found finished (or failed) was made with the run's settings; default: throw naming the
   * setting. The CLI throws its own, translated error.
   */
  checkFound?: (info: RunInfo, wanted: RunConfig) => void;
  /**
   * Called after each run this sweep trains (the CLI writes its report): with one job before the next run starts,
   * with more beside the next runs' training.
   */
  afterRun?: (plan: SweepRunPlan, result: TrainRunResult, storage: RunStorage) => Promise<void>;
  /** Passed on to each {@link trainRun} that trains here. */
  train?: Pick<TrainRunOptions, "testEachEpoch" | "peakMemoryMB" | "resume">;
  /** Trains each run elsewhere; default: trainRun in this thread, on `data`. */
  trainer?: SweepTrainer;
  /**
   * With a `trainer`, how many runs train at once (default 1), each taking the next run in the plan's order that can
   * start: a run that may continue an earlier one (see runSweep) waits for it to end. Without one it is 1: runs in
   * this thread would share its random generator.
   */
  jobs?: number;
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

/** Whether a run of `config` may continue a run of `earlier`: the same settings, but fewer epochs. */
function mayContinue(earlier: RunConfig, config: RunConfig): boolean {
  return (
    earlier.epochs < config.epochs && configDifference(earlier, { ...config, epochs: earlier.epochs }) === undefined
  );
}

/**
 * The trained run whose training is the first epochs of a run of `config`: the same settings but fewer epochs (the
 * most such), or none.
 */
function headOf(config: RunConfig, trained: readonly TrainedRun[]): TrainedRun | undefined {
  const heads = trained.filter((run) => mayContinue(run.config, config));
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
 * Trains each run of a sweep in its own storage and returns their rows, in the plan's order: one run at a time, or
 * `jobs` at once, each starting as a place comes free. A run that differs from a run the sweep trained before it only
 * by more epochs (the homework's 10 epochs after the tutorial's 5) waits for that run, then continues from its last
 * checkpoint instead of training the same epochs again: it ends as if trained from the start (bit for bit with the
 * same backend and threads, as a resumed run does), and its metrics hold the earlier run's epochs and seconds.
 * Resumable: a run already finished (or failed) with the same settings is not trained again, an interrupted run
 * continues from its checkpoint, so running an identical sweep again trains nothing. A run whose loss diverges is
 * recorded as failed and the sweep goes on. A stop (through `control`) interrupts the runs in progress (each keeps
 * its last epoch's checkpoint, and resumes from it when the sweep runs again) and ends the sweep: the rows are those
 * of the runs done so far. Any other error stops the runs in progress too, and is thrown once they have stopped.
 */
export async function runSweep(options: SweepOptions): Promise<SweepRun[]> {
  const { runs, onEvent } = options;
  const checkFound = options.checkFound ?? defaultCheckFound;
  const control = options.control ?? new RunControl();
  const jobs = options.trainer === undefined ? 1 : Math.max(1, Math.floor(options.jobs ?? 1));
  const rows: (SweepRun | undefined)[] = runs.map(() => undefined);
  const trained: TrainedRun[] = [];
  const started = runs.map(() => false);
  // Set once a run's training is over (or was not needed): the runs that may continue it can start.
  const settled = runs.map(() => false);
  let stopped = false;
  let failed: { error: unknown } | undefined;

  const trainer: SweepTrainer =
    options.trainer ??
    (({ plan, storage, control, onEvent: onRunEvent }) => {
      if (options.data === undefined) throw new Error("runSweep: no data to train on (pass `data` or a `trainer`)");
      return trainRun({
        ...options.train,
        choice: plan.choice,
        config: plan.config,
        data: options.data,
        storage,
        control,
        onStop: "interrupt",
        recordFailure: true,
        onEvent: onRunEvent,
      });
    });

  const runOne = async (index: number, settle: () => void): Promise<void> => {
    const plan = runs[index];
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
    let stoppedHere = false;
    if (found !== undefined) {
      settle();
      checkFound(found, plan.config);
    } else {
      try {
        const onRunEvent = (event: RunEvent) => onEvent?.({ type: "run", index, name: plan.name, event });
        result = await trainer({ plan, storage, control, onEvent: onRunEvent });
        if (result.checkpoint !== undefined) {
          trained.push({ name: plan.name, config: plan.config, checkpoint: result.checkpoint });
        }
        settle();
        await options.afterRun?.(plan, result, storage);
      } catch (error) {
        settle();
        if (error instanceof RunStoppedError) {
          stoppedHere = true;
        } else if (error instanceof NonFiniteLossError) {
          onEvent?.({ type: "runFailed", index, name: plan.name, message: error.message });
        } else {
          throw error;
        }
      }
    }
    // recordFailure writes failed.json even when the loss diverged before the first checkpoint, so info is set.
    const info = found ?? (await inspectRun(storage));
    if (stoppedHere) stopped = true;
    // A run stopped in its first epoch has nothing saved yet.
    if (info === undefined && stoppedHere) return;
    if (info === undefined) throw new Error(`${storage.where}: the run left no files; this is a bug in convlab`);
    const row: SweepRun = { ...runRow(plan.name, info), trained: found === undefined };
    rows[index] = row;
    onEvent?.({ type: "runEnd", index, name: plan.name, row, ...(result ? { result } : {}) });
  };

  // The next run to start: the first not started whose possible heads have all settled. The first run not started
  // always qualifies once nothing runs, so the sweep cannot stall.
  const nextRun = () =>
    runs.findIndex(
      (plan, i) =>
        !started[i] && runs.slice(0, i).every((other, j) => settled[j] || !mayContinue(other.config, plan.config)),
    );
  // A run holds its place while it trains, and with one place until its afterRun is done too (the next run's
  // lines come after its report's); with more, its report is drawn beside the next run's training.
  let training = 0;
  const inFlight = new Set<Promise<void>>();
  let wake = () => {};
  const start = (index: number) => {
    started[index] = true;
    training++;
    let placeHeld = true;
    const free = () => {
      if (placeHeld) training--;
      placeHeld = false;
    };
    const settle = () => {
      settled[index] = true;
      if (jobs > 1) free();
      wake();
    };
    const run: Promise<void> = runOne(index, settle)
      .catch((error: unknown) => {
        failed ??= { error };
        control.stop();
      })
      .finally(() => {
        free();
        inFlight.delete(run);
        wake();
      });
    inFlight.add(run);
  };
  for (;;) {
    while (!stopped && failed === undefined && !control.stopped && training < jobs) {
      const index = nextRun();
      if (index === -1) break;
      start(index);
    }
    if (inFlight.size === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
  }
  if (failed !== undefined) throw failed.error;
  return rows.filter((row): row is SweepRun => row !== undefined);
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
