import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcessByStdio } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { convlab, REPO, show, succeeded, type Run } from "./helpers/cli.js";
import { writeTinyMnist } from "./helpers/idx.js";

/**
 * Runs that are stopped: Ctrl-C (SIGINT) and SIGTERM while training, a kill while the report is drawn, and SIGKILL
 * at random moments. The same command run again must always finish the run, with the very weights of an
 * uninterrupted run (wasm on one thread sums in a fixed order, so bit for bit), and leave no lock or temporary file.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-kill-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const DATA = join(TMP, "data");
// About 0.2 s an epoch on one wasm thread: six epochs leave time to stop a run between two checkpoints.
writeTinyMnist(DATA, { train: 1024, test: 64, seed: 7 });
const EPOCHS = 6;

let folders = 0;
const fresh = (name: string) => join(TMP, `${name}-${++folders}`);

const trainArgs = (out: string) => [
  "train",
  ...["--data-dir", DATA, "--out", out, "--batch-size", "32", "--epochs", String(EPOCHS), "--threads", "1"],
  ...["--no-progress", "--lang", "en"],
];
/** How the CLI prints the command that resumes a run. */
const commandOf = (out: string) => `convlab ${trainArgs(out).join(" ")}`;

interface Started {
  child: ChildProcessByStdio<null, Readable, Readable>;
  /** The output so far. */
  output: { stdout: string; stderr: string };
  done: Promise<Run & { signal: NodeJS.Signals | null }>;
}

/** Starts `convlab <args>` (from the TypeScript sources, as the other CLI tests). */
function start(args: string[]): Started {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output.stderr += chunk));
  const done = new Promise<Run & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, ...output }));
  });
  return { child, output, done };
}

/** Polls every 5 ms until `ready()`; fails with the child's output if it exits first. */
async function until(started: Started, ready: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (started.child.exitCode === null && started.child.signalCode === null && performance.now() < deadline) {
    if (ready()) return;
    await sleep(5);
  }
  if (!ready()) assert.fail(`${what} never happened:\n${show(await started.done)}`);
}

/** What no finished or stopped run may leave: its lock, and temporary files of interrupted writes. */
const leftovers = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f === ".lock" || f.endsWith(".tmp")) : [];

/** An uninterrupted run with {@link trainArgs}, and how long it took: the reference for every stopped one. */
let reference: Promise<{ model: Buffer; seconds: number }> | undefined;
function uninterrupted(): Promise<{ model: Buffer; seconds: number }> {
  reference ??= (async () => {
    const out = fresh("whole");
    const begin = performance.now();
    succeeded(await convlab(...trainArgs(out)));
    return { model: readFileSync(join(out, "model.safetensors")), seconds: (performance.now() - begin) / 1000 };
  })();
  return reference;
}

for (const [signal, exitCode, said] of [
  ["SIGINT", 130, "Ctrl-C (SIGINT)"],
  ["SIGTERM", 143, "SIGTERM"],
] as const) {
  test(
    `${signal} while training stops at once, keeps the last epoch's checkpoint, releases the lock and says how to ` +
      `resume; the same command finishes the run`,
    { timeout: 60_000 },
    async () => {
      const { model } = await uninterrupted();
      const out = fresh(signal);
      const checkpoint = join(out, "checkpoint.safetensors");
      const run = start(trainArgs(out));
      await until(run, () => existsSync(checkpoint), "the first checkpoint");
      const sent = performance.now();
      run.child.kill(signal);
      const stopped = await run.done;
      const seconds = (performance.now() - sent) / 1000;
      assert.equal(stopped.code, exitCode, show(stopped));
      assert.ok(seconds < 2, `it took ${seconds.toFixed(2)} s to stop`);
      assert.ok(!existsSync(join(out, "model.safetensors")), "the run finished before the signal; slow it down");

      const match = new RegExp(
        `^convlab: stopped by ${said.replace(/[()]/g, "\\$&")} at epoch (\\d+), batch \\d+ of 32\\.\\n` +
          `${checkpoint} keeps the run as it was after epoch (\\d+) of ${EPOCHS}\\.\\n` +
          "Run the same command again to resume from there:\\n" +
          `  ${commandOf(out)}\\n$`,
      ).exec(stopped.stderr);
      assert.ok(match !== null, stopped.stderr);
      const [stoppedIn, kept] = [Number(match[1]), Number(match[2])];
      assert.equal(kept, stoppedIn - 1, "the checkpoint is the last finished epoch's");
      assert.match(
        stopped.stdout,
        new RegExp(`Epoch ${kept}, Loss: [\\d.]+ \\([\\d.]+s\\)\n$`),
        "the last epoch printed",
      );
      assert.deepEqual(leftovers(out), [], "the lock is released");

      const resumed = succeeded(await convlab(...trainArgs(out)));
      assert.match(resumed.stdout, new RegExp(`^Resuming ${out} after epoch ${kept} of ${EPOCHS}\n`));
      assert.ok(readFileSync(join(out, "model.safetensors")).equals(model), "not the uninterrupted run's weights");
      assert.ok(!existsSync(checkpoint));
      assert.deepEqual(leftovers(out), []);
    },
  );
}

test(
  "a run killed while drawing its report: the same command finishes the report and drops a stale checkpoint; " +
    "Ctrl-C while drawing says what is left; a finished run is still refused",
  { timeout: 60_000 },
  async () => {
    const out = fresh("report");
    const checkpoint = join(out, "checkpoint.safetensors");
    const first = start(trainArgs(out));
    // Keep a checkpoint aside, to play one left behind by a kill between metrics.json and its removal.
    await until(first, () => existsSync(checkpoint), "the first checkpoint");
    const aside = join(TMP, "aside.safetensors");
    await sleep(20);
    copyFileSync(checkpoint, aside);
    await until(first, () => existsSync(join(out, "loss.png")), "the report's first picture");
    first.child.kill("SIGKILL");
    await first.done;
    assert.ok(existsSync(join(out, "metrics.json")) && !existsSync(join(out, "report.html")), "killed too late");
    copyFileSync(aside, checkpoint);

    // Ctrl-C while drawing: the process ends at once, saying what is saved and how to finish.
    const second = start(trainArgs(out));
    await until(second, () => second.output.stdout.includes("Drawing"), "drawing the report");
    second.child.kill("SIGINT");
    const interrupted = await second.done;
    assert.equal(interrupted.code, 130, show(interrupted));
    assert.match(
      interrupted.stdout,
      new RegExp(`^${out} holds a finished run whose report was not finished; finishing it\n`),
    );
    // The killed run's lock is still there: taken over, since its process is gone.
    assert.match(
      interrupted.stderr,
      new RegExp(
        `^convlab: ${out}/\\.lock was left by process ${first.child.pid} \\(started \\S+\\), which no longer runs; taking the run folder over\n`,
      ),
    );
    assert.equal(
      interrupted.stderr.slice(interrupted.stderr.indexOf("\n") + 1),
      "convlab: stopped by Ctrl-C (SIGINT).\n" +
        `${out}/model.safetensors and ${out}/metrics.json are saved, but the report is not finished.\n` +
        "Run the same command again to finish the report:\n" +
        `  ${commandOf(out)}\n`,
    );
    assert.ok(!existsSync(checkpoint), "the stale checkpoint is removed");
    assert.deepEqual(leftovers(out), []);

    const finished = succeeded(await convlab(...trainArgs(out)));
    assert.match(finished.stdout, /finishing it\nDrawing the report's pictures…\nSaved .*report\.html/);
    assert.ok(existsSync(join(out, "report.html")));
    const refused = await convlab(...trainArgs(out));
    assert.equal(refused.code, 1, show(refused));
    assert.equal(
      refused.stderr,
      `convlab: error: ${out} already holds a trained model (model.safetensors); choose another --out folder\n`,
    );
  },
);

test(
  "kill -9 at five random moments: each rerun of the same command ends with the uninterrupted run's weights",
  { timeout: 120_000 },
  async (t) => {
    const { model, seconds } = await uninterrupted();
    const kills: string[] = [];
    for (let i = 0; i < 5; i++) {
      // One moment in each fifth of an uninterrupted run: start-up, training, saving, the report.
      const delay = (0.95 * seconds * 1000 * (i + Math.random())) / 5;
      const out = fresh("kill9");
      const run = start(trainArgs(out));
      await Promise.race([sleep(delay), run.done]);
      run.child.kill("SIGKILL");
      const killed = await run.done;
      const state = existsSync(out) ? readdirSync(out).filter((f) => !/\.(svg|png)$/.test(f)) : [];
      kills.push(`${delay.toFixed(0)} ms: ${killed.signal ?? `exit ${killed.code}`}, left [${state.join(", ")}]`);

      let rerun: Run | undefined;
      for (let attempt = 0; attempt < 2 && !existsSync(join(out, "report.html")); attempt++) {
        rerun = await convlab(...trainArgs(out));
        assert.equal(rerun.code, 0, `${kills.join("\n")}\n${show(rerun)}`);
      }
      if (rerun === undefined && leftovers(out).includes(".lock")) {
        // Killed after the report was written, before the lock was released: the run is whole. The same command
        // takes the dead process's lock over, refuses to train into a finished folder, and releases the lock.
        const again = await convlab(...trainArgs(out));
        assert.equal(again.code, 1, `${kills.join("\n")}\n${show(again)}`);
        assert.match(
          again.stderr,
          /which no longer runs; taking the run folder over\n.*already holds a trained model/s,
        );
      }
      assert.ok(
        readFileSync(join(out, "model.safetensors")).equals(model),
        `not the same weights:\n${kills.join("\n")}`,
      );
      assert.ok(existsSync(join(out, "report.html")));
      assert.ok(!existsSync(join(out, "checkpoint.safetensors")));
      assert.deepEqual(leftovers(out), [], kills.join("\n"));
    }
    t.diagnostic(`killed at ${kills.join("; ")}`);
  },
);

/** The runs of {@link sweepArgs}, trained side by side on one thread each. */
const SWEEP_RUNS = ["lr=0.01", "lr=0.02"];
const sweepArgs = (out: string) => [
  "sweep",
  ...["--grid", "lr=0.01,0.02", "--data-dir", DATA, "--out", out, "--batch-size", "32"],
  ...["--epochs", String(EPOCHS), "--threads", "1", "--jobs", "2", "--no-progress", "--lang", "en"],
];

/** A sweep with {@link sweepArgs} never stopped: the reference for the stopped ones. */
let wholeSweep: Promise<string> | undefined;
function uninterruptedSweep(): Promise<string> {
  wholeSweep ??= (async () => {
    const whole = fresh("sweep-whole");
    succeeded(await convlab(...sweepArgs(whole)));
    return whole;
  })();
  return wholeSweep;
}

/** Runs the sweep in `out` again, and checks that each run ends with the weights of the sweep never stopped. */
async function finishesAsWhole(out: string): Promise<void> {
  const whole = await uninterruptedSweep();
  const again = succeeded(await convlab(...sweepArgs(out)));
  assert.equal(again.stdout.match(/^\[\d\/2\] Resuming /gm)?.length, 2, show(again));
  for (const run of SWEEP_RUNS) {
    const model = (dir: string) => readFileSync(join(dir, run, "model.safetensors"));
    assert.ok(model(out).equals(model(whole)), `${run}: not the weights of the sweep never stopped`);
  }
}

test(
  "Ctrl-C while a sweep trains two runs side by side stops both after their step, keeps their checkpoints, names " +
    "them, and the same command finishes them with the weights of a sweep never stopped",
  { timeout: 120_000 },
  async () => {
    const runs = SWEEP_RUNS;
    await uninterruptedSweep();

    const out = fresh("sweep-stopped");
    const checkpoints = runs.map((run) => join(out, run, "checkpoint.safetensors"));
    const sweep = start(sweepArgs(out));
    await until(sweep, () => checkpoints.every((c) => existsSync(c)), "both runs' first checkpoints");
    sweep.child.kill("SIGINT");
    const stopped = await sweep.done;
    assert.equal(stopped.code, 130, show(stopped));
    for (const [i, run] of runs.entries()) {
      assert.ok(!existsSync(join(out, run, "model.safetensors")), `${run} finished before the signal; slow it down`);
      assert.ok(existsSync(checkpoints[i]), `${run} lost its checkpoint`);
      const said = new RegExp(
        `^The sweep was at run ${run}\\.\\n${checkpoints[i]} keeps the run as it was after epoch \\d of ${EPOCHS}\\.$`,
        "m",
      );
      assert.match(stopped.stderr, said);
      assert.deepEqual(leftovers(join(out, run)), []);
    }
    assert.match(stopped.stderr, /^convlab: stopped by Ctrl-C \(SIGINT\)\.\n/);
    assert.equal(stopped.stderr.match(/^Run the same command again to continue the sweep:$/gm)?.length, 1);
    assert.deepEqual(leftovers(out), []);

    await finishesAsWhole(out);
  },
);

test(
  "a run's process killed in a sweep: the sweep stops its other run, says what each keeps, and the same command " +
    "finishes both with the weights of a sweep never stopped",
  { timeout: 120_000 },
  async () => {
    await uninterruptedSweep();
    const out = fresh("sweep-killed");
    const checkpoints = SWEEP_RUNS.map((run) => join(out, run, "checkpoint.safetensors"));
    const sweep = start(sweepArgs(out));
    await until(sweep, () => checkpoints.every((c) => existsSync(c)), "both runs' first checkpoints");
    const [victim] = execFileSync("pgrep", ["-P", String(sweep.child.pid), "-f", "train-process"], { encoding: "utf8" })
      .trim()
      .split("\n");
    process.kill(Number(victim), "SIGKILL");
    const failed = await sweep.done;
    assert.equal(failed.code, 1, show(failed));
    assert.match(
      failed.stderr,
      /^convlab: error: the process training \S+lr=0\.0[12] ended \(SIGKILL\) before the run did \(killed, or out of memory\); the sweep stopped its other runs\n/,
    );
    for (const [i, run] of SWEEP_RUNS.entries()) {
      assert.ok(existsSync(checkpoints[i]), `${run} lost its checkpoint`);
      assert.match(failed.stderr, new RegExp(`^The sweep was at run ${run}\\.\\n${checkpoints[i]} keeps the run`, "m"));
    }
    assert.match(failed.stderr, /^Run the same command again to continue the sweep:$/m);
    await finishesAsWhole(out);
  },
);
