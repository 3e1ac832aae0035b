import assert from "node:assert/strict";
import { test } from "node:test";
import { DataLoader, Generator, MnistDataset, Tensor, randperm, type Dataset } from "../src/index.js";

const range = (n: number): Dataset => ({
  length: n,
  get: (i) => [new Tensor(Float32Array.of(i, -i), [2]), i % 10],
});

test("60,000 examples in batches of 64 give 938 batches, the last holding 32 (dropLast false)", () => {
  const loader = new DataLoader(range(60000), { batchSize: 64 });
  assert.equal(loader.length, 938);
  const sizes = [...loader].map((b) => b.labels.length);
  assert.equal(sizes.length, 938);
  assert.equal(sizes[937], 32);
  assert.equal(new DataLoader(range(60000), { batchSize: 64, dropLast: true }).length, 937);
});

test("without shuffle, batches are in order and examples are stacked along a new first dim", () => {
  const [first] = new DataLoader(range(10), { batchSize: 4 });
  assert.deepEqual(first.inputs.shape, [4, 2]);
  assert.deepEqual(Array.from(first.inputs.data), [0, -0, 1, -1, 2, -2, 3, -3]);
  assert.deepEqual(Array.from(first.labels), [0, 1, 2, 3]);
});

test("shuffle visits every example once per epoch, in a new order each epoch, reproducibly per seed", () => {
  const epochs = (seed: number) => {
    const loader = new DataLoader(range(100), { batchSize: 7, shuffle: true, generator: new Generator(seed) });
    // Each example's first feature is its index.
    return [0, 1].map(() => [...loader].flatMap((b) => Array.from(b.inputs.data.filter((_, i) => i % 2 === 0))));
  };
  const [e1, e2] = epochs(1);
  assert.deepEqual(
    [...e1].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.notDeepEqual(e1, e2);
  assert.deepEqual(epochs(1), [e1, e2]);
  assert.notDeepEqual(epochs(2)[0], e1);
});

test("randperm is a permutation", () => {
  const p = Array.from(randperm(1000, new Generator(3)));
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 1000 }, (_, i) => i),
  );
});

test("MnistDataset's batch path equals stacking its examples (ToTensor divides by 255)", () => {
  const pixels = Uint8Array.from({ length: 3 * 28 * 28 }, (_, i) => (i * 7) % 256);
  const ds = new MnistDataset({ dims: [3, 28, 28], data: pixels }, { dims: [3], data: Uint8Array.of(7, 2, 1) });
  const fast = ds.getBatch(Int32Array.of(2, 0));
  const [x2, y2] = ds.get(2);
  assert.deepEqual(fast.inputs.shape, [2, 1, 28, 28]);
  assert.deepEqual(fast.inputs.data.subarray(0, 784), x2.data);
  assert.deepEqual(Array.from(fast.labels), [y2, 7]);
  assert.equal(x2.data[1], Math.fround(pixels[2 * 784 + 1] / 255));
  assert.throws(() => ds.get(3), /out of range/);
});
