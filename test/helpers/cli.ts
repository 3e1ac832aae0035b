import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: `convlab` runs from here, from the TypeScript sources through tsx. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `convlab <args>` in a child process and collects its output. */
export function convlab(...args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** A run's exit code and output, for assertion messages. */
export function show(run: Run): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
}

export function succeeded(run: Run): Run {
  assert.equal(run.code, 0, show(run));
  return run;
}
