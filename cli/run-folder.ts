import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConvlabError } from "../src/errors.js";
import type { Lang } from "../src/explain/types.js";
import { decodeSafetensors } from "../src/io/safetensors.js";
import { FileWriteError } from "../src/node/atomic.js";
import { lockRunFolder, RunLockedError, type RunLock } from "../src/node/run-lock.js";
import { FolderStorage, RunFolderError } from "../src/node/run-storage.js";
import {
  CHECKPOINT_FILE,
  checkpointInfo,
  configDifference,
  inspectRun,
  METRICS_FILE,
  MODEL_FILE,
  REPORT_FILE,
  RunFileError,
  type RunConfig,
  type RunInfo,
} from "../src/train/run-files.js";
import { CliError, cliMessages, type Again, type CliMessages } from "./messages.js";

// What a run folder holds and how it is read is in src/train/run-files.ts (the page keeps the same files in
// IndexedDB); the CLI adds its folders, their locks and its translated errors.
export type { ConfigDifference, RunStatus, RunInfo } from "../src/train/run-files.js";

/**
 * Refuses to continue `dir`'s run with other settings, since the result would belong to neither: the message names
 * the setting, both values, and the fixes.
 */
export function checkSameConfig(dir: string, what: "checkpoint" | "finished run", saved: RunConfig, wanted: RunConfig) {
  const difference = configDifference(saved, wanted);
  if (difference === undefined) return;
  throw new CliError("otherSettings", [{ dir, what, difference, checkpoint: join(dir, CHECKPOINT_FILE) }]);
}

/** Reads a run folder (see inspectRun); undefined when it holds no run. */
export function inspectRunFolder(dir: string): Promise<RunInfo | undefined> {
  return inspectRun(new FolderStorage(dir));
}

/** A word of a command line as a POSIX shell reads it back: quoted unless plain. */
const shellWord = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** This process's command line, as `convlab …` with `extra` words appended (the --out a default folder was given). */
export function commandLine(extra: readonly string[] = []): string {
  return ["convlab", ...[...process.argv.slice(2), ...extra].map(shellWord)].join(" ");
}

/**
 * Takes the lock of the run (or sweep) folder `dir`, creating it if needed, before any data is read: a path that
 * is a file, a folder where nothing can be written, or one another running process holds is a CliError naming the
 * path and the fix; a lock left by a process that no longer runs is taken over with a notice on stderr.
 */
export function openRunFolder(dir: string, lang: Lang, command: string): RunLock {
  const m = cliMessages(lang);
  try {
    return lockRunFolder(dir, {
      command,
      onTakeOver: (stale, path) => process.stderr.write(`${m.lock.takeOver(path, stale)}\n`),
    });
  } catch (error) {
    throw cliErrorOf(error);
  }
}

/**
 * What `out` keeps now, and the command that goes on from there (`again` says how: resume, start over, finish the
 * report, continue the sweep): the lines after a Ctrl-C or a failed write.
 */
export function folderNotes(out: string, m: CliMessages, command: string, again?: Again): string[] {
  const has = (name: string) => existsSync(join(out, name));
  const next = (what: Again) => [m.interrupt.again(again ?? what), `  ${command}`];
  if (has(MODEL_FILE) && has(METRICS_FILE)) {
    if (has(REPORT_FILE)) return again === "sweep" ? next("sweep") : [m.interrupt.finished(out)];
    return [m.interrupt.reportLeft(join(out, MODEL_FILE), join(out, METRICS_FILE)), ...next("report")];
  }
  const checkpoint = join(out, CHECKPOINT_FILE);
  if (!has(CHECKPOINT_FILE)) return [m.interrupt.nothingKept, ...next("start")];
  try {
    const info = checkpointInfo(decodeSafetensors(readFileSync(checkpoint), checkpoint).metadata, checkpoint);
    return [m.interrupt.kept(checkpoint, info.epoch, info.config.epochs), ...next("resume")];
  } catch {
    return next("resume"); // the error, if it is one, is for the run that reads it
  }
}

/**
 * The library's errors about run folders and their files as CliErrors, said in the user's language; any other
 * error as it is. `notes` (already in that language) are printed after the message.
 */
export function cliErrorOf(error: unknown, notes?: readonly string[]): unknown {
  const options = {
    cause: error,
    ...(notes !== undefined ? { notes } : {}),
    ...(error instanceof ConvlabError ? { code: error.code } : {}),
  };
  if (error instanceof RunFileError) {
    return error.code === "E_RUN_NOT_CHECKPOINT"
      ? new CliError("notCheckpoint", [error.path], options)
      : new CliError("unreadable", [error.path, error.reason], options);
  }
  if (error instanceof FileWriteError) {
    return new CliError("writeFailed", [error.path, error.detail, error.reason], options);
  }
  if (error instanceof RunFolderError) {
    return error.code === "E_OUT_NOT_FOLDER"
      ? new CliError("outNotFolder", [error.dir], options)
      : new CliError("outUnwritable", [error.dir, error.detail, error.reason], options);
  }
  if (error instanceof RunLockedError) {
    const { dir, path: lock, owner, sameHost } = error;
    return new CliError("runLocked", [{ dir, lock, owner, sameHost }], options);
  }
  return error;
}
