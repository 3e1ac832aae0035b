import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DataLoader,
  MnistCNN,
  MnistDataset,
  SGD,
  manualSeed,
  parseMnistImages,
  parseMnistLabels,
  setBackend,
  trainEpoch,
  type Arch,
} from "../src/index.js";
import { initWasmBackend } from "../src/kernels/wasm/index.js";
import { kernel } from "../src/kernels/registry.js";
import { refKernels } from "../src/kernels/ref/index.js";
import { Generator } from "../src/tensor/random.js";
import { useBackend } from "../src/node/backend.js";
import { tinyMnistSplit } from "./helpers/idx.js";
import { assertClose } from "./helpers/close.js";

await initWasmBackend();

/** The per-batch losses of one epoch over a small MNIST-like set, from the same seed, on one backend. */
function lossCurve(backend: "ref" | "wasm", arch: Arch): number[] {
  setBackend(backend);
  const { images, labels } = tinyMnistSplit(320, 3);
  const data = new MnistDataset(parseMnistImages(images, "tiny images"), parseMnistLabels(labels, "tiny labels"));
  manualSeed(4);
  const model = new MnistCNN(arch);
  const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  return trainEpoch(model, new DataLoader(data, { batchSize: 32, shuffle: true }), optimizer, 1).batchLosses;
}

for (const arch of ["seed", "conv3"] as const) {
  test(`training ${arch} from the same seed gives the same loss curve on ref and wasm`, () => {
    const ref = lossCurve("ref", arch);
    const wasm = lossCurve("wasm", arch);
    assert.equal(ref.length, 10);
    assert.ok(ref[9] < ref[0], "the model learns");
    // float32 sums in another order drift apart a little with every SGD step: 1e-4 relative over 10 steps.
    assertClose(Float64Array.from(wasm), Float64Array.from(ref), { atol: 0, rtol: 1e-4 }, `${arch} loss curve`);
  });
}

test("useBackend rejects an unknown name and names the fix", async () => {
  await assert.rejects(
    useBackend("gpu", () => {}),
    /unknown backend 'gpu'.*use ref or wasm/,
  );
  assert.equal(await useBackend("ref"), "ref");
});

test("the wasm convolutions split over 2 threads give the reference's results, for odd batch sizes too", async () => {
  const notices: string[] = [];
  assert.equal(await useBackend("wasm", (line) => notices.push(line), 2), "wasm");
  assert.deepEqual(notices, [], "the worker thread started");
  for (const batch of [1, 2, 5]) {
    const geometry = {
      batch,
      inChannels: 3,
      inHeight: 9,
      inWidth: 9,
      outChannels: 4,
      kernelHeight: 3,
      kernelWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      padHeight: 1,
      padWidth: 1,
      outHeight: 9,
      outWidth: 9,
    };
    const g = new Generator(batch);
    const random = (n: number) => Float32Array.from({ length: n }, () => g.uniform(-1, 1));
    const x = random(batch * 3 * 81);
    const w = random(4 * 3 * 9);
    const b = random(4);
    const dy = random(batch * 4 * 81);
    const tol = { atol: 1e-4, rtol: 1e-5 }; // float32 sums in another order than ref's float64 ones
    assertClose(kernel("conv2dForward")(x, w, b, geometry), refKernels.conv2dForward(x, w, b, geometry), tol, "y");
    assertClose(
      kernel("conv2dBackwardInput")(dy, w, geometry),
      refKernels.conv2dBackwardInput(dy, w, geometry),
      tol,
      "dx",
    );
    assertClose(
      kernel("conv2dBackwardWeight")(dy, x, geometry),
      refKernels.conv2dBackwardWeight(dy, x, geometry),
      tol,
      "dw",
    );
  }
  await useBackend("wasm", () => {}, 1);
});
