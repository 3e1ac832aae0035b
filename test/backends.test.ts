import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  DataLoader,
  MnistCNN,
  MnistDataset,
  SGD,
  Tensor,
  manualSeed,
  mul,
  noGrad,
  sum,
  parseMnistImages,
  parseMnistLabels,
  setBackend,
  toTensor,
  trainEpoch,
  type Arch,
} from "../src/index.js";
import { initWasmBackend } from "../src/kernels/wasm/index.js";
import { WASM_USES_REF } from "../src/kernels/wasm/kernels.js";
import { kernel, kernelOf, registerBackend } from "../src/kernels/registry.js";
import { parseBackendName } from "../src/kernels/default-backend.js";
import { refKernels } from "../src/kernels/ref/index.js";
import type { GemmShape, KernelName, KernelTable } from "../src/kernels/types.js";
import { OPS, OP_NAMES, type OpName } from "../src/ops/table.js";
import { OP_CASES, type OpCase } from "./helpers/op-cases.js";
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

test("a matrix product split over 2 threads is bit for bit the one-thread product (fc1's shapes and odd ones)", async () => {
  const g = new Generator(7);
  const random = (n: number) => Float32Array.from({ length: n }, () => g.uniform(-1, 1));
  const shapes: GemmShape[] = [
    { m: 64, k: 800, n: 10, transA: false, transB: true }, // fc1's forward: split by rows
    { m: 64, k: 10, n: 800, transA: false, transB: false }, // its input gradient
    { m: 10, k: 64, n: 800, transA: true, transB: false }, // its weight gradient: split by columns
    { m: 10, k: 999, n: 203, transA: false, transB: true }, // columns, with sgemmNT's edges
    { m: 203, k: 999, n: 7, transA: false, transB: false }, // rows, with 3 edge rows
  ];
  const cases = shapes.map((s) => ({ s, a: random(s.m * s.k), b: random(s.k * s.n) }));
  await useBackend("wasm", () => {}, 1);
  const single = cases.map(({ s, a, b }) => kernel("gemm")(a, b, s));
  await useBackend("wasm", () => {}, 2);
  cases.forEach(({ s, a, b }, i) =>
    assert.deepEqual(kernel("gemm")(a, b, s), single[i], `m ${s.m}, k ${s.k}, n ${s.n}`),
  );
  await useBackend("wasm", () => {}, 1);
});

/** The values of an op case on one backend, and the gradients of Σ out·G for each input (differentiable ops). */
function runCase(backend: "ref" | "wasm", name: OpName, c: OpCase, seed: number) {
  setBackend(backend);
  const g = new Generator(seed);
  const differentiable = OPS[name].differentiable;
  const inputs = c.inputs(
    (shape, low = -1, high = 1) =>
      new Tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g.uniform(low, high)),
        shape,
        differentiable,
      ),
  );
  if (c.inference === true) return { out: noGrad(() => c.run(...inputs)), grads: [] };
  const out = c.run(...inputs);
  if (!differentiable || out.dtype === "int32") return { out, grads: [] };
  const weights = new Tensor(
    Float32Array.from({ length: out.numel() }, () => g.uniform(-1, 1)),
    out.shape,
  );
  sum(mul(out, weights)).backward();
  return { out, grads: inputs.map((x) => x.grad?.data ?? null) };
}

describe("every op of src/ops/table.ts gives ref's values and gradients on wasm", () => {
  // Which kernels the cases reach on ref: every kernel must be reached by some case, so a new kernel is tested.
  const reached = new Set<KernelName>();
  const recording = Object.fromEntries(
    (Object.keys(refKernels) as KernelName[]).map((k) => [
      k,
      (...args: unknown[]) => {
        reached.add(k);
        return (refKernels[k] as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as KernelTable;
  before(() => registerBackend("ref", recording));
  after(() => registerBackend("ref", refKernels));

  // float32 on both sides, summed in other orders by the SIMD kernels: atol 1e-5 + rtol 1e-4.
  const tol = { atol: 1e-5, rtol: 1e-4 };
  let seed = 100;
  for (const name of OP_NAMES) {
    for (const c of OP_CASES[name]) {
      const caseSeed = seed++;
      test(`${name}: ${c.name}`, () => {
        const ref = runCase("ref", name, c, caseSeed);
        const wasm = runCase("wasm", name, c, caseSeed);
        assert.deepEqual(wasm.out.shape, ref.out.shape);
        assert.equal(wasm.out.dtype, ref.out.dtype);
        if (ref.out.dtype === "int32") assert.deepEqual(wasm.out.data, ref.out.data, "indices are exact");
        else assertClose(wasm.out.data, ref.out.data, tol, `${name} ${c.name}: values`);
        ref.grads.forEach((grad, i) => {
          assert.ok(grad !== null && wasm.grads[i] !== null, `${name} ${c.name}: input ${i} got a gradient`);
          assertClose(wasm.grads[i]!, grad, tol, `${name} ${c.name}: gradient of input ${i}`);
        });
      });
    }
  }

  // Not an op: the data pipeline's kernel, ToTensor of MNIST's bytes (a float32 division: exact on both backends).
  test("MnistDataset's batches and toTensor give ref's floats on wasm, bit for bit", () => {
    const { images, labels } = tinyMnistSplit(40, 5);
    const data = new MnistDataset(parseMnistImages(images, "tiny images"), parseMnistLabels(labels, "tiny labels"));
    const convert = (backend: "ref" | "wasm") => {
      setBackend(backend);
      return [data.getBatch(Int32Array.of(39, 0, 17, 17, 3)).inputs.data, toTensor(data.pixels(5), 28, 28).data];
    };
    assert.deepEqual(convert("wasm"), convert("ref"));
  });

  test("the cases reach every kernel", () => {
    for (const k of Object.keys(refKernels) as KernelName[]) assert.ok(reached.has(k), `no op case calls ${k}`);
  });
});

test("a kernel missing from wasm falls back to ref with one notice per kernel; those it leaves to ref say nothing", async () => {
  const notices: string[] = [];
  const full = {} as Record<string, unknown>;
  for (const k of Object.keys(refKernels) as KernelName[]) {
    const own = kernelOf("wasm", k);
    if (own !== undefined) full[k] = own;
  }
  const { relu: _relu, gemm: _gemm, ...withoutTwo } = full;
  registerBackend("wasm", withoutTwo as Partial<KernelTable>, {
    usesRef: WASM_USES_REF,
    notice: (l) => notices.push(l),
  });
  setBackend("wasm");
  const x = new Float32Array([-1, 2, -3, 4]);
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(kernel("relu")(x), refKernels.relu(x), "the fallback gives ref's result");
    kernel("gemm")(x, x, { m: 2, k: 2, n: 2, transA: false, transB: false });
    kernel("add")(x, x, { outShape: [4], aStrides: [1], bStrides: [1] }); // left to ref on purpose: silent
  }
  assert.deepEqual(notices, [
    "convlab: the wasm backend has no relu kernel; using the ref backend's (slower)",
    "convlab: the wasm backend has no gemm kernel; using the ref backend's (slower)",
  ]);
  await initWasmBackend();
  setBackend("wasm");
  kernel("relu")(x);
  assert.equal(notices.length, 2, "the real wasm backend provides every kernel it does not leave to ref");
});

test("a backend name that is not ref or wasm is E_BACKEND_UNKNOWN, naming where it came from", () => {
  assert.equal(parseBackendName(undefined, "$CONVLAB_BACKEND"), "wasm");
  assert.equal(parseBackendName("", "$CONVLAB_BACKEND"), "wasm");
  assert.equal(parseBackendName("ref", "--backend"), "ref");
  assert.throws(() => parseBackendName("gpu", "CONVLAB_BACKEND"), {
    code: "E_BACKEND_UNKNOWN",
    message: "unknown backend 'gpu' (from CONVLAB_BACKEND); use ref or wasm",
  });
});
