import { readFileSync } from "node:fs";

/** Why a file could not be read, in terms a user can act on. */
export type ReadProblem = "missing" | "directory";

/**
 * Reads a whole file, turning the two mistakes users make with paths (a missing file, a folder) into the caller's
 * own error, so each format can say what file it expected and how to get one. Other I/O errors pass through.
 */
export function readFileOr(path: string, explain: (problem: ReadProblem) => Error): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw explain("missing");
    if (code === "EISDIR") throw explain("directory");
    throw error;
  }
}
