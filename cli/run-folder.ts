import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSafetensorsFile } from "../src/node/safetensors-file.js";
import type { EpochMetrics, RunMetrics } from "./commands/train.js";
import { CliError } from "./messages.js";

/**
 * What a run folder holds and how to read it, shared by `train` (which writes it), `sweep` (which skips or resumes
 * runs) and `runs` (which lists them):
 *
 * - `model.safetensors` + `metrics.json`: a finished run;
 * - `checkpoint.safetensors`: the state after the last finished epoch of a run that has not finished (interrupted,
 *   or still running); it is removed once the run has finished;
 * - `failed.json`: a run of a sweep that diverged (NaN loss), with the message; a plain `train` leaves no files then.
 */
export const MODEL_FILE = "model.safetensors";
export const METRICS_FILE = "metrics.json";
export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const FAILED_FILE = "failed.json";

/** The settings a run was trained with, as `metrics.json` records them. */
export type RunConfig = RunMetrics["config"];

/** The CLI's metadata in a checkpoint, beside the model, optimizer and generator state (see src/train/checkpoint.ts). */
export interface CheckpointInfo {
  /** Epochs finished: training resumes at epoch + 1. */
  epoch: number;
  config: RunConfig;
  /** The metrics of the finished epochs. */
  epochs: EpochMetrics[];
  /** Training time so far, so a resumed run reports the total. */
  seconds: number;
}

/** `failed.json`: why a sweep's run stopped. */
export interface FailureInfo {
  message: string;
  config: RunConfig;
  epochs: EpochMetrics[];
}

/** A checkpoint's CLI metadata as strings (the safetensors format allows no other values). */
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
  throw new CliError("notCheckpoint", [path]);
}

/**
 * The settings that decide the trained weights, with the flag that sets each: a run is resumed or reused only when
 * all of them are equal. Backend, threads and data folder are left out: they change the speed or the path, not
 * what is trained (wasm with several threads may differ in the last bits; use --threads 1 or ref to be exact).
 */
const TRAINING_FIELDS = [
  ["epochs", "--epochs"],
  ["lr", "--lr"],
  ["momentum", "--momentum"],
  ["batchSize", "--batch-size"],
  ["seed", "--seed"],
  ["optimizer", "the optimizer"],
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
  for (const [field, flag] of TRAINING_FIELDS) {
    if (saved[field] !== wanted[field]) return { flag, saved: String(saved[field]), wanted: String(wanted[field]) };
  }
  return undefined;
}

/**
 * Refuses to continue `dir`'s run with other settings, since the result would belong to neither: the message names
 * the setting, both values, and the fixes.
 */
export function checkSameConfig(dir: string, what: "checkpoint" | "finished run", saved: RunConfig, wanted: RunConfig) {
  const difference = configDifference(saved, wanted);
  if (difference === undefined) return;
  throw new CliError("otherSettings", [{ dir, what, difference, checkpoint: join(dir, CHECKPOINT_FILE) }]);
}

/** What a run folder says about its run. */
export type RunStatus = "finished" | "interrupted" | "failed";

export interface RunInfo {
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

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (error) {
    throw new CliError("unreadable", [path, (error as Error).message], { cause: error });
  }
}

/**
 * Reads a run folder: finished (model and metrics), failed (failed.json), interrupted (a checkpoint only), or
 * undefined when `dir` holds none of these (not a run folder, or a run that had not finished its first epoch).
 */
export function inspectRun(dir: string): RunInfo | undefined {
  const metricsPath = join(dir, METRICS_FILE);
  if (existsSync(join(dir, MODEL_FILE)) && existsSync(metricsPath)) {
    const metrics = readJson<RunMetrics>(metricsPath);
    return { dir, status: "finished", config: metrics.config, epochs: metrics.epochs, metrics };
  }
  const failedPath = join(dir, FAILED_FILE);
  if (existsSync(failedPath)) {
    const failure = readJson<FailureInfo>(failedPath);
    return { dir, status: "failed", config: failure.config, epochs: failure.epochs, error: failure.message };
  }
  const checkpointPath = join(dir, CHECKPOINT_FILE);
  if (existsSync(checkpointPath)) {
    const info = checkpointInfo(loadSafetensorsFile(checkpointPath).metadata, checkpointPath);
    return { dir, status: "interrupted", config: info.config, epochs: info.epochs };
  }
  return undefined;
}
