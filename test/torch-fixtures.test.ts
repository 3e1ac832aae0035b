/**
 * convlab against PyTorch 1.13: every case in test/fixtures/torch/*.json was computed by torch
 * (scripts/make_torch_fixtures.py, which says how to regenerate them) and is rebuilt here with convlab in float32.
 */
import { backend } from "./helpers/backend.js";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  Adam,
  DataLoader,
  MnistCNN,
  SGD,
  Tensor,
  add,
  argmax,
  conv2d,
  conv2dReluMaxPool2d,
  crossEntropy,
  eq,
  flatten,
  linear,
  logSoftmax,
  manualSeed,
  matmul,
  max,
  maxPool2d,
  mean,
  mul,
  nllLoss,
  rand,
  relu,
  reshape,
  select,
  softmax,
  squeeze,
  sub,
  sum,
  unsqueeze,
  type Arch,
  type Dataset,
  type Optimizer,
  type Reduction,
} from "../src/index.js";
import { OPS, OP_NAMES, type TorchOpName } from "../src/ops/table.js";
import { assertClose, type Tolerance } from "./helpers/close.js";

/** A tensor as the fixtures store it: row-major values, float32 unless `dtype` says int32. */
interface TensorJson {
  shape: number[];
  data: number[];
  dtype?: "int32";
}

/** What scripts/make_torch_fixtures.py's `summary` keeps of a large tensor. */
interface Summary {
  shape: number[];
  n: number;
  first: number[];
  last: number[];
  step: number;
  sample: number[];
  sum: number;
  sumsq: number;
  sumabs: number;
}

const FIXTURES = new URL("./fixtures/torch/", import.meta.url);

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;
}

function fromJson(t: TensorJson, requiresGrad = false): Tensor {
  if (t.dtype === "int32") return new Tensor(Int32Array.from(t.data), t.shape);
  return new Tensor(Float32Array.from(t.data), t.shape, requiresGrad);
}

/** The same statistics as the Python `summary`, from float32 values summed left to right in float64. */
function summarize(data: ArrayLike<number>, shape: readonly number[]): Summary {
  const values = Array.from(data);
  const n = values.length;
  const step = Math.max(1, Math.floor(n / 32));
  let s = 0;
  let sq = 0;
  let ab = 0;
  for (const v of values) {
    s += v;
    sq += v * v;
    ab += Math.abs(v);
  }
  return {
    shape: [...shape],
    n,
    first: values.slice(0, 20),
    last: values.slice(-5),
    step,
    sample: values.filter((_, i) => i % step === 0),
    sum: s,
    sumsq: sq,
    sumabs: ab,
  };
}

/**
 * Compares a tensor with a summary of torch's. The listed values must be within `tol` elementwise; the float64 sums
 * within what that elementwise tolerance implies for n values: Σ|a − e| ≤ n·atol + rtol·Σ|e|, and for the sum of
 * squares |a² − e²| ≤ |a − e|·(2|e| + |a − e|) summed.
 */
function assertSummaryClose(actual: Tensor, expected: Summary, tol: Tolerance, label: string): void {
  const got = summarize(actual.data, actual.shape);
  assert.deepEqual(got.shape, expected.shape, `${label}: shape`);
  assertClose(got.first, expected.first, tol, `${label} first values`);
  assertClose(got.last, expected.last, tol, `${label} last values`);
  assertClose(got.sample, expected.sample, tol, `${label} every ${expected.step}th value`);
  const sumBound = expected.n * tol.atol + tol.rtol * expected.sumabs;
  assert.ok(
    Math.abs(got.sum - expected.sum) <= sumBound,
    `${label}: sum ${got.sum}, expected ${expected.sum} ± ${sumBound} (n·atol + rtol·Σ|e|)`,
  );
  const sqBound =
    2 * (tol.atol * expected.sumabs + tol.rtol * expected.sumsq) + expected.n * (tol.atol + tol.rtol) ** 2;
  assert.ok(
    Math.abs(got.sumsq - expected.sumsq) <= sqBound,
    `${label}: sum of squares ${got.sumsq}, expected ${expected.sumsq} ± ${sqBound}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// ops.json

interface OpCase {
  name: string;
  op: TorchOpName;
  attrs: {
    stride?: [number, number];
    padding?: [number, number];
    kernel?: [number, number];
    pool_stride?: [number, number];
    pool_padding?: [number, number];
    dim?: number;
    keepdim?: boolean;
    reduction?: Reduction;
    index?: number;
    shape?: number[];
    start_dim?: number;
    end_dim?: number;
    other?: number;
  };
  inputs: Record<string, TensorJson>;
  out: TensorJson;
  G?: TensorJson;
  grads?: Record<string, TensorJson>;
}

type Runner = (t: Record<string, Tensor>, attrs: OpCase["attrs"]) => Tensor;

/**
 * How each op of src/ops/table.ts runs a case of ops.json, keyed by the op's PyTorch name: an op added to the table
 * without a runner here is a compile error, and without cases in ops.json a failing test below.
 */
const RUN: Record<TorchOpName, Runner> = {
  conv2d: (t, { stride, padding }) => conv2d(t.x, t.weight, t.bias ?? null, { stride, padding }),
  max_pool2d: (t, { kernel, stride, padding }) => maxPool2d(t.x, kernel!, { stride, padding }),
  conv2d_relu_max_pool2d: (t, a) =>
    conv2dReluMaxPool2d(t.x, t.weight, t.bias ?? null, { stride: a.stride, padding: a.padding }, a.kernel!, {
      stride: a.pool_stride,
      padding: a.pool_padding,
    }),
  relu: (t) => relu(t.x),
  linear: (t) => linear(t.x, t.weight, t.bias ?? null),
  matmul: (t) => matmul(t.a, t.b),
  add: (t) => add(t.a, t.b),
  sub: (t) => sub(t.a, t.b),
  mul: (t) => mul(t.a, t.b),
  reshape: (t, { shape }) => reshape(t.x, shape!),
  flatten: (t, { start_dim, end_dim }) => flatten(t.x, start_dim, end_dim),
  unsqueeze: (t, { dim }) => unsqueeze(t.x, dim!),
  squeeze: (t, { dim }) => squeeze(t.x, dim),
  select: (t, { dim, index }) => select(t.x, dim!, index!),
  sum: (t, { dim, keepdim }) => sum(t.x, dim, keepdim),
  mean: (t, { dim, keepdim }) => mean(t.x, dim, keepdim),
  max: (t, { dim, keepdim }) => (dim === undefined ? max(t.x) : max(t.x, dim, keepdim).values),
  argmax: (t, { dim, keepdim }) => argmax(t.x, dim, keepdim),
  eq: (t, { other }) => eq(t.x, other ?? t.y),
  log_softmax: (t, { dim }) => logSoftmax(t.x, dim!),
  softmax: (t, { dim }) => softmax(t.x, dim!),
  cross_entropy: (t, { reduction }) => crossEntropy(t.input, t.target, reduction),
  nll_loss: (t, { reduction }) => nllLoss(t.input, t.target, reduction),
};

function runOp(c: OpCase, t: Record<string, Tensor>): Tensor {
  const run = RUN[c.op] as Runner | undefined;
  if (run === undefined) throw new Error(`unknown op ${c.op} in case ${c.name}`);
  return run(t, c.attrs);
}

describe(`ops match torch (forward and gradients of (out·G).sum()) [${backend}]`, () => {
  const { cases } = load<{ cases: OpCase[] }>("ops.json");
  // float32 results whose summation order differs from ATen's: a few ulp, far below 1e-5 for these magnitudes.
  const tol: Tolerance = { atol: 1e-5, rtol: 1e-5 };

  test("the fixture covers every op of src/ops/table.ts, gradients included where the op has them", () => {
    for (const name of OP_NAMES) {
      const { torch, differentiable } = OPS[name];
      const ofOp = cases.filter((c) => c.op === torch);
      assert.ok(ofOp.length > 0, `${name}: no case with op "${torch}" in ops.json; add one to make_torch_fixtures.py`);
      if (differentiable)
        assert.ok(
          ofOp.some((c) => c.grads !== undefined),
          `${name}: no case with gradients`,
        );
      assert.ok(typeof RUN[torch] === "function", `${name}: no runner for "${torch}"`);
    }
  });

  for (const c of cases) {
    test(c.name, () => {
      const leaves = Object.fromEntries(
        Object.entries(c.inputs).map(([k, v]) => [k, fromJson(v, c.grads !== undefined)]),
      );
      const out = runOp(c, leaves);
      assert.deepEqual(out.shape, c.out.shape, `${c.name}: output shape`);
      if (c.out.dtype === "int32") {
        assert.equal(out.dtype, "int32", `${c.name}: output dtype`);
        // Indices are exact (ties go to the first maximum, as torch).
        assert.deepEqual(Array.from(out.data), c.out.data, `${c.name}: output`);
        return;
      }
      assertClose(out.data, c.out.data, tol, `${c.name}: output`); // atol 1e-5 + rtol 1e-5
      out.backward(fromJson(c.G!));
      for (const [key, grad] of Object.entries(c.grads!)) {
        const leaf = leaves[key];
        assert.ok(leaf.grad !== null, `${c.name}: no gradient for ${key}`);
        assert.deepEqual(leaf.grad.shape, grad.shape, `${c.name}: shape of d/d${key}`);
        // A weight gradient sums over the batch and every output position; float32 rounding in such a sum grows with
        // its partial sums, which the tensor's largest value bounds. So atol scales with it (4e-6 · max|g|, ≥ 1e-5);
        // ATen and the SIMD kernels add in different orders.
        const scale = grad.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assertClose(
          leaf.grad.data,
          grad.data,
          { atol: Math.max(tol.atol, 4e-6 * scale), rtol: tol.rtol },
          `${c.name}: d/d${key}`,
        );
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// init.json

interface InitCase {
  seed: number;
  arch: Arch;
  keys: string[];
  params: Record<string, Summary>;
  next_rand: TensorJson;
}

describe(`MnistCNN init matches torch.manual_seed + MNIST_CNN() bit for bit [${backend}]`, () => {
  const { cases } = load<{ cases: InitCase[] }>("init.json");
  for (const c of cases) {
    test(`seed ${c.seed}, ${c.arch}`, () => {
      manualSeed(c.seed);
      const model = new MnistCNN(c.arch);
      const state = model.stateDict();
      assert.deepEqual(Object.keys(state), c.keys, "state dict keys, in order");
      for (const key of c.keys) {
        // Exact: the same MT19937 draws through the same float32 transform, summed in the same order in float64.
        assert.deepEqual(summarize(state[key].data, state[key].shape), c.params[key], key);
      }
      // The generator is left where torch's is: the next draws agree too.
      assert.deepEqual(Array.from(rand([4]).data), c.next_rand.data, "torch.rand(4) after the model");
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// train3.json

interface TrainCase {
  name: string;
  arch: Arch;
  optimizer: "SGD" | "Adam";
  options: {
    lr: number;
    momentum?: number;
    dampening?: number;
    weight_decay?: number;
    nesterov?: boolean;
  };
  losses: number[];
  logits1: TensorJson;
  grads1: Record<string, Summary>;
  keys: string[];
  final: Record<string, Summary>;
}

interface TrainFixture {
  pixels: TensorJson;
  images: Summary;
  labels: TensorJson;
  cases: TrainCase[];
}

function makeOptimizer(c: TrainCase, model: MnistCNN): Optimizer {
  const o = c.options;
  if (c.optimizer === "Adam") return new Adam(model.parameters(), { lr: o.lr, weightDecay: o.weight_decay });
  return new SGD(model.parameters(), {
    lr: o.lr,
    momentum: o.momentum,
    dampening: o.dampening,
    weightDecay: o.weight_decay,
    nesterov: o.nesterov,
  });
}

describe(`3 training steps on a fixed batch match torch [${backend}]`, () => {
  const fixture = load<TrainFixture>("train3.json");
  // ToTensor: uint8 / 255 in float32. The double quotient rounds to the same float32 as a float32 division.
  const images = new Tensor(
    Float32Array.from(fixture.pixels.data, (p) => p / 255),
    fixture.pixels.shape,
  );
  const labels = Int32Array.from(fixture.labels.data);

  test("the images are torch's, exactly", () => {
    assert.deepEqual(summarize(images.data, images.shape), fixture.images);
  });

  for (const c of fixture.cases) {
    test(c.name, () => {
      manualSeed(0);
      const model = new MnistCNN(c.arch);
      const optimizer = makeOptimizer(c, model);
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        optimizer.zeroGrad();
        const logits = model.forward(images);
        const loss = crossEntropy(logits, labels);
        loss.backward();
        losses.push(loss.item());
        if (step === 0) {
          // atol 1e-5 + rtol 1e-5: float32 sums over up to 800 terms in a different order than ATen's.
          assertClose(logits.data, c.logits1.data, { atol: 1e-5, rtol: 1e-5 }, `${c.name}: logits of step 1`);
          for (const [key, p] of model.namedParameters()) {
            // Gradients of the mean loss are ~1e-4..1e-1: atol 1e-6 + rtol 1e-5, room for float32 reordering only.
            assertSummaryClose(p.grad!, c.grads1[key], { atol: 1e-6, rtol: 1e-5 }, `${c.name}: step-1 grad ${key}`);
          }
        }
        optimizer.step();
      }
      // rtol 1e-5 on each step's loss, as required; atol 0.
      assertClose(losses, c.losses, { atol: 0, rtol: 1e-5 }, `${c.name}: losses of steps 1..3`);
      const state = model.stateDict();
      assert.deepEqual(Object.keys(state), c.keys, "state dict keys");
      for (const key of c.keys) {
        // Parameters are ~1e-2..3e-1 and move by at most a few lr per step: atol 1e-6 + rtol 1e-5.
        assertSummaryClose(state[key], c.final[key], { atol: 1e-6, rtol: 1e-5 }, `${c.name}: ${key} after 3 steps`);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
// dataloader.json

interface EpochJson {
  batch_sizes: number[];
  checksum: number;
  batches?: number[][];
  first?: number[];
  last?: number[];
}

interface LoaderCase {
  seed: number;
  n: number;
  batch_size: number;
  model: Arch | null;
  epochs: EpochJson[];
  next_rand: TensorJson;
}

/** Example i is the label i, so each batch's labels are the indices the sampler chose. */
function indexDataset(n: number): Dataset {
  return { length: n, get: (i) => [new Tensor(new Float32Array([i]), [1]), i] };
}

describe(`DataLoader(shuffle) visits examples in torch's order [${backend}]`, () => {
  const { cases } = load<{ cases: LoaderCase[] }>("dataloader.json");
  for (const c of cases) {
    test(`seed ${c.seed}, n ${c.n}, batch ${c.batch_size}, model ${c.model ?? "none"}`, () => {
      manualSeed(c.seed);
      if (c.model !== null) new MnistCNN(c.model);
      const loader = new DataLoader(indexDataset(c.n), { batchSize: c.batch_size, shuffle: true });
      for (const [e, expected] of c.epochs.entries()) {
        const batches = Array.from(loader, (b) => Array.from(b.labels));
        const order = batches.flat();
        // All exact: the same generator draws and the same randperm.
        assert.deepEqual(
          batches.map((b) => b.length),
          expected.batch_sizes,
          `epoch ${e + 1}: batch sizes`,
        );
        if (expected.batches !== undefined) assert.deepEqual(batches, expected.batches, `epoch ${e + 1}: batches`);
        if (expected.first !== undefined)
          assert.deepEqual(order.slice(0, 100), expected.first, `epoch ${e + 1}: start`);
        if (expected.last !== undefined) assert.deepEqual(order.slice(-20), expected.last, `epoch ${e + 1}: end`);
        const checksum = order.reduce((acc, v, i) => acc + i * v, 0);
        assert.equal(checksum, expected.checksum, `epoch ${e + 1}: Σ i·order[i]`);
      }
      // The loader consumed exactly torch's number of draws from the global generator.
      assert.deepEqual(Array.from(rand([4]).data), c.next_rand.data, "torch.rand(4) after 2 epochs");
    });
  }
});
