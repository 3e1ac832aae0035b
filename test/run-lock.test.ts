import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { LOCK_FILE, lockRunFolder, RunLockedError, type LockOwner } from "../src/node/run-lock.js";
import { convlab, show, succeeded, type Run } from "./helpers/cli.js";
import { writeTinyMnist } from "./helpers/idx.js";

/**
 * One run per folder: the lock file `.lock` (src/node/run-lock.ts) in the library, then two `convlab train` started
 * on the same --out, and a lock left by a process that is gone.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-lock-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const DATA = join(TMP, "data");
writeTinyMnist(DATA, { train: 256, test: 32, seed: 5 });

let folders = 0;
const fresh = (name: string) => join(TMP, `${name}-${++folders}`);

/** The pid of a process that has just exited: no process runs under it (until the system reuses it). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "0"]);
  assert.equal(child.status, 0);
  return child.pid!;
}

const owner = (more: Partial<LockOwner>): LockOwner => ({
  pid: deadPid(),
  hostname: hostname(),
  started: "2020-01-01T00:00:00.000Z",
  command: "convlab train --out x",
  ...more,
});

/** Asserts `fn` throws a RunLockedError and returns it. */
function locked(fn: () => unknown): RunLockedError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RunLockedError, String(error));
    assert.equal(error.code, "E_RUN_LOCKED");
    return error;
  }
  assert.fail("not refused");
}

test("lockRunFolder writes who holds the folder, refuses a second holder, and release removes it", () => {
  const dir = fresh("held");
  mkdirSync(dir);
  const lock = lockRunFolder(dir, { command: "convlab train --out held" });
  const path = join(dir, LOCK_FILE);
  const saved = JSON.parse(readFileSync(path, "utf8")) as LockOwner;
  assert.equal(saved.pid, process.pid);
  assert.equal(saved.hostname, hostname());
  assert.equal(saved.command, "convlab train --out held");
  assert.ok(!Number.isNaN(Date.parse(saved.started)), saved.started);
  assert.match(saved.processStart ?? "", /^\d+$/, "Linux has /proc/self/stat");

  // This process runs, so its lock holds against anyone, this process included.
  const refused = locked(() => lockRunFolder(dir));
  assert.equal(refused.owner.pid, process.pid);
  assert.ok(refused.sameHost);
  assert.match(refused.message, new RegExp(`is in use by another convlab run: process ${process.pid} on host `));
  assert.match(refused.message, new RegExp(`kill ${process.pid}`));

  lock.release();
  lock.release(); // idempotent
  assert.ok(!existsSync(path));
  const again = lockRunFolder(dir);
  again.release();
  assert.deepEqual(readdirSync(dir), [], "no temporary file is left either");
});

test("a lock left by a process that no longer runs (or whose pid is now another's) is taken over, with a notice", () => {
  const cases: [string, string][] = [
    ["dead pid", JSON.stringify(owner({}))],
    // This process's pid, but another start time: the pid was reused since the holder died.
    ["reused pid", JSON.stringify(owner({ pid: process.pid, processStart: "1" }))],
    ["not a lock", "garbage"],
    ["empty", ""],
  ];
  for (const [name, text] of cases) {
    const dir = fresh("stale");
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), text);
    const told: (LockOwner | undefined)[] = [];
    const lock = lockRunFolder(dir, { onTakeOver: (stale) => told.push(stale) });
    assert.equal(told.length, 1, name);
    assert.equal(told[0]?.pid, text.startsWith("{") ? (JSON.parse(text) as LockOwner).pid : undefined, name);
    assert.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")) as LockOwner).pid, process.pid, name);
    lock.release();
  }
});

test("a lock held on another host is not taken over: the message says to delete it if that process is gone", () => {
  const dir = fresh("remote");
  mkdirSync(dir);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify(owner({ hostname: `not-${hostname()}`, pid: 4242 })));
  const refused = locked(() => lockRunFolder(dir));
  assert.equal(refused.sameHost, false);
  assert.match(refused.message, /process 4242 on host not-/);
  assert.ok(refused.message.includes(`if that process no longer runs, delete ${join(dir, LOCK_FILE)}`));
});

test("the lock removes temporary files left by killed writers, and a folder it created that stays empty", () => {
  const dir = fresh("temps");
  mkdirSync(dir);
  const stale = [".checkpoint.safetensors.12345.0badf00d.tmp", ".report.html.7.deadbeef.tmp"];
  const kept = ["notes.tmp", ".x.tmp", "model.safetensors"];
  for (const name of [...stale, ...kept]) writeFileSync(join(dir, name), "x");
  lockRunFolder(dir).release();
  assert.deepEqual(readdirSync(dir).sort(), kept.sort());

  const created = join(fresh("created"), "run");
  lockRunFolder(created).release();
  assert.ok(!existsSync(created), "a run that saved nothing leaves no folder");
});

/** The CLI's settings here: wasm on one thread, three epochs of 256 images (about a second of training). */
const trainArgs = (out: string, ...more: string[]) => [
  "train",
  ...["--data-dir", DATA, "--out", out, "--batch-size", "32", "--epochs", "3", "--threads", "1"],
  ...["--no-progress", "--lang", "en", ...more],
];

/** Runs `convlab` and measures how long it took, in seconds. */
async function timed(args: string[]): Promise<Run & { seconds: number }> {
  const start = performance.now();
  const run = await convlab(...args);
  return { ...run, seconds: (performance.now() - start) / 1000 };
}

test(
  "two `convlab train` on one --out: one trains, the other is refused at once naming it",
  { timeout: 60_000 },
  async () => {
    const out = fresh("twice");
    const [a, b] = await Promise.all([timed(trainArgs(out)), timed(trainArgs(out, "--seed", "1"))]);
    const [won, lost] = a.code === 0 ? [a, b] : [b, a];
    succeeded(won);
    assert.equal(lost.code, 1, show(lost));
    assert.equal(lost.stdout, "", show(lost));
    assert.match(
      lost.stderr,
      new RegExp(
        `^convlab: error: ${out} is in use by another convlab run: process \\d+ on host ${hostname()}, started \\S+ ` +
          `\\(convlab train --data-dir .* --out ${out} .*\\); wait for it to finish, stop it \\(kill \\d+\\), or ` +
          `choose another --out folder\\n$`,
      ),
    );
    assert.ok(lost.seconds < won.seconds, `refused after ${lost.seconds} s, the other took ${won.seconds} s`);
    assert.ok(!existsSync(join(out, LOCK_FILE)), "the lock is released at the end");
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as { config: { seed: number } };
    assert.equal(metrics.config.seed, a.code === 0 ? 0 : 1, "the folder holds the winner's run");
  },
);

test(
  "`convlab train` takes over a lock whose process is gone, saying so, and trains",
  { timeout: 60_000 },
  async () => {
    const out = fresh("stale-cli");
    mkdirSync(out);
    const stale = owner({});
    writeFileSync(join(out, LOCK_FILE), JSON.stringify(stale));
    const run = succeeded(await convlab(...trainArgs(out)));
    assert.ok(
      run.stderr.includes(
        `convlab: ${join(out, LOCK_FILE)} was left by process ${stale.pid} (started ${stale.started}), which no ` +
          `longer runs; taking the run folder over\n`,
      ),
      run.stderr,
    );
    assert.ok(existsSync(join(out, "report.html")));
    assert.ok(!existsSync(join(out, LOCK_FILE)));
  },
);

test(
  "a finished run whose process was killed before it released its lock: the same command refuses it and the lock goes",
  { timeout: 60_000 },
  async () => {
    // kill -9 after the report was written: every file is whole, only `.lock` is left.
    const out = fresh("finished-stale");
    succeeded(await convlab(...trainArgs(out)));
    const stale = owner({});
    writeFileSync(join(out, LOCK_FILE), JSON.stringify(stale));
    const again = await convlab(...trainArgs(out));
    assert.equal(again.code, 1, again.stderr);
    assert.equal(
      again.stderr,
      `convlab: ${join(out, LOCK_FILE)} was left by process ${stale.pid} (started ${stale.started}), which no longer ` +
        `runs; taking the run folder over\n` +
        `convlab: error: ${out} already holds a trained model (model.safetensors); choose another --out folder\n`,
    );
    assert.ok(!existsSync(join(out, LOCK_FILE)));
  },
);

test("two sweeps on one folder: the second is refused; the sweep releases its locks", { timeout: 60_000 }, async () => {
  const out = fresh("sweep");
  const sweep = (seed: string) =>
    timed([
      "sweep",
      ...["--grid", "lr=0.01,0.02", "--epochs", "1", "--batch-size", "32", "--seed", seed, "--train-limit", "64"],
      ...["--data-dir", DATA, "--out", out, "--threads", "1", "--no-progress", "--lang", "en"],
    ]);
  const [a, b] = await Promise.all([sweep("0"), sweep("1")]);
  const [won, lost] = a.code === 0 ? [a, b] : [b, a];
  succeeded(won);
  assert.equal(lost.code, 1, show(lost));
  assert.match(lost.stderr, /^convlab: error: .* is in use by another convlab run: process \d+/);
  const locks = readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith(LOCK_FILE));
  assert.deepEqual(locks, [], "no lock is left in the sweep folder or its runs");
});
