import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DataLoader,
  MnistCNN,
  MnistDataset,
  SGD,
  Tensor,
  conv2d,
  crossEntropy,
  evaluate,
  manualSeed,
  relu,
  setBackend,
  tidy,
  trainEpoch,
  trainStep,
} from "../src/index.js";
import { initWasmBackend, wasmMemoryBytes } from "../src/kernels/wasm/index.js";
import { Generator } from "../src/tensor/random.js";

await initWasmBackend();

function randomTensor(shape: number[], seed: number): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => g.uniform(-1, 1)),
    shape,
  );
}

const failOnNaN = (loss: number) => new Error(`loss ${loss}`);

test("on wasm, a tensor made in tidy() and not returned is released, and reading it names the fix", () => {
  setBackend("wasm");
  const x = randomTensor([2, 3, 8, 8], 1);
  let inner: Tensor | null = null;
  tidy(() => {
    inner = relu(x);
    assert.equal(inner.data.length, 2 * 3 * 8 * 8, "readable inside its scope");
  });
  assert.throws(() => inner!.data, /released when the tidy\(\) scope that made it ended; return it from the scope/);
});

test("tensors returned from tidy() live on with the values they had", () => {
  setBackend("wasm");
  const x = randomTensor([2, 3, 8, 8], 2);
  const w = randomTensor([4, 3, 3, 3], 3);
  const outside = relu(conv2d(x, w)).data.slice();
  const [single, inArray] = [tidy(() => relu(conv2d(x, w))), tidy(() => [relu(conv2d(x, w))])[0]];
  const inObject = tidy(() => ({ y: relu(conv2d(x, w)) })).y;
  for (const kept of [single, inArray, inObject]) assert.deepEqual(kept.data, outside);
  // A kept tensor no longer shares memory that the next scope reuses.
  tidy(() => relu(conv2d(randomTensor([2, 3, 8, 8], 9), w)));
  assert.deepEqual(single.data, outside);
});

test("tensors nested at any depth in arrays, plain objects, Maps and Sets live on; the others are released", () => {
  setBackend("wasm");
  const x = randomTensor([2, 3, 4, 4], 11);
  const expected = Float32Array.from(x.data, (v) => Math.max(v, 0));
  let dropped: Tensor | null = null;
  const kept = tidy(() => {
    dropped = relu(x);
    const cyclic: Record<string, unknown> = { t: relu(x) };
    cyclic.self = cyclic; // a cycle is walked once
    return {
      out: { t: relu(x) },
      list: [[[relu(x)]]],
      map: new Map<unknown, unknown>([["k", { deeper: relu(x) }]]),
      set: new Set([relu(x)]),
      cyclic,
    };
  });
  const tensors = [
    kept.out.t,
    kept.list[0][0][0],
    (kept.map.get("k") as { deeper: Tensor }).deeper,
    [...kept.set][0],
    kept.cyclic.t as Tensor,
  ];
  for (const t of tensors) assert.deepEqual(t.data, expected);
  assert.throws(() => dropped!.data, /released/, "a tensor the result does not hold is released");
});

test("a result nested 200,000 levels deep is walked without recursion", () => {
  setBackend("wasm");
  const x = randomTensor([3, 3], 12);
  const depth = 200_000;
  const nested = tidy(() => {
    let value: unknown = { t: relu(x) };
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { inner: value };
    return value;
  });
  let value = nested;
  for (let i = depth - 1; i >= 0; i--)
    value = i % 2 === 0 ? (value as unknown[])[0] : (value as { inner: unknown }).inner;
  assert.deepEqual(
    (value as { t: Tensor }).t.data,
    Float32Array.from(x.data, (v) => Math.max(v, 0)),
  );
});

test("leaf gradients outlive the scope, and a step in tidy() gives the same weights as one without", () => {
  setBackend("wasm");
  const x = randomTensor([8, 1, 28, 28], 4);
  const labels = Int32Array.from({ length: 8 }, (_, i) => i % 10);
  const run = (scoped: boolean) => {
    manualSeed(5);
    const model = new MnistCNN("seed");
    const optimizer = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      if (scoped) {
        losses.push(trainStep(model, x, labels, optimizer, failOnNaN));
      } else {
        optimizer.zeroGrad();
        const loss = crossEntropy(model.forward(x), labels);
        loss.backward();
        losses.push(loss.item());
        optimizer.step();
      }
    }
    const grads = model.parameters().map((p) => p.grad!.data.slice());
    return { losses, grads, weights: model.parameters().map((p) => p.data.slice()) };
  };
  const scoped = run(true);
  const plain = run(false);
  assert.deepEqual(scoped.losses, plain.losses);
  assert.deepEqual(scoped.grads, plain.grads);
  assert.deepEqual(scoped.weights, plain.weights);
});

test("an error inside tidy() still releases the scope, and the next steps run", () => {
  setBackend("wasm");
  const x = randomTensor([2, 3, 8, 8], 6);
  let made: Tensor | null = null;
  assert.throws(
    () =>
      tidy(() => {
        made = relu(x);
        throw new Error("stop");
      }),
    /stop/,
  );
  assert.throws(() => made!.data, /released/);
  assert.deepEqual(
    tidy(() => relu(x)).data,
    Float32Array.from(x.data, (v) => Math.max(v, 0)),
  );
});

test("scopes nest: an inner scope's returned tensor lives on in the outer one", () => {
  setBackend("wasm");
  const x = randomTensor([4, 4], 7);
  let fromInner: Tensor | null = null;
  const outer = tidy(() => {
    fromInner = tidy(() => relu(x));
    return relu(fromInner);
  });
  assert.deepEqual(outer.data, fromInner!.data, "the inner result was readable in the outer scope");
});

test("training steps in tidy() reuse the same WebAssembly memory: it stops growing after the first step", () => {
  setBackend("wasm");
  manualSeed(8);
  const model = new MnistCNN("seed");
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = randomTensor([64, 1, 28, 28], 8);
  const labels = Int32Array.from({ length: 64 }, (_, i) => i % 10);
  trainStep(model, x, labels, optimizer, failOnNaN);
  const after1 = wasmMemoryBytes();
  for (let step = 0; step < 20; step++) trainStep(model, x, labels, optimizer, failOnNaN);
  assert.ok(after1 > 0);
  assert.equal(wasmMemoryBytes(), after1);
});

test("trainEpoch and evaluate make each batch inside its step's scope: on wasm in its memory, and every batch is seen", () => {
  setBackend("wasm");
  manualSeed(9);
  const count = 150;
  const pixels = Uint8Array.from({ length: count * 784 }, (_, i) => (i * 31) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const data = new MnistDataset({ dims: [count, 28, 28], data: pixels }, { dims: [count], data: labels });
  const model = new MnistCNN("seed");
  const forward = model.forward.bind(model);
  const batchesSeen: [number, boolean][] = [];
  model.forward = (x: Tensor) => {
    batchesSeen.push([x.shape[0], x.data.buffer instanceof SharedArrayBuffer]);
    return forward(x);
  };
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const epoch = trainEpoch(model, new DataLoader(data, { batchSize: 64, shuffle: true }), optimizer, 1);
  assert.equal(epoch.batchLosses.length, 3);
  const scores = evaluate(model, new DataLoader(data, { batchSize: 64 }));
  assert.equal(scores.total, count);
  // Three training batches, then three test batches, each in wasm's shared memory (64, 64, 22 images).
  assert.deepEqual(
    batchesSeen,
    [64, 64, 22, 64, 64, 22].map((n) => [n, true]),
  );
});

test("on both backends, a tensor returned from tidy() is cut from the graph, and backward() through it says why", () => {
  for (const backend of ["ref", "wasm"] as const) {
    setBackend(backend);
    const x = randomTensor([2, 3], 10);
    x.requiresGrad = true;
    const y = tidy(() => relu(x));
    assert.equal(y.requiresGrad, false, backend);
    assert.equal(y.gradFn, null, backend);
    assert.equal(x.requiresGrad, true, "a leaf made outside the scope is untouched");
    assert.throws(() => crossEntropy(y, Int32Array.of(0, 2)).backward(), /returned from a tidy\(\) scope/);
  }
});

test("tidy() refuses an async function, whose scope would end at its first await", () => {
  assert.throws(() => tidy(async () => 1), /returned a Promise; a scope cannot span an await/);
});

test("on ref, tidy() releases nothing: results are ordinary arrays", () => {
  setBackend("ref");
  const x = randomTensor([2, 3], 9);
  let inner: Tensor | null = null;
  tidy(() => {
    inner = relu(x);
  });
  assert.deepEqual(
    inner!.data,
    Float32Array.from(x.data, (v) => Math.max(v, 0)),
  );
  setBackend("wasm");
});
