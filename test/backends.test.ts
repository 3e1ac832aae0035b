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
