import { existsSync, readFileSync, rmSync, statSync, type Stats } from "node:fs";
import { join } from "node:path";
import { ConvlabError } from "../errors.js";
import type { RunStorage } from "../train/storage.js";
import { makeFolder, systemReason, writeFileAtomic } from "./atomic.js";

/** A run's files in a folder on disk (created on the first write); every write is atomic (temporary file, rename). */
export class FolderStorage implements RunStorage {
  constructor(readonly where: string) {}
  async read(name: string): Promise<Uint8Array | undefined> {
    const path = join(this.where, name);
    return existsSync(path) ? readFileSync(path) : undefined;
  }
  async write(name: string, bytes: Uint8Array): Promise<void> {
    writeFileAtomic(join(this.where, name), bytes);
  }
  async remove(name: string): Promise<void> {
    rmSync(join(this.where, name), { force: true });
  }
}

/**
 * A run folder that cannot be used, found before any data is read or epoch trained:
 * - `E_OUT_NOT_FOLDER`: the path, or a folder on the way to it, is a file;
 * - `E_OUT_UNWRITABLE`: the folder cannot be created or written (read-only, no permission, /proc or /sys).
 */
export class RunFolderError extends ConvlabError {
  constructor(
    code: "E_OUT_NOT_FOLDER" | "E_OUT_UNWRITABLE",
    readonly dir: string,
    /** The system's error code (`EACCES`, `EROFS`, `ENOENT`…); `ENOTDIR` for E_OUT_NOT_FOLDER. */
    readonly reason: string,
    /** The system's own words for it. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(
      code,
      code === "E_OUT_NOT_FOLDER"
        ? `${dir} is a file, or lies under one, not a folder; choose a folder for the run (it is created if missing)`
        : `${dir}: cannot create or write the run folder: ${detail} (${reason}); choose a folder where you can write`,
      options,
    );
  }
}

/** Wraps a system error met while preparing `dir` as the {@link RunFolderError} that says it. */
export function runFolderError(dir: string, error: unknown): RunFolderError {
  const { reason, detail } = systemReason(error);
  const code = reason === "ENOTDIR" || reason === "EEXIST" ? "E_OUT_NOT_FOLDER" : "E_OUT_UNWRITABLE";
  return new RunFolderError(code, dir, reason, detail, { cause: error });
}

/**
 * Makes sure `dir` is a folder (creating it and its parents when missing), so that a run fails at once, naming the
 * path, rather than after its first epoch. Whether files can be written in it is found by the first write there
 * (the run's lock, see lockRunFolder). Returns whether the folder was created.
 */
export function ensureRunFolder(dir: string): boolean {
  let stats: Stats | undefined;
  try {
    stats = statSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw runFolderError(dir, error);
  }
  if (stats?.isDirectory() === true) return false;
  if (stats !== undefined) throw new RunFolderError("E_OUT_NOT_FOLDER", dir, "ENOTDIR", "not a directory");
  try {
    makeFolder(dir);
  } catch (error) {
    throw runFolderError(dir, error);
  }
  return true;
}
