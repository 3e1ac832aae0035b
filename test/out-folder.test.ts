import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FileWriteError, writeFileAtomic } from "../src/node/atomic.js";
import { ensureRunFolder, RunFolderError } from "../src/node/run-storage.js";
import { loadSafetensorsFile } from "../src/node/safetensors-file.js";
import { convlab, show, succeeded, type Run } from "./helpers/cli.js";
import { writeTinyMnist } from "./helpers/idx.js";

/**
 * The output folder: a --out that cannot hold a run is refused before any data is read or epoch trained, naming
 * the path and the fix; a write that fails during the run (a full disk, a read-only folder) ends it naming the file
 * and the reason, keeping what was saved, and leaving no half-written file. The full-disk and read-only cases run
 * on small tmpfs mounts, where this process may mount (root in a container); elsewhere they are skipped, saying why.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-out-"));
const mounts: string[] = [];
after(() => {
  for (const dir of mounts) spawnSync("umount", [dir]);
  rmSync(TMP, { recursive: true, force: true });
});
const DATA = join(TMP, "data");
writeTinyMnist(DATA, { train: 256, test: 32, seed: 6 });

let folders = 0;
const fresh = (name: string) => join(TMP, `${name}-${++folders}`);

/** Mounts a tmpfs with `options` on a new folder; its path, or why it could not. */
function mountTmpfs(options: string): { dir: string } | { reason: string } {
  const dir = fresh("mnt");
  mkdirSync(dir);
  const result = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) {
    return { reason: `mount -t tmpfs is not allowed here: ${result.error?.message ?? result.stderr.trim()}` };
  }
  mounts.push(dir);
  return { dir };
}
const probe = mountTmpfs("size=64k");
/** Why the tmpfs tests are skipped, or false when mounting works. */
const NO_MOUNT = "reason" in probe ? probe.reason : false;

const trainArgs = (out: string, ...more: string[]) => [
  "train",
  ...["--data-dir", DATA, "--out", out, "--batch-size", "32", "--epochs", "2", "--threads", "1"],
  ...["--no-progress", "--lang", "en", ...more],
];

/** A refused run: exit 1, nothing on stdout (no epoch trained), and exactly this error line. */
function refused(run: Run, line: string): void {
  assert.equal(run.code, 1, show(run));
  assert.equal(run.stdout, "", show(run));
  assert.equal(run.stderr, `convlab: error: ${line}\n`);
}

test("ensureRunFolder creates a missing folder and refuses a file, a path under a file, /proc and /sys", () => {
  const made = join(fresh("new"), "a", "b");
  assert.equal(ensureRunFolder(made), true);
  assert.equal(ensureRunFolder(made), false, "an existing folder is kept");
  const file = join(fresh("file"), "f");
  mkdirSync(join(file, ".."));
  writeFileSync(file, "x");
  const cases: [string, string, string][] = [
    [file, "E_OUT_NOT_FOLDER", "ENOTDIR"],
    [join(file, "run"), "E_OUT_NOT_FOLDER", "ENOTDIR"],
    // Node's mkdirSync(…, { recursive: true }) loops forever on this one; makeFolder fails at once.
    ["/proc/convlab-run", "E_OUT_UNWRITABLE", "ENOENT"],
  ];
  if (existsSync("/sys/kernel")) cases.push(["/sys/convlab-run", "E_OUT_UNWRITABLE", "EPERM"]);
  for (const [dir, code, reason] of cases) {
    assert.throws(
      () => ensureRunFolder(dir),
      (error: unknown) =>
        error instanceof RunFolderError && error.code === code && error.dir === dir && error.reason === reason,
      dir,
    );
  }
});

test("train refuses an --out that is a file, under a file, or under /proc or /sys, before reading any data", async () => {
  const file = join(fresh("file"), "results.txt");
  mkdirSync(join(file, ".."));
  writeFileSync(file, "not a folder");
  // --data-dir names no data: had the run read it first, the error would be about MNIST.
  const args = (out: string, ...more: string[]) => trainArgs(out, "--data-dir", join(TMP, "no-data"), ...more);
  const [asFile, underFile, proc, sys, vi] = await Promise.all([
    convlab(...args(file)),
    convlab(...args(join(file, "run"))),
    convlab(...args("/proc/x")),
    convlab(...args("/sys/x")),
    convlab(...args(file, "--lang", "vi")),
  ]);
  refused(asFile, `--out ${file} is a file, or lies under one; choose a folder for the run (it is created if missing)`);
  refused(
    underFile,
    `--out ${join(file, "run")} is a file, or lies under one; choose a folder for the run (it is created if missing)`,
  );
  refused(
    proc,
    "--out /proc/x: cannot create or write the run folder: no such file or directory (ENOENT); choose a folder " +
      "where you can write, e.g. --out runs/my-run",
  );
  refused(
    sys,
    "--out /sys/x: cannot create or write the run folder: operation not permitted (EPERM); choose a folder where " +
      "you can write, e.g. --out runs/my-run",
  );
  assert.equal(
    vi.stderr,
    `convlab: lỗi: --out ${file} là một tệp, hoặc nằm dưới một tệp; hãy chọn một thư mục cho lần chạy (sẽ được tạo nếu chưa có)\n`,
  );
  assert.equal(readFileSync(file, "utf8"), "not a folder", "the file is untouched");
});

test(
  "a read-only --out is refused before any epoch; a failed atomic write names its file and leaves no temporary",
  { skip: NO_MOUNT },
  async () => {
    const mounted = mountTmpfs("ro,size=64k");
    assert.ok("dir" in mounted, "reason" in mounted ? mounted.reason : "");
    const run = await convlab(...trainArgs(mounted.dir));
    refused(
      run,
      `--out ${mounted.dir}: cannot create or write the run folder: read-only file system (EROFS); choose a folder ` +
        "where you can write, e.g. --out runs/my-run",
    );
    const target = join(mounted.dir, "model.safetensors");
    assert.throws(
      () => writeFileAtomic(target, new Uint8Array(10)),
      (error: unknown) =>
        error instanceof FileWriteError &&
        error.code === "E_FILE_WRITE" &&
        error.path === target &&
        error.reason === "EROFS" &&
        error.message === `cannot write ${target}: read-only file system (EROFS)`,
    );
  },
);

test(
  "writeFileAtomic on a full disk: FileWriteError naming the target, the old content kept, no temporary left",
  { skip: NO_MOUNT },
  () => {
    assert.ok("dir" in probe);
    const target = join(probe.dir, "model.safetensors");
    writeFileAtomic(target, "old");
    assert.throws(
      () => writeFileAtomic(target, new Uint8Array(256 * 1024)),
      (error: unknown) =>
        error instanceof FileWriteError &&
        error.path === target &&
        error.reason === "ENOSPC" &&
        error.message === `cannot write ${target}: no space left on device (ENOSPC)`,
    );
    assert.equal(readFileSync(target, "utf8"), "old");
    assert.deepEqual(readdirSync(probe.dir), ["model.safetensors"]);
  },
);

/** Files of `dir` that no finished write would leave: temporaries and locks. */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".tmp") || f === ".lock");

test(
  "train on a full disk: the first checkpoint fails naming it and ENOSPC; nothing half-written",
  { skip: NO_MOUNT, timeout: 60_000 },
  async () => {
    const mounted = mountTmpfs("size=64k"); // the lock fits, a checkpoint (weights and momentum, ~100 kB) does not
    assert.ok("dir" in mounted);
    const out = join(mounted.dir, "run");
    const run = await convlab(...trainArgs(out));
    assert.equal(run.code, 1, show(run));
    assert.match(run.stdout, /^Epoch 1, Loss: /, "the data was read and the epoch trained");
    const checkpoint = join(out, "checkpoint.safetensors");
    assert.ok(
      run.stderr.endsWith(
        `convlab: error: cannot write ${checkpoint}: no space left on device (ENOSPC); free some space there, or ` +
          "choose an --out folder on another disk\n" +
          "Nothing is saved yet: the first epoch had not ended.\n" +
          "Run the same command again to start over:\n" +
          `  convlab ${trainArgs(out).join(" ")}\n`,
      ),
      run.stderr,
    );
    assert.ok(!existsSync(out) || leftovers(out).length === 0, "no temporary file or lock is left");
    assert.deepEqual(
      readdirSync(mounted.dir).filter((f) => f !== "run"),
      [],
    );
  },
);

test(
  "train whose report fills the disk: it names the picture, keeps model and metrics; after freeing space the same command finishes the report",
  { skip: NO_MOUNT, timeout: 90_000 },
  async () => {
    // Room for two checkpoints (the old one and its replacement), then the model, but not the report's pictures.
    const mounted = mountTmpfs("size=320k");
    assert.ok("dir" in mounted);
    const out = join(mounted.dir, "run");
    const run = await convlab(...trainArgs(out));
    assert.equal(run.code, 1, show(run));
    assert.match(run.stdout, /Saved .*model\.safetensors and .*metrics\.json\nDrawing the report's pictures…\n$/);
    const failed = new RegExp(
      `^convlab: error: cannot write ${out}/([\\w-]+\\.(?:svg|png|html)): no space left on device \\(ENOSPC\\); free ` +
        "some space there, or choose an --out folder on another disk\n" +
        `${out}/model.safetensors and ${out}/metrics.json are saved, but the report is not finished.\n` +
        "Run the same command again to finish the report:\n" +
        `  convlab ${trainArgs(out).join(" ")}\n$`,
    );
    assert.match(run.stderr, failed);
    assert.deepEqual(leftovers(out), [], "no temporary file or lock is left");
    assert.ok(!existsSync(join(out, "checkpoint.safetensors")));
    assert.ok(!existsSync(join(out, "report.html")));
    const weights = loadSafetensorsFile(join(out, "model.safetensors")); // whole: it loads
    assert.ok("fc1.weight" in weights.tensors);

    const remount = spawnSync("mount", ["-o", "remount,size=16m", mounted.dir], { encoding: "utf8" });
    assert.equal(remount.status, 0, remount.stderr);
    const again = succeeded(await convlab(...trainArgs(out)));
    assert.match(
      again.stdout,
      new RegExp(`^${out} holds a finished run whose report was not finished; finishing it\n`),
    );
    assert.ok(existsSync(join(out, "report.html")));
    assert.deepEqual(leftovers(out), []);
  },
);
