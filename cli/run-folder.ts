import { join } from "node:path";
import { FolderStorage } from "../src/node/run-storage.js";
import { CHECKPOINT_FILE, configDifference, inspectRun, type RunConfig, type RunInfo } from "../src/train/run-files.js";
import { CliError } from "./messages.js";

// What a run folder holds and how it is read is in src/train/run-files.ts (the page keeps the same files in
// IndexedDB); the CLI adds its folders and its translated errors.
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
