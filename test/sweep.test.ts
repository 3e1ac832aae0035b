import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gridAxis } from "../cli/grid.js";
import { gridProduct, HOMEWORK, planSweep } from "../src/train/sweep-plan.js";
import type { TrainFlags } from "../cli/commands/train.js";
import { assertNamesPictures, convlab, show, succeeded } from "./helpers/cli.js";
import { writeTinyMnist } from "./helpers/idx.js";
import { sweepJobs } from "../src/node/sweep-trainer.js";

/**
 * `convlab sweep` and `convlab runs` on a tiny MNIST: one grid sweep of four runs (two of which diverge), its
 * identical rerun, and the listings. wasm with one thread keeps each run's training well under a second.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-sweep-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const DATA = join(TMP, "data");
writeTinyMnist(DATA, { train: 128, test: 32, seed: 4 });
const SWEEP = join(TMP, "sweep");
// lr 1e12 makes the loss NaN within the first epoch for both models on this data.
const sweepArgs = [
  "sweep",
  ...["--grid", "lr=0.01,1e12", "--grid", "arch=seed,conv3", "--epochs", "2", "--batch-size", "32"],
  ...["--data-dir", DATA, "--out", SWEEP, "--threads", "1", "--no-progress", "--lang", "en"],
];
const NAMES = ["arch=conv3,lr=0.01", "arch=conv3,lr=1000000000000", "arch=seed,lr=0.01", "arch=seed,lr=1000000000000"];

interface SummaryRun {
  name: string;
  status: string;
  trained: boolean;
  testAccuracy?: number;
  error?: string;
}

const base: TrainFlags = {
  arch: "seed",
  epochs: 5,
  lr: 0.01,
  momentum: 0.9,
  batchSize: 64,
  seed: 0,
  json: false,
  progress: false,
  dataDir: "./data",
  download: false,
};

test("homework plans the tutorial's five runs, named by what varies", () => {
  const runs = planSweep(HOMEWORK, base);
  assert.deepEqual(
    runs.map((r) => r.name),
    [
      "arch=seed,epochs=5,lr=0.01",
      "arch=seed,epochs=10,lr=0.01",
      "arch=conv3,epochs=10,lr=0.01",
      "arch=seed,epochs=10,lr=0.001",
      "arch=seed,epochs=10,lr=0.1",
    ],
  );
  assert.equal(runs[2].settings.arch, "conv3");
  assert.equal(runs[4].settings.lr, 0.1);
  assert.equal(runs[4].settings.momentum, 0.9, "shared flags apply to every run");
});

test("sweepJobs: a run per core on one thread each, unless --jobs or --threads says otherwise", () => {
  assert.deepEqual(sweepJobs(5, {}, 2), { jobs: 2, threads: 1 });
  assert.deepEqual(sweepJobs(5, { threads: 2 }, 2), { jobs: 1, threads: 2 }, "--threads 2: one run at a time");
  assert.deepEqual(sweepJobs(5, { jobs: 1 }, 2), { jobs: 1, threads: 2 }, "--jobs 1: every core for each run");
  assert.deepEqual(sweepJobs(1, {}, 2), { jobs: 1, threads: 2 }, "one run: all of the cores");
  assert.deepEqual(sweepJobs(5, {}, 8), { jobs: 5, threads: 1 });
  assert.deepEqual(sweepJobs(3, { jobs: 2 }, 8), { jobs: 2, threads: 4 });
  assert.deepEqual(sweepJobs(5, { threads: 3 }, 2), { jobs: 1, threads: 3 });
});

test("--grid is parsed with train's checks; a misspelt key gets a suggestion", () => {
  const axes = gridAxis("arch=seed,conv3", gridAxis("lr=0.001,0.01,0.01"));
  assert.deepEqual(axes, [
    { key: "lr", values: [0.001, 0.01] },
    { key: "arch", values: ["seed", "conv3"] },
  ]);
  assert.equal(planSweep(gridProduct(axes), base).length, 4);
  assert.throws(() => gridAxis("lrr=0.1"), /Unknown setting 'lrr'; did you mean lr\?/);
  assert.throws(() => gridAxis("lr=0,0.1"), /learning rate must be greater than 0/);
  assert.throws(() => gridAxis("lr=0.1", gridAxis("lr=0.01")), /'lr' is already in another --grid/);
  // In Vietnamese, as the CLI parses it under --lang vi.
  assert.throws(() => gridAxis("lrr=0.1", [], "vi"), /Không có thiết lập 'lrr'; có phải ý bạn là lr\?/);
  assert.throws(() => gridAxis("lr=0,0.1", [], "vi"), /Learning rate phải lớn hơn 0/);
  assert.throws(() => gridAxis("lr", [], "vi"), /Hãy viết theo dạng key=giá_trị/);
});

test(
  "a grid sweep trains each run in its folder, records diverged runs, and an identical rerun trains nothing",
  {
    timeout: 80_000,
  },
  async () => {
    const first = succeeded(await convlab(...sweepArgs));
    assert.deepEqual(
      readdirSync(SWEEP)
        .filter((f) => f.startsWith("arch="))
        .sort(),
      NAMES,
    );
    const summary = JSON.parse(readFileSync(join(SWEEP, "summary.json"), "utf8")) as { runs: SummaryRun[] };
    const status = Object.fromEntries(summary.runs.map((r) => [r.name, r.status]));
    assert.deepEqual(status, {
      "arch=seed,lr=0.01": "finished",
      "arch=seed,lr=1000000000000": "failed",
      "arch=conv3,lr=0.01": "finished",
      "arch=conv3,lr=1000000000000": "failed",
    });
    assert.ok(summary.runs.every((r) => r.trained));
    for (const r of summary.runs.filter((r) => r.status === "failed")) {
      assert.match(r.error ?? "", /the loss became NaN at epoch 1/);
    }
    // The printed table: one line per run, failures explained under it.
    assert.match(first.stdout, /^run\s+status\s+test acc\s+final loss\s+params\s+seconds$/m);
    assert.match(first.stdout, /^arch=seed,lr=0\.01\s+finished\s+\d+\.\d\d%\s+\d\.\d{4}\s+12,810\s+\d+\.\d$/m);
    assert.match(first.stdout, /^arch=seed,lr=1000000000000: the loss became NaN/m);
    // It ends by naming what it wrote: summary.json, comparison.html and each picture's SVG and PNG.
    const ending = first.stdout.slice(first.stdout.indexOf(`Saved ${join(SWEEP, "summary.json")}\n`));
    assert.ok(ending.includes(`Saved ${join(SWEEP, "comparison.html")} (open it in a browser)`), first.stdout);
    assertNamesPictures(ending, SWEEP);

    const model = join(SWEEP, "arch=seed,lr=0.01", "model.safetensors");
    const mtime = statSync(model).mtimeMs;
    const again = succeeded(await convlab(...sweepArgs));
    assert.ok(!/^Epoch \d/m.test(again.stdout), `trained again:\n${show(again)}`);
    assert.equal((again.stdout.match(/Finished before: skipped/g) ?? []).length, 2);
    assert.equal((again.stdout.match(/Failed before: skipped/g) ?? []).length, 2);
    assert.equal(statSync(model).mtimeMs, mtime, "the finished model was rewritten");
    const rerun = JSON.parse(readFileSync(join(SWEEP, "summary.json"), "utf8")) as { runs: SummaryRun[] };
    assert.ok(rerun.runs.every((r) => !r.trained));
    assert.deepEqual(
      rerun.runs.map((r) => r.testAccuracy),
      summary.runs.map((r) => r.testAccuracy),
    );

    // In Vietnamese: the same skips, table and files, in the tutorial's words (the last --lang counts).
    const vi = succeeded(await convlab(...sweepArgs, "--lang", "vi"));
    assert.equal((vi.stdout.match(/^Đã xong từ trước: bỏ qua\.$/gm) ?? []).length, 2, vi.stdout);
    assert.equal((vi.stdout.match(/^Đã thất bại từ trước: bỏ qua \(the loss became NaN/gm) ?? []).length, 2);
    assert.match(vi.stdout, /^lần chạy\s+trạng thái\s+độ chính xác test\s+loss cuối\s+số tham số\s+số giây$/m);
    assert.match(vi.stdout, /^arch=seed,lr=0\.01\s+xong\s+\d+\.\d\d%\s+\d\.\d{4}\s+12,810\s+\d+\.\d$/m);
    assert.match(vi.stdout, /^arch=seed,lr=1000000000000\s+thất bại\s+–/m);
    assert.ok(vi.stdout.includes(`Đã lưu ${join(SWEEP, "summary.json")}\n`), vi.stdout);
    assert.ok(vi.stdout.includes(`Đã lưu báo cáo ${join(SWEEP, "comparison.html")} (mở bằng trình duyệt)`));
    assert.doesNotMatch(vi.stdout, /skipped|Saved|status/);

    // The same folder with other settings is refused, naming the setting, before anything is trained.
    const other = await convlab(...sweepArgs, "--seed", "1");
    assert.notEqual(other.code, 0, show(other));
    assert.match(other.stderr, /trained with --seed 0, but this run asks for --seed 1/);
    const otherVi = await convlab(...sweepArgs, "--seed", "1", "--lang", "vi");
    assert.notEqual(otherVi.code, 0, show(otherVi));
    assert.match(
      otherVi.stderr,
      /^convlab: lỗi: .*: lần chạy đã xong ở đó được huấn luyện với --seed 0, nhưng lần chạy này yêu cầu --seed 1; hãy chạy lại với --seed 0/,
    );

    // runs: the sweep's runs, one level down from the parent folder, and --json.
    const listed = succeeded(await convlab("runs", TMP));
    assert.match(listed.stdout, /^run\s+status\s+arch\s+epochs\s+lr\s+test acc\s+final loss\s+seconds$/m);
    assert.match(listed.stdout, /^sweep\/arch=conv3,lr=0\.01\s+finished\s+conv3\s+2\s+0\.01\s+\d+\.\d\d%/m);
    assert.match(listed.stdout, /^sweep\/arch=seed,lr=1000000000000\s+failed\s+seed\s+0\/2\s+1000000000000\s+–/m);
    const listedVi = succeeded(await convlab("runs", TMP, "--lang", "vi"));
    assert.match(
      listedVi.stdout,
      /^lần chạy\s+trạng thái\s+arch\s+epochs\s+lr\s+độ chính xác test\s+loss cuối\s+số giây$/m,
    );
    assert.match(listedVi.stdout, /^sweep\/arch=conv3,lr=0\.01\s+xong\s+conv3\s+2\s+0\.01\s+\d+\.\d\d%/m);
    assert.match(listedVi.stdout, /^sweep\/arch=seed,lr=1000000000000\s+thất bại\s+seed\s+0\/2/m);
    const json = JSON.parse(succeeded(await convlab("runs", SWEEP, "--json")).stdout) as { runs: SummaryRun[] };
    assert.deepEqual(json.runs.map((r) => r.name).sort(), NAMES);
  },
);

test("runs of a missing folder says how to get one", { timeout: 20_000 }, async () => {
  const run = await convlab("runs", join(TMP, "nowhere"));
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /no such folder: .*nowhere; train a model first/);
});
