import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { trainCommand, type RunMetrics } from "../cli/commands/train.js";
import { featuresCommand } from "../cli/commands/features.js";
import { MNIST } from "../src/node/mnist.js";
import { loadTrainedModel } from "../src/node/model-file.js";
import { writeComparisonReport, writeRunReport } from "../src/node/run-report.js";
import { ema } from "../src/report/loss.js";
import { featureMapsSpec } from "../src/report/pictures.js";
import type { MnistDataset } from "../src/data/mnist.js";
import { chromiumMissing, launchChromium } from "./helpers/chromium.js";
import { writeTinyMnist } from "./helpers/idx.js";

/**
 * The run pictures are checked for what they must show (sizes, panels, rects, titles in both languages, wrong
 * predictions framed), not against pixel snapshots, so a Vega upgrade that moves a label by a pixel does not fail.
 * One tiny run (64 training images, 1 epoch) feeds every test; the whole file takes a few seconds.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-report-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const DATA = join(TMP, "data");
const EN = join(TMP, "run-en");
const VI = join(TMP, "run-vi");
const RUN_PICTURES = ["loss", "predictions", "features-conv1", "features-conv2", "kernels-conv1", "confusion", "wrong"];

let metrics: RunMetrics;
let testSet: MnistDataset;

before(async () => {
  writeTinyMnist(DATA, { train: 64, test: 24, seed: 4 });
  const flags = { arch: "seed", epochs: 1, lr: 0.01, momentum: 0.9, batchSize: 16, seed: 0, dataDir: DATA };
  metrics = await trainCommand({ ...flags, out: EN, json: true, progress: false, download: false, lang: "en" });
  // The Vietnamese report of the same run, drawn from the files `train` wrote: the model rebuilt from its weights.
  testSet = await MNIST({ root: DATA, train: false });
  await writeRunReport(VI, {
    metrics,
    model: loadTrainedModel(join(EN, "model.safetensors")).model,
    testSet,
    lang: "vi",
  });
});

const read = (dir: string, name: string) => readFileSync(join(dir, name), "utf8");

/** The text of every `<text>` element, in document order. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1].replace(/&#39;/g, "'").replace(/&amp;/g, "&"),
  );
}

/** The filled rectangles Vega drew (rect marks become `<path d="M…h…v…h…Z" fill="…">`). */
function rects(svg: string): number {
  return (svg.match(/<path d="M[-\d.]+,[-\d.]+h[-\d.]+v[-\d.]+h[-\d.]+Z" fill=/g) ?? []).length;
}

/** The red frames of wrong predictions. */
function frames(svg: string): number {
  return (svg.match(/stroke="#d62728"/g) ?? []).length;
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  assert.ok(m, "the SVG has a width and height");
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Width and height from a PNG's IHDR chunk, after checking the 8-byte signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  assert.equal(bytes.toString("latin1", 12, 16), "IHDR");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test("metrics.json keeps every batch's loss", () => {
  const saved = JSON.parse(read(EN, "metrics.json")) as RunMetrics;
  assert.equal(saved.epochs[0].batchLosses?.length, 64 / 16);
  const mean = saved.epochs[0].batchLosses!.reduce((a, v) => a + v, 0) / 4;
  assert.ok(Math.abs(mean - saved.epochs[0].loss) < 1e-9, "the epoch loss is the mean of the batch losses");
});

test("every picture is written as SVG and as a PNG of twice its size", () => {
  for (const dir of [EN, VI]) {
    for (const name of RUN_PICTURES) {
      const svg = read(dir, `${name}.svg`);
      const { width, height } = svgSize(svg);
      assert.ok(width > 100 && height > 100, `${name}.svg is ${width}×${height}`);
      assert.deepEqual(pngSize(readFileSync(join(dir, `${name}.png`))), { width: 2 * width, height: 2 * height });
    }
  }
});

test("predictions: the first 5 test images, titled in each language, wrong ones framed", () => {
  const expected = [0, 1, 2, 3, 4].map((i) => testSet.label(i));
  for (const [dir, re] of [
    [EN, /^Predicted: (\d) \/ True: (\d)$/],
    [VI, /^Dự đoán: (\d) \/ Thật: (\d)$/],
  ] as const) {
    const svg = read(dir, "predictions.svg");
    const titles = texts(svg).flatMap((t) => re.exec(t) ?? []);
    const panels = texts(svg)
      .map((t) => re.exec(t))
      .filter((m) => m !== null);
    assert.equal(panels.length, 5, titles.join());
    assert.deepEqual(
      panels.map((m) => Number(m[2])),
      expected,
    );
    const wrong = panels.filter((m) => m[1] !== m[2]).length;
    assert.equal(frames(svg), wrong, "one red frame per wrong prediction");
    assert.equal(rects(svg), 5 * 28 * 28, "one rect per pixel");
  }
});

test("feature maps: the original and every channel of conv1 and conv2 after ReLU, numbered", () => {
  const conv1 = read(EN, "features-conv1.svg");
  assert.ok(texts(conv1).includes("Original image"));
  assert.ok(texts(conv1).includes("Feature Map 16") && !texts(conv1).includes("Feature Map 17"));
  assert.equal(rects(conv1), 28 * 28 + 16 * 26 * 26);
  const conv2 = read(EN, "features-conv2.svg");
  assert.ok(texts(conv2).includes("Feature Map 32") && !texts(conv2).includes("Feature Map 33"));
  assert.equal(rects(conv2), 28 * 28 + 32 * 11 * 11);
  const vi = read(VI, "features-conv1.svg");
  assert.ok(texts(vi).includes("Ảnh gốc"), "the tutorial's own title");
  assert.ok(texts(vi).some((t) => t.startsWith("Feature map của conv1 sau ReLU")));
});

test("kernels: 16 heatmaps of 3×3 with their values written in", () => {
  const svg = read(EN, "kernels-conv1.svg");
  const values = texts(svg).filter((t) => /^[−-]?\d\.\d\d$/.test(t));
  assert.equal(values.length, 16 * 9);
  assert.ok(texts(svg).includes("Kernel 16"));
  assert.ok(rects(svg) >= 16 * 9);
});

test("confusion matrix with per-class accuracy, and the loss chart, in both languages", () => {
  const en = read(EN, "confusion.svg");
  assert.ok(texts(en).some((t) => t.startsWith("Confusion matrix on the test set")));
  assert.ok(texts(en).includes("Accuracy per class"));
  assert.ok(texts(read(VI, "confusion.svg")).some((t) => t.startsWith("Ma trận nhầm lẫn")));
  // 100 cells plus one bar per class (a bar of 0 % is still a rect of zero width).
  assert.ok(rects(en) >= 100 + 10, `${rects(en)} rects`);
  assert.ok(texts(read(EN, "loss.svg")).includes("Loss over the epochs"));
  assert.ok(texts(read(VI, "loss.svg")).includes("Biểu đồ mất mát qua các epoch"));
  assert.ok(texts(read(VI, "loss.svg")).includes("loss từng batch"));
});

test("most confidently wrong: at most 10, all framed, ordered by probability", () => {
  const svg = read(EN, "wrong.svg");
  const panels = texts(svg).filter((t) => /^#\d+: \d \(\d+%\), true \d$/.test(t));
  const wrong = metrics.test.total - metrics.test.correct;
  assert.equal(panels.length, Math.min(10, wrong));
  assert.equal(frames(svg), panels.length);
  const percents = panels.map((t) => Number(/\((\d+)%\)/.exec(t)![1]));
  assert.deepEqual(
    percents,
    [...percents].sort((a, b) => b - a),
  );
});

test("ema: bias-corrected, so it starts at the first value and follows a constant exactly", () => {
  // Tolerance 1e-12: the bias correction divides by 1 − 0.9^t, which rounds in the last bits.
  for (const v of ema([2, 2, 2])) assert.ok(Math.abs(v - 2) < 1e-12, String(v));
  assert.ok(Math.abs(ema([5, 1])[0] - 5) < 1e-12);
});

test("convlab features: a chosen layer and test image, as PNG and SVG; a layer without maps is refused", async () => {
  const out = join(TMP, "features");
  const flags = { weights: join(EN, "model.safetensors"), dataDir: DATA, download: false, out, lang: "vi" as const };
  await featuresCommand({ ...flags, layer: "conv2", mnistIndex: 3 });
  const svg = read(out, "features-conv2-3.svg");
  assert.ok(
    texts(svg).includes(`Feature map của conv2 sau ReLU (32 × 11×11) cho ảnh test 3 (nhãn ${testSet.label(3)})`),
  );
  assert.ok(existsSync(join(out, "features-conv2-3.png")));
  await assert.rejects(
    featuresCommand({ ...flags, layer: "fc1", mnistIndex: 0 }),
    /fc1 gives \[N, 10\], not feature maps/,
  );
});

test("comparison report: losses overlaid, a table, conv1 and conv2 side by side per run", async () => {
  const sweep = join(TMP, "sweep");
  const runs = [
    { name: "en", dir: EN, metrics },
    { name: "vi", dir: EN, metrics },
  ];
  await writeComparisonReport(sweep, runs, "en");
  const html = read(sweep, "comparison.html");
  assert.equal((html.match(/<svg/g) ?? []).length, 3);
  assert.ok(html.includes(`${(100 * metrics.test.accuracy).toFixed(2)}%`));
  const pair = read(sweep, "features-en.svg");
  assert.ok(texts(pair).includes("Feature Map 32") && texts(pair).includes("Feature Map 16"));
  assert.ok(texts(read(sweep, "loss.svg")).includes("Loss per epoch of every run"));
});

test(
  "report.html opens offline in headless Chromium, with no errors, showing its charts",
  {
    skip: chromiumMissing,
    timeout: 60_000,
  },
  async () => {
    const browser = await launchChromium();
    try {
      for (const dir of [EN, VI]) {
        const page = await browser.newPage();
        const errors: string[] = [];
        const requests: string[] = [];
        page.on("console", (msg) => {
          if (msg.type() === "error") errors.push(msg.text());
        });
        page.on("pageerror", (error) => errors.push(error.message));
        page.on("request", (request) => requests.push(request.url()));
        const url = pathToFileURL(join(dir, "report.html")).href;
        await page.goto(url);
        const shown = await page.$$eval(
          "figure > svg",
          (svgs) =>
            svgs.filter((svg) => svg.getBoundingClientRect().width > 0 && svg.getBoundingClientRect().height > 0)
              .length,
        );
        assert.equal(shown, RUN_PICTURES.length);
        assert.deepEqual(errors, []);
        assert.deepEqual(requests, [url], "no request beyond the page itself");
        assert.equal(await page.title(), dir === EN ? `convlab run ${EN}` : `Lần huấn luyện convlab ${VI}`);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  },
);

test("feature maps of a 3×3 layer are drawn in panels the size of the 28×28 original's, not 24 px cells of it", () => {
  const plane = (size: number) => ({ height: size, width: size, values: new Array<number>(size * size).fill(1) });
  const input = {
    layer: "conv3",
    index: 0,
    label: 7,
    image: plane(28),
    maps: Array.from({ length: 64 }, () => plane(3)),
  };
  const spec = featureMapsSpec(input, "en") as { spec: { width: number; height: number } };
  // About 72 px a panel, whatever the maps' size: conv3's 3×3 maps once made 672-px panels (a 13,680 px PNG).
  assert.ok(spec.spec.width <= 90 && spec.spec.height <= 90, `panel ${spec.spec.width} × ${spec.spec.height} px`);
});
