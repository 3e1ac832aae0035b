/**
 * `convlab predict` end to end, from the TypeScript sources through tsx, with the PyTorch-trained fixture
 * test/fixtures/trained/seed-1epoch.safetensors (98% test accuracy; see trained-weights.test.ts). Pictures are
 * drawn or taken from the MNIST test set here and written as PNG/JPEG files to a temporary folder.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { MNIST } from "../src/node/mnist.js";
import { readImageFile } from "../src/node/image-file.js";
import { predictCommand } from "../cli/commands/predict.js";
import { REPO, convlab, show, type Run } from "./helpers/cli.js";
import { canvas, drawOne, drawSeven, encodeJpeg, encodePng, grayToRgba } from "./helpers/images.js";

const WEIGHTS = "test/fixtures/trained/seed-1epoch.safetensors";
const TMP = mkdtempSync(join(tmpdir(), "convlab-predict-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** Test images whose 4× PNG must get the same top class as --mnist-index: a 7 and a 1. */
const ROUND_TRIP = [0, 2];

/** `--json`'s output. */
interface PredictJson {
  weights: string;
  arch: string;
  predictions: {
    input: string;
    label?: number;
    top: { digit: number; probability: number }[];
    inverted?: boolean;
    box?: { x: number; y: number; width: number; height: number };
    scaled?: { width: number; height: number };
    centerOfMass?: { x: number; y: number };
  }[];
}

function predictJson(run: Run): PredictJson {
  assert.equal(run.code, 0, show(run));
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one JSON line:\n${run.stdout}`);
  return JSON.parse(lines[0]) as PredictJson;
}

/** Asserts a failed run: non-zero exit, nothing on stdout, and every fragment in the message. */
function failed(run: Run, ...fragments: string[]): void {
  assert.ok(run.code !== null && run.code !== 0, show(run));
  assert.equal(run.stdout, "", show(run));
  for (const fragment of fragments) assert.ok(run.stderr.includes(fragment), `"${fragment}" not in:\n${run.stderr}`);
}

function write(name: string, bytes: Uint8Array | string): string {
  const path = join(TMP, name);
  writeFileSync(path, bytes);
  return path;
}

test("text output: each input, its top class, then the top 3 with probabilities", { timeout: 30_000 }, async () => {
  const one = write("one.png", encodePng(drawOne()));
  const run = await convlab("predict", "--weights", WEIGHTS, one);
  assert.equal(run.code, 0, show(run));
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 4, run.stdout);
  assert.equal(lines[0], `${one}: 1`, "a thick vertical stroke is a 1");
  assert.match(lines[1], /^ {2}1 +\d+\.\d\d%$/);
  const percents = lines.slice(1).map((line) => Number(line.trim().split(/\s+/)[1].replace("%", "")));
  assert.ok(percents[0] >= percents[1] && percents[1] >= percents[2], run.stdout);
});

test("--json: one object, the inputs in order, the top 3 by probability, and the preprocessing", async () => {
  const seven = drawSeven();
  // JPEG bytes under a .png name: the format is told by the magic bytes.
  const jpegAsPng = write("seven-really-jpeg.png", encodeJpeg(seven.image, 92));
  const chalk = write("seven-chalk.jpg", encodeJpeg(drawSeven([15, 15, 15], [240, 240, 240]).image, 92));
  const out = predictJson(await convlab("predict", "--weights", WEIGHTS, "--json", jpegAsPng, chalk));
  assert.equal(out.weights, WEIGHTS);
  assert.equal(out.arch, "seed");
  assert.deepEqual(
    out.predictions.map((p) => p.input),
    [jpegAsPng, chalk],
  );
  for (const p of out.predictions) {
    assert.equal(p.top.length, 3);
    assert.equal(new Set(p.top.map((t) => t.digit)).size, 3);
    assert.ok(p.top.every((t, i) => t.probability >= 0 && (i === 0 || t.probability <= p.top[i - 1].probability)));
    assert.ok(p.top.reduce((a, t) => a + t.probability, 0) <= 1 + 1e-6);
    assert.equal(p.scaled?.height, 20);
    const com = p.centerOfMass!;
    assert.ok(Math.abs(com.x - 14) <= 0.5 && Math.abs(com.y - 14) <= 0.5, JSON.stringify(com));
  }
  assert.deepEqual(
    out.predictions.map((p) => p.inverted),
    [true, false],
  );
});

test(
  "an MNIST test digit saved as a 4× PNG gets the same top class as --mnist-index",
  { timeout: 30_000 },
  async () => {
    const testSet = await MNIST({ train: false });
    const files = ROUND_TRIP.map((n) =>
      write(`mnist-${n}.png`, encodePng(grayToRgba(testSet.pixels(n), testSet.width, testSet.height, 4))),
    );
    const [fromFiles, ...fromIndex] = await Promise.all([
      convlab("predict", "--weights", WEIGHTS, "--json", ...files),
      ...ROUND_TRIP.map((n) => convlab("predict", "--weights", WEIGHTS, "--json", "--mnist-index", String(n))),
    ]);
    const viaFile = predictJson(fromFiles).predictions;
    ROUND_TRIP.forEach((n, i) => {
      const [direct] = predictJson(fromIndex[i]).predictions;
      assert.equal(direct.input, `MNIST test image ${n}`);
      assert.equal(direct.label, testSet.label(n));
      assert.equal(viaFile[i].top[0].digit, direct.top[0].digit, `image ${n}`);
      assert.equal(viaFile[i].inverted, false, "white on black is not inverted");
    });
  },
);

test("bad inputs fail with a message naming the file and the fix, and print nothing", { timeout: 30_000 }, async () => {
  const text = write("notes.png", "these are my notes, not a picture\n");
  const predict = (...args: string[]) => convlab("predict", "--weights", WEIGHTS, ...args);
  const [notImage, nothing] = await Promise.all([predict(text), predict()]);
  failed(notImage, `${text} is not a PNG or JPEG image`, "starts with the text", "save the picture as PNG or JPEG");
  failed(nothing, "nothing to predict", "--mnist-index N");
});

test("the other bad inputs, in process: the command throws before it prints", async () => {
  const flags = { weights: join(REPO, WEIGHTS), json: false, dataDir: join(REPO, "data"), download: false };
  const predict = (...images: string[]) => predictCommand(images, flags);
  const png = encodePng(drawOne());
  const truncated = write("truncated.png", png.subarray(0, Math.floor(png.length * 0.6)));
  await assert.rejects(predict(truncated), {
    code: "E_IMAGE_TRUNCATED",
    message: new RegExp(`^${truncated}: the PNG file is truncated \\(.+\\); save or export it again`),
  });
  const blank = write("blank.png", encodePng(canvas(80, 60, [250, 250, 250])));
  await assert.rejects(predict(blank), {
    message: new RegExp(`^${blank}: no digit found: .+; draw or photograph the digit darker than its background`),
  });
  const missing = join(TMP, "no-such-digit.png");
  await assert.rejects(predict(write("ok.png", png), missing), {
    message: `no such file: ${missing}; check the path of the image`,
  });
  await assert.rejects(predictCommand(["a.png"], { ...flags, mnistIndex: 0 }), /not both/);
});

test("file errors: empty, truncated JPEG, a directory, another image format", () => {
  const jpg = encodeJpeg(drawSeven().image);
  const truncated = write("truncated.jpg", jpg.subarray(0, Math.floor(jpg.length * 0.8)));
  assert.throws(() => readImageFile(truncated), {
    name: "ImageFileError",
    code: "E_IMAGE_TRUNCATED",
    message: `${truncated}: the JPEG file is truncated (its image data ends early); save or export it again, and copy it completely`,
  });
  const empty = write("empty.png", "");
  assert.throws(() => readImageFile(empty), {
    code: "E_IMAGE_FORMAT",
    message: `${empty} is empty (0 bytes); export or save the picture as PNG or JPEG`,
  });
  assert.throws(() => readImageFile(TMP), {
    code: "E_IMAGE_NOT_FOUND",
    message: `${TMP} is a directory; pass the path of a .png or .jpg file inside it`,
  });
  const gif = write("digit.gif", "GIF89a\x01\x00\x01\x00");
  assert.throws(() => readImageFile(gif), {
    code: "E_IMAGE_FORMAT",
    message: /is not a PNG or JPEG image \(it is a GIF image, which convlab does not read\)/,
  });
});
