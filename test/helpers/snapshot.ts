import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Committed snapshots live in test/snapshots/, so a change of output shows up in review as a diff of that file. */
const DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "snapshots");

/**
 * Asserts that `actual` equals the snapshot file `name`; with UPDATE_SNAPSHOTS=1 it (re)writes the file instead.
 * A missing snapshot fails, so a new one is only ever created on purpose.
 */
export function assertSnapshot(name: string, actual: string): void {
  const path = join(DIR, name);
  if (process.env.UPDATE_SNAPSHOTS === "1") {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `no snapshot ${path}; run with UPDATE_SNAPSHOTS=1 to create it, then review it`);
  assert.equal(actual, readFileSync(path, "utf8"), `${name} changed; if intended, rerun with UPDATE_SNAPSHOTS=1`);
}
