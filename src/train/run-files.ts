import { ConvlabError } from "../errors.js";
import type { ModelSpec } from "../models/spec.js";
import { decodeSafetensors } from "../io/safetensors.js";
import type { EvalResult } from "./loop.js";
import { readJson, type RunStorage } from "./storage.js";

/**
 * What a run's storage (a run folder in Node, an IndexedDB prefix in a page) holds and how to read it, shared by
 * training (which writes it), sweeps (which skip or resume runs) and `convlab runs` (which lists them):
 *
 * - `model.safetensors` + `metrics.json`: a finished run;
 * - `checkpoint.safetensors`: the state after the last finished epoch of a run that has not finished (interrupted,
 *   or still running); it is removed once the run has finished;
 * - `failed.json`: a run that diverged (NaN loss), with the message, when the caller asked for it (a sweep does);
 * - `report.html` and its pictures, where reports are written (the CLI's folders): the page is written last, so a
 *   finished run without it was stopped while its report was drawn (see {@link rerunAction}).
 *
 * The writes are ordered so that a run killed at any moment can be finished by starting it again: checkpoint after
 * each epoch; at the end model, then metrics, then the checkpoint removed; then the report's pictures, then its page.
 */
export const MODEL_FILE = "model.safetensors";
export const METRICS_FILE = "metrics.json";
export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const FAILED_FILE = "failed.json";
export const REPORT_FILE = "report.html";

/** The settings that decide what is trained: the tutorial's, each editable. */
export interface TrainSettings {
  /** A preset (seed, conv3) or, in the CLI, the path of a model spec file (.json). */
  arch: string;
  epochs: number;
  lr: number;
  momentum: number;
  batchSize: number;
  seed: number;
}

/** The settings a run was trained with, as `metrics.json` records them, with what ran it. */
export interface RunConfig extends TrainSettings {
  backend: string;
  threads: number;
  optimizer: string;
  /** For a model from a spec file: the spec trained, as read from the file. */
  spec?: ModelSpec;
  /** The CLI's dataset root (--data-dir); the reports read the test images from there. */
  dataDir?: string;
  /** The CLI's --download. */
  download?: boolean;
  /** Set when only the first N training images were used (the page's quick runs). */
  trainLimit?: number;
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
  config: RunConfig;
  epochs: EpochMetrics[];
  test: Omit<EvalResult, "confusion"> & { confusion: number[][] };
  parameters: number;
  seconds: number;
  /** The process's peak resident memory so far, in MB (Node only). */
  peakRssMB?: number;
  /**
   * When the first training step of this process ended, in seconds since the process (or the page) started
   * (`performance.now()`): how long a user waits before training moves.
   */
  firstStepSeconds?: number;
  /**
   * Set when the run was stopped before its last epoch ended (the page's Stop): the epoch and batch it stopped after.
   * That epoch's entry in `epochs` covers the batches it trained.
   */
  stoppedAt?: { epoch: number; batch: number };
}

/** A checkpoint's run metadata, beside the model, optimizer and generator state (see checkpoint.ts). */
export interface CheckpointInfo {
  /** Epochs finished: training resumes at epoch + 1. */
  epoch: number;
  config: RunConfig;
  /** The metrics of the finished epochs. */
  epochs: EpochMetrics[];
  /** Training time so far, so a resumed run reports the total. */
  seconds: number;
}

/** `failed.json`: why a run stopped. */
export interface FailureInfo {
  message: string;
  config: RunConfig;
  epochs: EpochMetrics[];
}

/**
 * A run file that exists but cannot be used: `E_RUN_NOT_CHECKPOINT` (a checkpoint without convlab's run metadata)
 * or `E_RUN_FILE_UNREADABLE` (not valid JSON or safetensors); the code lets the CLI say it in the user's language.
 */
export class RunFileError extends ConvlabError {
  constructor(
    override readonly code: "E_RUN_NOT_CHECKPOINT" | "E_RUN_FILE_UNREADABLE",
    readonly path: string,
    readonly reason = "",
    options?: ErrorOptions,
  ) {
    super(
      code,
      code === "E_RUN_NOT_CHECKPOINT"
        ? `${path} is not a convlab training checkpoint; delete it to start the run over`
        : `${path}: cannot read it (${reason}); delete it or the run folder`,
      options,
    );
  }
}

/** A checkpoint's run metadata as strings (the safetensors format allows no other values). */
export function checkpointMetadata(info: CheckpointInfo): Record<string, string> {
  return {
    epoch: String(info.epoch),
    config: JSON.stringify(info.config),
    epochs: JSON.stringify(info.epochs),
    seconds: String(info.seconds),
  };
}

/** Reads {@link checkpointMetadata} back; a checkpoint from another tool or an older convlab is an error naming it. */
export function checkpointInfo(metadata: Record<string, string>, path: string): CheckpointInfo {
  try {
    const info = {
      epoch: Number(metadata.epoch),
      config: JSON.parse(metadata.config) as RunConfig,
      epochs: JSON.parse(metadata.epochs) as EpochMetrics[],
      seconds: Number(metadata.seconds),
    };
    if (Number.isInteger(info.epoch) && info.epoch >= 0 && Array.isArray(info.epochs)) return info;
  } catch {
    // Reported below with the fix, as for a missing key.
  }
  throw new RunFileError("E_RUN_NOT_CHECKPOINT", path);
}

/**
 * The settings that decide the trained weights, with the CLI flag that sets each: a run is resumed or reused only
 * when all of them are equal. Backend, threads and data folder are left out: they change the speed or the path, not
 * what is trained (wasm gives the same weights on any number of threads; wasm and ref differ in the last bits).
 */
const TRAINING_FIELDS = [
  ["epochs", "--epochs"],
  ["lr", "--lr"],
  ["momentum", "--momentum"],
  ["batchSize", "--batch-size"],
  ["seed", "--seed"],
  ["optimizer", "the optimizer"],
  ["trainLimit", "--train-limit"],
] as const;

/** A setting in which two configs differ: the flag, and both values as the user would type them. */
export interface ConfigDifference {
  flag: string;
  saved: string;
  wanted: string;
  /** Set for `--arch` when the models differ by their specs, whatever the names say (a spec file was edited). */
  otherModel?: boolean;
}

/** The first training setting that differs, or undefined. The model counts as its spec when either has one. */
export function configDifference(saved: RunConfig, wanted: RunConfig): ConfigDifference | undefined {
  if (saved.spec !== undefined || wanted.spec !== undefined) {
    // A spec file may move or be renamed; what matters is the model it describes.
    if (JSON.stringify(saved.spec) !== JSON.stringify(wanted.spec)) {
      return { flag: "--arch", saved: saved.arch, wanted: wanted.arch, otherModel: true };
    }
  } else if (saved.arch !== wanted.arch) {
    return { flag: "--arch", saved: saved.arch, wanted: wanted.arch };
  }
  // An unset setting (a run of an older convlab, or without --train-limit) reads as its default would.
  const shown = (value: unknown) => (value === undefined ? "(not set)" : String(value));
  for (const [field, flag] of TRAINING_FIELDS) {
    if (saved[field] !== wanted[field]) return { flag, saved: shown(saved[field]), wanted: shown(wanted[field]) };
  }
  return undefined;
}

/** What a run's storage says about its run. */
export type RunStatus = "finished" | "interrupted" | "failed";

export interface RunInfo {
  /** Where the run lives (its storage's `where`: a folder, an IndexedDB prefix). */
  dir: string;
  status: RunStatus;
  config: RunConfig;
  /** The epochs finished (all of them for a finished run). */
  epochs: EpochMetrics[];
  /** Set for a finished run. */
  metrics?: RunMetrics;
  /** Set for a failed run. */
  error?: string;
}

async function readRunJson<T>(storage: RunStorage, name: string): Promise<T | undefined> {
  try {
    return await readJson<T>(storage, name);
  } catch (error) {
    // The JSON parser's own words: the path and the fix are RunFileError's.
    const reason = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
    throw new RunFileError("E_RUN_FILE_UNREADABLE", `${storage.where}/${name}`, reason, { cause: error });
  }
}

/**
 * Reads a run: finished (model and metrics), failed (failed.json), interrupted (a checkpoint only), or undefined
 * when the storage holds none of these (not a run, or a run that had not finished its first epoch).
 */
export async function inspectRun(storage: RunStorage): Promise<RunInfo | undefined> {
  const dir = storage.where;
  const hasModel = (await storage.read(MODEL_FILE)) !== undefined;
  const metrics = hasModel ? await readRunJson<RunMetrics>(storage, METRICS_FILE) : undefined;
  if (metrics !== undefined)
    return { dir, status: "finished", config: metrics.config, epochs: metrics.epochs, metrics };
  const failure = await readRunJson<FailureInfo>(storage, FAILED_FILE);
  if (failure !== undefined) {
    return { dir, status: "failed", config: failure.config, epochs: failure.epochs, error: failure.message };
  }
  const checkpoint = await storage.read(CHECKPOINT_FILE);
  if (checkpoint === undefined) return undefined;
  const path = `${dir}/${CHECKPOINT_FILE}`;
  let metadata: Record<string, string>;
  try {
    metadata = decodeSafetensors(checkpoint, path).metadata;
  } catch (error) {
    throw new RunFileError("E_RUN_FILE_UNREADABLE", path, (error as Error).message, { cause: error });
  }
  const info = checkpointInfo(metadata, path);
  return { dir, status: "interrupted", config: info.config, epochs: info.epochs };
}

/**
 * What starting a run again on its storage does, from the files there (see the write order above):
 * - `train`: nothing there yet, or a checkpoint (perhaps with a model.safetensors whose metrics.json was not yet
 *   written): train, resuming from the checkpoint;
 * - `report`: a finished run (model and metrics) whose report page is missing: it was stopped while drawing it, so
 *   draw it; a checkpoint still there is stale (the run was stopped before it was removed);
 * - `finished`: a finished run with its report: nothing is left to do;
 * - `occupied`: a model.safetensors with neither metrics.json nor a checkpoint: nothing a run could continue.
 */
export type RerunAction =
  | { action: "train" }
  | { action: "report"; metrics: RunMetrics; staleCheckpoint: boolean }
  | { action: "finished"; metrics: RunMetrics }
  | { action: "occupied" };

/** Decides {@link RerunAction} for `storage`; an unreadable metrics.json is a {@link RunFileError}. */
export async function rerunAction(storage: RunStorage): Promise<RerunAction> {
  const hasModel = (await storage.read(MODEL_FILE)) !== undefined;
  const hasCheckpoint = (await storage.read(CHECKPOINT_FILE)) !== undefined;
  if (!hasModel) return { action: "train" };
  const metrics = await readRunJson<RunMetrics>(storage, METRICS_FILE);
  if (metrics === undefined) return { action: hasCheckpoint ? "train" : "occupied" };
  if ((await storage.read(REPORT_FILE)) === undefined) {
    return { action: "report", metrics, staleCheckpoint: hasCheckpoint };
  }
  return { action: "finished", metrics };
}

/** A run's key numbers, as `convlab runs`, `convlab sweep` and the page's homework show them. */
export interface RunRow {
  /** The run's name: its folder below the listed one (`arch=conv3,lr=0.1`, `homework/arch=conv3,…`). */
  name: string;
  dir: string;
  status: RunStatus;
  arch: string;
  /** Epochs finished, and planned. */
  epochsDone: number;
  epochs: number;
  lr: number;
  /** Test accuracy in [0, 1]: finished runs only. */
  testAccuracy?: number;
  /** Mean training loss of the last finished epoch. */
  finalLoss?: number;
  parameters?: number;
  /** Training and test time: the whole run when finished, else the finished epochs. */
  seconds?: number;
  /** Why a failed run stopped. */
  error?: string;
}

/** The row of an inspected run. */
export function runRow(name: string, info: RunInfo): RunRow {
  const { config, epochs, metrics } = info;
  const last = epochs.at(-1);
  return {
    name,
    dir: info.dir,
    status: info.status,
    arch: config.arch,
    epochsDone: epochs.length,
    epochs: config.epochs,
    lr: config.lr,
    ...(metrics !== undefined ? { testAccuracy: metrics.test.accuracy, parameters: metrics.parameters } : {}),
    ...(last !== undefined ? { finalLoss: last.loss } : {}),
    seconds: metrics?.seconds ?? epochs.reduce((s, e) => s + e.seconds, 0),
    ...(info.error !== undefined ? { error: info.error } : {}),
  };
}
