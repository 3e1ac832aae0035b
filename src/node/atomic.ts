import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { ConvlabError } from "../errors.js";

/**
 * A file that could not be written (a full disk, a read-only folder, no permission…): `code` is `E_FILE_WRITE`,
 * `path` the file that was to be written (not a temporary name), `reason` the system's error code (`ENOSPC`,
 * `EACCES`, `EROFS`…). Nothing half-written is left: the target keeps its old content, if it had one.
 */
export class FileWriteError extends ConvlabError {
  constructor(
    readonly path: string,
    /** The system's error code, e.g. `ENOSPC`; `EIO` when it gave none. */
    readonly reason: string,
    /** The system's own words for it, e.g. "no space left on device". */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super("E_FILE_WRITE", `cannot write ${path}: ${detail} (${reason})`, options);
  }
}

/** The system's words of a Node fs error ("ENOSPC: no space left on device, write" → "no space left on device"). */
export function systemReason(error: unknown): { reason: string; detail: string } {
  const { code, message } = error as NodeJS.ErrnoException;
  const reason = typeof code === "string" ? code : "EIO";
  const detail = /^[A-Z0-9_]+: (.*?)(?:, \w+(?: '.*')?)?$/s.exec(String(message))?.[1] ?? String(message);
  return { reason, detail };
}

/**
 * `mkdir -p`: creates `dir` and its missing parents. Not `mkdirSync(dir, { recursive: true })`, which Node 20 runs
 * in an endless loop where the parent exists but refuses children with ENOENT (`/proc/x`): here each missing folder
 * is made once, and the system's error (ENOENT, EACCES, EROFS, ENOTDIR…) is thrown as it comes. A `dir` that is a
 * file throws ENOTDIR.
 */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    let isFolder: boolean | undefined;
    try {
      isFolder = statSync(at).isDirectory();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (isFolder === false && missing.length === 0) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: "ENOTDIR", path: dir });
    }
    // An existing folder (or a file, which the next mkdir refuses with ENOTDIR), or the root.
    if (isFolder !== undefined || dirname(at) === at) break;
    missing.push(at);
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** A temporary file of {@link writeFileAtomic}: `.<name>.<pid>.<8 hex digits>.tmp`. */
const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Writes a file so that readers see either the old content or the whole new content, never a part: the bytes go
 * to a temporary file beside the target, which is then renamed over it (rename is atomic within one file system).
 * A write that fails (a full disk, no permission) removes its temporary file and throws a {@link FileWriteError}
 * naming the target; only a process killed in the middle leaves a `.tmp` file, never a truncated target (see
 * {@link removeTemporaryFiles}).
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    makeFolder(dir);
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (error) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The write's own error says more (a folder that refuses the removal refused the write first).
    }
    // The system's refusals (a `code` such as ENOSPC); anything else (data of a wrong type) is not the disk's fault.
    if (typeof (error as NodeJS.ErrnoException).code !== "string") throw error;
    const { reason, detail } = systemReason(error);
    throw new FileWriteError(path, reason, detail, { cause: error });
  }
}

/**
 * Removes the temporary files that killed writers left in `dir` (see {@link writeFileAtomic}), except this
 * process's own and those `keep` keeps (it is given the name and the writer's pid). Call it only while no other
 * process writes there: a run does it once it holds the folder's lock. Returns the names removed.
 */
export function removeTemporaryFiles(dir: string, keep?: (name: string, pid: number) => boolean): string[] {
  const names = readdirSync(dir).filter((name) => {
    const pid = TEMPORARY.exec(name)?.[1];
    return pid !== undefined && Number(pid) !== process.pid && keep?.(name, Number(pid)) !== true;
  });
  for (const name of names) rmSync(join(dir, name), { force: true });
  return names;
}
