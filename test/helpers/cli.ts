import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: `convlab` runs from here, from the TypeScript sources through tsx. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, collecting its output (never rejects for a non-zero exit; check `code`). */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Runs a TypeScript program of this repository (through tsx) with `args`, from the repository root. */
export function runTs(file: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return run(process.execPath, ["--import", "tsx", file, ...args], { cwd: REPO, env });
}

/** Runs `convlab <args>` in a child process and collects its output; `env` adds to (or unsets, as undefined) ours. */
export function convlab(...args: string[]): Promise<Run> {
  return convlabWith({}, ...args);
}

export function convlabWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  const merged = Object.entries({ ...process.env, NO_COLOR: "1", ...env }).filter(([, v]) => v !== undefined);
  return runTs("cli/main.ts", args, Object.fromEntries(merged));
}

/** A run's exit code and output, for assertion messages. */
export function show(run: Run): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
}

export function succeeded(run: Run): Run {
  assert.equal(run.code, 0, show(run));
  return run;
}

/**
 * The pictures a run's closing lines name, one a line (`  loss.svg, loss.png`), are exactly the .svg and .png files
 * in its folder.
 */
export function assertNamesPictures(stdout: string, dir: string): void {
  const named = [...stdout.matchAll(/^ {2}(\S+)\.svg, \1\.png$/gm)].flatMap((m) => [`${m[1]}.svg`, `${m[1]}.png`]);
  const written = readdirSync(dir).filter((f) => /\.(svg|png)$/.test(f));
  assert.ok(named.length > 0, stdout);
  assert.deepEqual(named.sort(), written.sort(), stdout);
}
