import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { ConvlabError } from "../errors.js";
import { removeTemporaryFiles } from "./atomic.js";
import { ensureRunFolder, runFolderError } from "./run-storage.js";

/**
 * One run per folder: a process that trains into a folder (or sweeps into one) first takes its lock, the file
 * `.lock` there, so a second process started on the same folder is refused at once instead of overwriting the
 * first one's checkpoint with its own. The lock names its holder (pid, host, start time, command). A holder that
 * died without releasing it (kill -9, a power cut) is recognised (its pid no longer runs on this host) and its lock
 * taken over, with a notice. A lock is released when its holder calls `release()`, and in any case when the
 * process exits (an error, Ctrl-C through process.exit); only SIGKILL leaves it, for the next run to take over.
 *
 * The file appears whole or not at all: the holder's JSON is written to a temporary file, then hard-linked to
 * `.lock`, which fails with EEXIST when the lock is taken (`open(…, "wx")` where the file system has no hard links).
 */
export const LOCK_FILE = ".lock";

/** What `.lock` holds: who holds the folder. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** When it took the lock, ISO 8601. */
  started: string;
  /** Its command line, to name it in the message (`convlab train --out runs/a`). */
  command?: string;
  /**
   * When the process started, in clock ticks since boot (Linux's /proc/<pid>/stat, field 22): a pid reused by
   * another process since has another start time, so a dead holder is not mistaken for a live one.
   */
  processStart?: string;
}

/** The folder is locked by a process that is running (or, on another host, may be). `code` is `E_RUN_LOCKED`. */
export class RunLockedError extends ConvlabError {
  constructor(
    readonly dir: string,
    /** The lock file. */
    readonly path: string,
    readonly owner: LockOwner,
    /** False when the holder is on another host, where this process cannot tell whether it still runs. */
    readonly sameHost: boolean,
  ) {
    super(
      "E_RUN_LOCKED",
      `${dir} is in use by another convlab run: ${describeOwner(owner)}` +
        (sameHost
          ? `; wait for it to end or stop it (kill ${owner.pid}), or use another folder`
          : `; if that process no longer runs, delete ${path}, or use another folder`),
    );
  }
}

/** `process 1234 on host h, started 2025-…T…Z (convlab train …)`. */
export function describeOwner(owner: LockOwner): string {
  return (
    `process ${owner.pid} on host ${owner.hostname}, started ${owner.started}` +
    (owner.command !== undefined ? ` (${owner.command})` : "")
  );
}

export interface RunLock {
  readonly dir: string;
  /** The lock file. */
  readonly path: string;
  /** Removes the lock (and the folder, when the lock created it and nothing else was written there). Idempotent. */
  release(): void;
}

export interface LockOptions {
  /** The command line to record, for the message another process shows. */
  command?: string;
  /** Told when a lock left by a holder that no longer runs is taken over (undefined: a lock file that is not JSON). */
  onTakeOver?: (stale: LockOwner | undefined, path: string) => void;
}

/** This process's start time in clock ticks since boot, where /proc has it (Linux). */
function processStart(pid: number | "self"): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3];
  } catch {
    return undefined;
  }
}

/** Whether a process of this pid runs on this host. */
function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user has this pid.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Whether the lock's holder runs: false when its pid is gone or now another process; true when it may run. */
function holderRuns(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  if (!pidRuns(owner.pid)) return false;
  const start = owner.processStart !== undefined ? processStart(owner.pid) : undefined;
  return start === undefined || start === owner.processStart;
}

/** The owner a lock file names; undefined when it is gone, "unreadable" when it is not a convlab lock. */
function readOwner(path: string): { owner?: LockOwner; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isInteger(owner.pid) && owner.pid > 0 && typeof owner.hostname === "string") return { owner, text };
  } catch {
    // Not JSON: not a lock this version wrote whole, so nobody holds it.
  }
  return { text };
}

/** Creates `path` holding `text` unless it exists; false when it does. */
function createExclusive(dir: string, path: string, text: string): boolean {
  const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(tmp, text);
    try {
      linkSync(tmp, path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw error;
    }
    // No hard links on this file system: an exclusive create, then the content (a reader may briefly see it empty).
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    throw runFolderError(dir, error);
  } finally {
    rmSync(tmp, { force: true });
  }
}

const held = new Set<RunLock>();
let releasedOnExit = false;

/**
 * Takes the lock of the run folder `dir`, creating the folder if needed (see ensureRunFolder: a path that is a
 * file, or a folder where nothing can be written, is a RunFolderError here, before any work). Throws
 * {@link RunLockedError} when a running process holds it; takes over, telling `onTakeOver`, a lock whose holder no
 * longer runs. Once held, the temporary files that killed writers left in the folder are removed.
 */
export function lockRunFolder(dir: string, options: LockOptions = {}): RunLock {
  const created = ensureRunFolder(dir);
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    started: new Date().toISOString(),
    ...(options.command !== undefined ? { command: options.command } : {}),
    ...(processStart("self") !== undefined ? { processStart: processStart("self") } : {}),
  };
  const text = `${JSON.stringify(me)}\n`;
  // A few rounds: another process may take the lock, or release it, between our looks.
  for (let round = 0; round < 5; round++) {
    if (createExclusive(dir, path, text)) return holdLock(dir, path, text, created);
    const found = readOwner(path);
    if (found === undefined) continue; // released meanwhile
    if (found.owner !== undefined && holderRuns(found.owner)) {
      throw new RunLockedError(dir, path, found.owner, found.owner.hostname === hostname());
    }
    // Remove it only while it still holds what was judged stale: another process may have taken it over since.
    if (readOwner(path)?.text === found.text) {
      options.onTakeOver?.(found.owner, path);
      rmSync(path, { force: true });
    }
  }
  const owner = readOwner(path)?.owner ?? me;
  throw new RunLockedError(dir, path, owner, owner.hostname === hostname());
}

function holdLock(dir: string, path: string, text: string, created: boolean): RunLock {
  let released = false;
  const lock: RunLock = {
    dir,
    path,
    release() {
      if (released) return;
      released = true;
      held.delete(lock);
      // Only our own lock: if it was taken over (we were thought dead), it is no longer ours to remove.
      if (readOwner(path)?.text === text) rmSync(path, { force: true });
      if (created) {
        try {
          rmdirSync(dir); // only when empty: a run that saved nothing leaves no folder behind
        } catch {
          // Not empty: the run's files stay.
        }
      }
    },
  };
  held.add(lock);
  if (!releasedOnExit) {
    releasedOnExit = true;
    process.on("exit", () => {
      for (const lock of [...held]) lock.release();
    });
  }
  // Another process's lock attempt is not a killed writer's leftover while that process runs.
  removeTemporaryFiles(dir, (name, pid) => name.startsWith(`${LOCK_FILE}.`) && pidRuns(pid));
  return lock;
}
