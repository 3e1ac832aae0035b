/**
 * A state dict saved from PyTorch loads into convlab's MnistCNN and predicts exactly what PyTorch predicts.
 *
 * test/fixtures/trained/ holds the tutorial's model (seed) and its conv3 variant, each trained by PyTorch 1.13 for
 * one epoch on the real MNIST and saved as safetensors with metadata {"format": "pt"} only, plus torch's logits on
 * the first 200 test images and its predictions on all 10,000 (scripts/make_trained_fixture.py, which says how to
 * regenerate them). Here convlab loads each file, rebuilds the model of the architecture its keys imply, and runs
 * the same test images; then the `convlab eval` command does the same from the command line.
 */
import { backend } from "./helpers/backend.js";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import { MnistCNN, Tensor, argmax, noGrad, type Arch } from "../src/index.js";
import type { MnistDataset } from "../src/data/mnist.js";
import type { EvalResult } from "../src/train/loop.js";
import { MNIST } from "../src/node/mnist.js";
import { loadSafetensorsFile } from "../src/node/safetensors-file.js";
import { assertClose } from "./helpers/close.js";

/** One model of predictions.json (see scripts/make_trained_fixture.py). */
interface TorchModel {
  file: string;
  keys: string[];
  train_loss: number;
  first: { labels: number[]; logits: number[][]; argmax: number[] };
  test: {
    total: number;
    correct: number;
    accuracy: number;
    loss: number;
    per_class_correct: number[];
    per_class_total: number[];
    /** Every misclassified test image, as [index, predicted digit]. */
    wrong: [number, number][];
    /** The smallest gap between the two largest logits over the test set, and the image it belongs to. */
    min_margin: { value: number; index: number };
  };
}

interface Fixture {
  torch_version: string;
  first_n: number;
  models: Record<Arch, TorchModel>;
}

/** `convlab eval --json`'s output: the evaluation result, with the file and the architecture it was read as. */
type EvalJson = EvalResult & { weights: string; arch: Arch };

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIR = "test/fixtures/trained";
const fixture = JSON.parse(readFileSync(resolve(REPO, DIR, "predictions.json"), "utf8")) as Fixture;
const ARCHS: Arch[] = ["seed", "conv3"];

/** A 10,000-image pass of a small CNN: seconds on wasm, longer on the ref backend's plain loops. */
const FULL_PASS = { timeout: 300_000 };

let testSet: MnistDataset;
before(async () => {
  testSet = await MNIST({ train: false });
});

/** Test images [start, end) as one [B, 1, 28, 28] batch (ToTensor: bytes / 255), and their labels. */
function images(start: number, end: number): { inputs: Tensor; labels: Int32Array } {
  return testSet.getBatch(Int32Array.from({ length: end - start }, (_, i) => start + i));
}

/** Loads `file` as convlab users would: the arch from the keys, since the file's metadata does not name it. */
function loadModel(arch: Arch, file: string): MnistCNN {
  const { tensors, metadata } = loadSafetensorsFile(resolve(REPO, DIR, file));
  assert.deepEqual(metadata, { format: "pt" }, `${file}: metadata, as safetensors.torch.save_file wrote it`);
  const keys = Object.keys(tensors);
  assert.equal(keys.includes("conv3.weight") ? "conv3" : "seed", arch, `${file}: the arch its keys imply`);
  const model = new MnistCNN(arch);
  model.loadStateDict(tensors); // strict: every key present, none extra, every shape equal
  assert.deepEqual(Object.keys(model.stateDict()), fixture.models[arch].keys, `${file}: state dict keys, in order`);
  for (const [key, value] of Object.entries(model.stateDict())) {
    assert.deepEqual(value.data, tensors[key].data, `${file}: ${key} loaded bit for bit`);
  }
  return model.eval();
}

/** Runs `convlab <args>` from the sources, as a user would, and returns its stdout. */
function convlab(...args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", fail);
    child.on("close", (code) => {
      if (code === 0) done(stdout);
      else fail(new Error(`convlab ${args.join(" ")}: exit ${code}\n--- stdout\n${stdout}--- stderr\n${stderr}`));
    });
  });
}

for (const arch of ARCHS) {
  const torch = fixture.models[arch];

  describe(`${torch.file}, trained by torch ${fixture.torch_version}, predicts as torch [${backend}]`, () => {
    let model: MnistCNN;
    before(() => {
      model = loadModel(arch, torch.file);
    });

    test(`logits and argmax of the first ${fixture.first_n} test images`, () => {
      const { inputs, labels } = images(0, fixture.first_n);
      assert.deepEqual(Array.from(labels), torch.first.labels, "the same test images as torchvision's");
      const logits = noGrad(() => model.forward(inputs));
      assert.deepEqual(logits.shape, [fixture.first_n, 10]);
      // atol 1e-4 + rtol 1e-4: the logits (|x| up to ~22) come out of float32 sums of 9, 144 and 800 (seed) or 288
      // (conv3) products, accumulated in another order than ATen's (mkldnn convolutions, MKL GEMM), so they differ in
      // their last bits: at most 1.2e-5 here, on either backend (a few ulp of 20). The tolerance leaves 8 times that
      // and is still far below what a wrong weight, layout or transposition would do (changes of ~0.1 or more).
      assertClose(logits.data, torch.first.logits.flat(), { atol: 1e-4, rtol: 1e-4 }, `${arch}: logits`);
      // Exact: no image here has its top two logits within a rounding error of each other (see below).
      assert.deepEqual(Array.from(argmax(logits, 1).data), torch.first.argmax, `${arch}: argmax`);
    });

    test("predictions on all 10,000 test images", FULL_PASS, () => {
      const predicted = new Int32Array(testSet.length);
      const actual = new Int32Array(testSet.length);
      noGrad(() => {
        for (let start = 0; start < testSet.length; start += 1000) {
          const { inputs, labels } = images(start, Math.min(testSet.length, start + 1000));
          predicted.set(argmax(model.forward(inputs), 1).data as Int32Array, start);
          actual.set(labels, start);
        }
      });
      const wrong: [number, number][] = [];
      const perClassCorrect = new Array<number>(10).fill(0);
      const perClassTotal = new Array<number>(10).fill(0);
      for (let i = 0; i < predicted.length; i++) {
        perClassTotal[actual[i]]++;
        if (predicted[i] === actual[i]) perClassCorrect[actual[i]]++;
        else wrong.push([i, predicted[i]]);
      }
      const correct = predicted.length - wrong.length;
      // All exact, down to which images are misclassified as which digit. The most borderline test image
      // (torch.test.min_margin) has its top two logits 4.5e-3 (seed) or 2.4e-3 (conv3) apart, about 200 times the
      // largest logit difference between convlab and torch (1.2e-5, above), so no prediction can flip.
      assert.equal(predicted.length, torch.test.total, "test images");
      assert.equal(correct, torch.test.correct, `${arch}: correct predictions`);
      assert.equal(correct / predicted.length, torch.test.accuracy, `${arch}: accuracy`);
      assert.deepEqual(perClassTotal, torch.test.per_class_total, `${arch}: images per digit`);
      assert.deepEqual(perClassCorrect, torch.test.per_class_correct, `${arch}: correct per digit`);
      assert.deepEqual(wrong, torch.test.wrong, `${arch}: misclassified images and their predictions`);
    });

    test(
      `convlab eval --weights ${DIR}/${torch.file} --json infers '${arch}' and gets torch's accuracy`,
      FULL_PASS,
      async () => {
        const out = await convlab("eval", "--weights", `${DIR}/${torch.file}`, "--json", "--backend", backend);
        const result = JSON.parse(out) as EvalJson;
        // No --arch and no "arch" metadata: the CLI can only have told the arch from the keys (conv3.weight).
        assert.equal(result.arch, arch, "arch inferred from the keys");
        assert.equal(result.total, torch.test.total, "test images");
        assert.equal(result.correct, torch.test.correct, "correct predictions");
        assert.equal(result.accuracy, torch.test.accuracy, "accuracy");
        assert.deepEqual(
          result.confusion.map((row, digit) => row[digit]),
          torch.test.per_class_correct,
          "correct per digit",
        );
        // Mean cross-entropy over 10,000 images: float32 per-image losses summed per batch of 1000 in another order
        // than torch's, so rtol 1e-5 (the float32 rounding of each batch sum is ~1e-7 relative).
        assertClose([result.loss], [torch.test.loss], { atol: 0, rtol: 1e-5 }, "mean test loss");
      },
    );
  });
}
