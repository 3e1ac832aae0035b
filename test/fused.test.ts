import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MnistCNN,
  Tensor,
  conv2d,
  conv2dReluMaxPool2d,
  crossEntropy,
  manualSeed,
  maxPool2d,
  mul,
  noGrad,
  relu,
  setBackend,
  sum,
  type MaxPool2dOptions,
} from "../src/index.js";
import { initWasmBackend } from "../src/kernels/wasm/index.js";
import { useBackend } from "../src/node/backend.js";
import { Generator } from "../src/tensor/random.js";
import { convValuesAndGrads, randomFloat32, type ConvCase } from "./helpers/conv-grads.js";
import { gradcheck, randomInput } from "./helpers/gradcheck.js";
import { assertClose } from "./helpers/close.js";
import { pooledRegion } from "../src/kernels/wasm/kernels.js";
import { kernelOf } from "../src/kernels/registry.js";
import { refKernels } from "../src/kernels/ref/index.js";
import { conv2dGeometry } from "../src/ops/conv2d.js";
import { maxPool2dGeometry } from "../src/ops/pool.js";
import type { Conv2dGeometry, Window2d } from "../src/kernels/types.js";

await initWasmBackend();

interface Case extends ConvCase {
  kernelSize: number;
  pool: MaxPool2dOptions;
  /** The pool reads fewer rows and columns than the convolution gives (pooledRegion), wasm's fused kernels skip them. */
  cropped?: true;
  /**
   * Through Winograd with the tutorial's pool over whole windows: wasm takes dx from the windows' gradients alone
   * (direct sums, checked against ref's), and where the pool reads the whole output, sums db window by window.
   */
  windows?: true;
}

const CASES: Case[] = [
  {
    name: "the tutorial's conv1 block, 26 → 13",
    input: [3, 1, 28, 28],
    weight: [4, 1, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
  },
  {
    name: "odd size, floor mode: 11 → 5",
    input: [2, 3, 13, 13],
    weight: [5, 3, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
    cropped: true,
  },
  {
    name: "one input channel, odd size: 11 → 5",
    input: [3, 1, 13, 13],
    weight: [4, 1, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
    cropped: true,
  },
  {
    name: "one input channel, 5 channels (the last pair overlaps), 30 → 28 → 14",
    input: [2, 1, 30, 30],
    weight: [5, 1, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
  },
  {
    name: "the tutorial's conv2 block, through Winograd: 13 → 11 → 5",
    input: [3, 16, 13, 13],
    weight: [6, 16, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
    cropped: true,
    windows: true,
  },
  {
    name: "Winograd, an even output (the last 4 tiles of a row overlap): 14 → 12 → 6",
    input: [2, 4, 14, 14],
    weight: [3, 4, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
    windows: true,
  },
  {
    name: "Winograd, 4 tiles a row (each step of 4 starts a row): 10 → 8 → 4",
    input: [2, 4, 10, 10],
    weight: [5, 4, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
    windows: true,
  },
  {
    name: "Winograd, 7 tiles a row (steps of 4 across rows, the last one back 3 tiles): 16 → 14 → 7",
    input: [2, 4, 16, 16],
    weight: [3, 4, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
    windows: true,
  },
  {
    name: "strided, padded conv; 3×3 pool, stride 2, padding 1",
    input: [5, 2, 9, 9],
    weight: [3, 2, 3, 3],
    conv: { stride: 2, padding: 1 },
    kernelSize: 3,
    pool: { stride: 2, padding: 1 },
  },
  {
    name: "few positions (grouped images): 5 → 3 → 1",
    input: [9, 4, 5, 5],
    weight: [6, 4, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
    cropped: true,
  },
];

/** Output and [dx, dw, db] of f under a fixed random weighting of its output. */
const valuesAndGrads = (f: (x: Tensor, w: Tensor, b: Tensor) => Tensor, c: Case) => convValuesAndGrads(f, c, 11);

/**
 * Weight and bias gradients summed over the same nonzero terms in another grouping: wasm's fused kernels leave out the
 * outputs the pool drops (see pooledRegion), whose gradient is 0, so the GEMM's blocks and lanes group the rest
 * differently: a few units in the last place of the largest partial sums, measured at most 4.2e-7 of the tensor's
 * largest magnitude (the tutorial's conv2 on 64 images). Allowed: 1e-6 of it.
 */
function assertRegrouped(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  assertClose(actual, expected, { atol: 1e-6 * scale, rtol: 0 }, label);
}

for (const backend of ["ref", "wasm"] as const) {
  for (const c of CASES) {
    test(`conv2dReluMaxPool2d equals maxPool2d(relu(conv2d)), values and gradients, on ${backend}: ${c.name}`, () => {
      const block = (x: Tensor, w: Tensor, b: Tensor) => conv2dReluMaxPool2d(x, w, b, c.conv, c.kernelSize, c.pool);
      setBackend("ref");
      const reference = valuesAndGrads(block, c);
      setBackend(backend);
      const fused = valuesAndGrads(block, c);
      const separate = valuesAndGrads((x, w, b) => maxPool2d(relu(conv2d(x, w, b, c.conv)), c.kernelSize, c.pool), c);
      if (backend === "wasm" && c.windows) {
        // dx from the windows' gradients (pooledInputGradient): the direct sums, as ref's, in another order.
        assertRegrouped(fused.dx, reference.dx, "dx");
      }
      if (backend === "wasm" && c.cropped) {
        // The outputs and (but from the windows) the input gradient take the same arithmetic in the same order.
        assert.deepEqual(fused.y, separate.y);
        if (!c.windows) assert.deepEqual(fused.dx, separate.dx);
        assertRegrouped(fused.dw, separate.dw, "dw");
        assertRegrouped(fused.db, separate.db, "db");
      } else if (backend === "wasm" && c.windows) {
        // Winograd's tiles are the pool's windows: db is summed window by window (pooledGradTiles), y and dw as is.
        assert.deepEqual([fused.y, fused.dw], [separate.y, separate.dw]);
        assertRegrouped(fused.db, separate.db, "db");
      } else {
        // The same kernels' arithmetic in the same order: no tolerance.
        assert.deepEqual(fused, separate);
      }
    });
  }
}

test("the fused forward's winners are the pool's own indices where the pool reads the whole output", () => {
  // Only the fused backward reads them, and it decodes them as the forward wrote them: a slip in both would pass
  // the gradient tests, so they are checked against ref's maxPool2dForward indices here.
  const wasm = kernelOf("wasm", "conv2dReluMaxPool2dForward")!;
  for (const c of CASES.filter((c) => c.cropped === undefined && c.kernelSize === 2)) {
    const g = new Generator(19);
    const [x, w, b] = [randomFloat32(c.input, g), randomFloat32(c.weight, g), randomFloat32([c.weight[0]], g)];
    const conv = conv2dGeometry(x, w, b, c.conv);
    const pool = maxPool2dGeometry([conv.batch, conv.outChannels, conv.outHeight, conv.outWidth], 2, c.pool);
    const [fast, ref] = [wasm, refKernels.conv2dReluMaxPool2dForward].map((f) =>
      f(x.data as Float32Array, w.data as Float32Array, b.data as Float32Array, conv, pool),
    );
    assert.deepEqual(fast.argmax, ref.argmax, c.name);
  }
});

test("pooledRegion: the rows and columns of a convolution's output that its pool reads", () => {
  const conv = (size: number): Conv2dGeometry => ({
    batch: 64,
    inChannels: 16,
    inHeight: size + 2,
    inWidth: size + 2,
    outChannels: 32,
    kernelHeight: 3,
    kernelWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
    padHeight: 0,
    padWidth: 0,
    outHeight: size,
    outWidth: size,
  });
  const pool = (g: Conv2dGeometry, kernel: number, stride: number, pad: number): Window2d => {
    const out = Math.floor((g.outHeight + 2 * pad - kernel) / stride) + 1;
    return {
      batch: g.batch,
      inChannels: g.outChannels,
      inHeight: g.outHeight,
      inWidth: g.outWidth,
      kernelHeight: kernel,
      kernelWidth: kernel,
      strideHeight: stride,
      strideWidth: stride,
      padHeight: pad,
      padWidth: pad,
      outHeight: out,
      outWidth: out,
    };
  };
  const region = (size: number, kernel = 2, stride = 2, pad = 0) => {
    const g = conv(size);
    const { conv: c, pool: p } = pooledRegion(g, pool(g, kernel, stride, pad));
    return [c.outHeight, c.outWidth, p.inHeight, p.inWidth, p.outHeight];
  };
  assert.deepEqual(region(26), [26, 26, 26, 26, 13], "conv1: every row is read");
  assert.deepEqual(region(11), [10, 10, 10, 10, 5], "conv2: the last row and column are not");
  assert.deepEqual(region(3), [2, 2, 2, 2, 1], "conv3");
  assert.deepEqual(region(5, 3, 2, 1), [5, 5, 5, 5, 3], "3×3 windows, stride 2, padding 1 reach the last row");
  assert.deepEqual(region(6, 3, 2, 0), [5, 5, 5, 5, 2], "3×3 windows, stride 2: the 6th row is left");
});

test("without a gradient to come (inference), the fused block gives the same values, from plain maxima", async () => {
  // The values-only kernel (conv2dReluMaxPool2dValues) against the forward that records the winners, bit for bit,
  // on 1 and 2 threads; with NaNs and all-negative windows, which the plain maxima must treat as the rule does.
  const nanCase: Case = {
    name: "NaN and negative windows",
    input: [2, 4, 13, 13],
    weight: [8, 4, 3, 3],
    conv: {},
    kernelSize: 2,
    pool: {},
  };
  for (const threads of [1, 2]) {
    assert.equal(await useBackend("wasm", () => {}, threads), "wasm");
    for (const backend of ["ref", "wasm"] as const) {
      setBackend(backend);
      for (const c of [...CASES, nanCase]) {
        const g = new Generator(17);
        const [x, w, b] = [randomFloat32(c.input, g), randomFloat32(c.weight, g), randomFloat32([c.weight[0]], g)];
        if (c === nanCase) {
          x.data[5] = NaN;
          for (let i = 0; i < 4 * 9; i++) w.data[i] = -Math.abs(w.data[i]);
        }
        const block = () => conv2dReluMaxPool2d(x, w, b, c.conv, c.kernelSize, c.pool);
        const recorded = block();
        assert.ok(recorded.requiresGrad, "the forward that records the winners ran");
        const values = noGrad(block);
        assert.deepEqual(values.data, recorded.data, `${c.name} on ${backend}, ${threads} thread(s)`);
        const separate = noGrad(() => maxPool2d(relu(conv2d(x, w, b, c.conv)), c.kernelSize, c.pool));
        assert.deepEqual(values.data, separate.data, `${c.name} on ${backend}, ${threads} thread(s): unfused`);
      }
    }
  }
  await useBackend("wasm", () => {}, 1);
});

test("conv1's block, its input needing no gradient: the weights' gradient from each window's winner alone", () => {
  // wasm's fused backward takes 9 multiply-adds a window (directWeightGradPooled) in place of the dense sum's 36:
  // the same nonzero terms, grouped otherwise. The tutorial's conv1 (13 windows a row: 3 steps of 4 and 1 alone),
  // a padded one, and one with 5 channels and 4 windows a row.
  const cases = [
    { input: [3, 1, 28, 28], weight: [16, 1, 3, 3], padding: 0 },
    { input: [2, 1, 12, 12], weight: [4, 1, 3, 3], padding: 1 },
    { input: [2, 1, 10, 10], weight: [5, 1, 3, 3], padding: 0 },
  ];
  for (const backend of ["ref", "wasm"] as const) {
    setBackend(backend);
    for (const c of cases) {
      const g = new Generator(17);
      const x = randomFloat32(c.input, g);
      x.requiresGrad = false;
      const w = randomFloat32(c.weight, g);
      const b = randomFloat32([c.weight[0]], g);
      const run = (f: () => Tensor) => {
        [w.grad, b.grad] = [null, null];
        const y = f();
        // The same random weighting of the output for both.
        const gy = new Generator(18);
        const weights = new Tensor(
          Float32Array.from({ length: y.numel() }, () => gy.uniform(-1, 1)),
          y.shape,
        );
        sum(mul(y, weights)).backward();
        return { y: y.data, dw: w.grad!.data, db: b.grad!.data };
      };
      const conv = { padding: c.padding };
      const fused = run(() => conv2dReluMaxPool2d(x, w, b, conv, 2));
      const separate = run(() => maxPool2d(relu(conv2d(x, w, b, conv)), 2));
      const label = `${backend}, input ${c.input.join("×")}, padding ${c.padding}`;
      assert.deepEqual(fused.y, separate.y, label);
      if (backend === "ref") {
        assert.deepEqual(fused, separate, label);
        continue;
      }
      assertRegrouped(fused.dw, separate.dw, `${label}: dw`);
      assertRegrouped(fused.db, separate.db, `${label}: db`);
    }
  }
});

test("conv1's block, its input needing no gradient, with a NaN or an infinite pixel: PyTorch's NaNs in the gradients", () => {
  // The dense weight gradient multiplies such a pixel by the zero gradients of the positions around it (0·NaN, 0·∞):
  // an image holding one goes the dense way on wasm too, so the NaNs fall where the three ops put them.
  for (const backend of ["ref", "wasm"] as const) {
    setBackend(backend);
    for (const bad of [NaN, Infinity]) {
      const g = new Generator(21);
      const x = randomFloat32([3, 1, 28, 28], g);
      (x.data as Float32Array)[784 + 5 * 28 + 7] = bad;
      x.requiresGrad = false;
      const w = randomFloat32([16, 1, 3, 3], g);
      const b = randomFloat32([16], g);
      const run = (f: () => Tensor) => {
        [w.grad, b.grad] = [null, null];
        sum(f()).backward();
        return { dw: w.grad!.data, db: b.grad!.data };
      };
      const fused = run(() => conv2dReluMaxPool2d(x, w, b, {}, 2));
      const separate = run(() => maxPool2d(relu(conv2d(x, w, b)), 2));
      const label = `${backend}, a pixel of ${bad}`;
      const nans = (a: ArrayLike<number>) => Array.from(a, (v) => Number.isNaN(v));
      assert.deepEqual(nans(fused.dw), nans(separate.dw), `${label}: where dw is NaN`);
      assert.ok(nans(separate.dw).includes(true), `${label}: the three ops give NaNs`);
      assertClose(fused.db, separate.db, { atol: 1e-5, rtol: 1e-5 }, `${label}: db`);
    }
  }
});

test("without a bias, and with an input that needs no gradient, only the weight's gradient is computed", () => {
  for (const backend of ["ref", "wasm"] as const) {
    setBackend(backend);
    const g = new Generator(16);
    const x = randomFloat32([3, 2, 10, 10], g);
    x.requiresGrad = false;
    const w = randomFloat32([4, 2, 3, 3], g);
    const run = (f: () => Tensor) => {
      w.grad = null;
      sum(f()).backward();
      return w.grad!.data;
    };
    const fused = run(() => conv2dReluMaxPool2d(x, w, null, {}, 2));
    assert.deepEqual(
      fused,
      run(() => maxPool2d(relu(conv2d(x, w, null)), 2)),
      backend,
    );
    assert.equal(x.grad, null);
  }
});

test("conv2dReluMaxPool2d: float64 gradients against central differences", () => {
  setBackend("ref");
  const g = new Generator(12);
  gradcheck("conv2dReluMaxPool2d", (x, w, b) => conv2dReluMaxPool2d(x, w, b, { padding: 1 }, 2), [
    randomInput([2, 2, 7, 7], g),
    randomInput([3, 2, 3, 3], g),
    randomInput([3], g),
  ]);
});

test("a relu that zeroes a whole window sends no gradient, and a NaN propagates both ways, as in PyTorch", () => {
  for (const backend of ["ref", "wasm"] as const) {
    setBackend(backend);
    // One channel, identity kernel: the conv output is the input, so the windows are easy to read. PyTorch 1.13
    // gives max_pool2d(relu(x), 2) = [0, nan] here, and x.grad = [0,0,0,1, 0,0,0,0] for a gradient of ones.
    const x = new Tensor(Float32Array.of(-1, -2, 3, NaN, -5, -6, 7, 8), [1, 1, 2, 4], true);
    const w = new Tensor(Float32Array.of(1), [1, 1, 1, 1], true);
    const y = conv2dReluMaxPool2d(x, w, null, {}, 2);
    assert.deepEqual([...y.data], [0, NaN], `${backend} forward`);
    sum(mul(y, new Tensor(Float32Array.of(1, 1), [1, 1, 1, 2]))).backward();
    assert.deepEqual([...x.grad!.data], [0, 0, 0, 1, 0, 0, 0, 0], `${backend} backward`);
  }
});

test("the MNIST models train identically with and without the fused blocks (wasm: to the weight gradient's grouping)", () => {
  for (const backend of ["ref", "wasm"] as const) {
    setBackend(backend);
    for (const arch of ["seed", "conv3"] as const) {
      const g = new Generator(13);
      const x = new Tensor(
        Float32Array.from({ length: 4 * 784 }, () => g.uniform(0, 1)),
        [4, 1, 28, 28],
      );
      const labels = Int32Array.of(3, 1, 4, 1);
      const run = (fuse: boolean) => {
        manualSeed(14);
        const model = new MnistCNN(arch);
        model.fuse = fuse;
        const loss = crossEntropy(model.forward(x), labels);
        loss.backward();
        return { loss: loss.item(), grads: model.parameters().map((p) => p.grad!.data) };
      };
      const [fused, separate] = [run(true), run(false)];
      if (backend === "ref") {
        assert.deepEqual(fused, separate, `${arch} on ${backend}`);
        continue;
      }
      // conv2's (and conv3's) pool drops their outputs' last row and column, which wasm's fused kernels skip.
      assert.equal(fused.loss, separate.loss, `${arch} on ${backend}: loss`);
      fused.grads.forEach((grad, i) =>
        assertRegrouped(grad, separate.grads[i], `${arch} on ${backend}: gradient ${i}`),
      );
    }
  }
});

test("the fused kernel split over 2 threads gives the reference's results", async () => {
  assert.equal(await useBackend("wasm", () => {}, 2), "wasm");
  try {
    for (const c of CASES) {
      setBackend("ref");
      const ref = valuesAndGrads((x, w, b) => conv2dReluMaxPool2d(x, w, b, c.conv, c.kernelSize, c.pool), c);
      setBackend("wasm");
      const wasm = valuesAndGrads((x, w, b) => conv2dReluMaxPool2d(x, w, b, c.conv, c.kernelSize, c.pool), c);
      assert.deepEqual(wasm.y.length, ref.y.length);
      const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
        // float32 sums in another order than the reference's: 1e-5 relative, 1e-5 absolute.
        for (let i = 0; i < a.length; i++) {
          assert.ok(
            Math.abs(a[i] - b[i]) <= 1e-5 + 1e-5 * Math.abs(b[i]),
            `${c.name} ${what}[${i}]: ${a[i]} vs ${b[i]}`,
          );
        }
      };
      close(wasm.y, ref.y, "y");
      close(wasm.dx, ref.dx, "dx");
      close(wasm.dw, ref.dw, "dw");
      close(wasm.db, ref.db, "db");
    }
    // Unfused relu and max-pool split by image too, once a thread gets enough elements (here 4 images of 32K).
    const g = new Generator(15);
    const x = randomFloat32([4, 8, 64, 64], g);
    const pooledGrads = (backend: "ref" | "wasm") => {
      setBackend(backend);
      x.grad = null;
      const y = maxPool2d(relu(x), 2);
      sum(mul(y, y)).backward();
      return { y: y.data, dx: x.grad!.data };
    };
    assert.deepEqual(pooledGrads("wasm"), pooledGrads("ref"));
  } finally {
    await useBackend("wasm", () => {}, 1);
  }
});

test("a batch's gradients are the same bit for bit on 1 thread and on 2: its ranges do not depend on the threads", async () => {
  setBackend("wasm");
  // The tutorial's three blocks on a batch of 64, fused and not: many ranges, each with its partial gradients.
  const blocks: Case[] = [
    { name: "conv1", input: [64, 1, 28, 28], weight: [16, 1, 3, 3], conv: {}, kernelSize: 2, pool: {} },
    { name: "conv2", input: [64, 16, 13, 13], weight: [32, 16, 3, 3], conv: {}, kernelSize: 2, pool: {} },
    { name: "conv3", input: [64, 32, 5, 5], weight: [64, 32, 3, 3], conv: {}, kernelSize: 2, pool: {} },
  ];
  const grads = async (threads: number) => {
    assert.equal(await useBackend("wasm", () => {}, threads), "wasm");
    return blocks.map((c) => ({
      fused: valuesAndGrads((x, w, b) => conv2dReluMaxPool2d(x, w, b, c.conv, c.kernelSize, c.pool), c),
      separate: valuesAndGrads((x, w, b) => maxPool2d(relu(conv2d(x, w, b, c.conv)), c.kernelSize, c.pool), c),
    }));
  };
  try {
    const [one, two] = [await grads(1), await grads(2)];
    blocks.forEach((c, i) => assert.deepEqual(two[i], one[i], c.name));
  } finally {
    await useBackend("wasm", () => {}, 1);
  }
});

test("an infinite weight gives the fused block's input gradient the NaNs of the three ops' (0 · ∞), on wasm", () => {
  // Over whole windows wasm takes dx from the windows' gradients alone, skipping those that are 0; with a weight that
  // is not finite it must not, since PyTorch's dense sums multiply those zeros by it. (A cropped block leaves out the
  // outputs the pool drops, whose 0 · ∞ the three ops count: there the NaNs differ, with or without windows.)
  setBackend("wasm");
  for (const c of CASES.filter((c) => c.windows && !c.cropped)) {
    const infinite = (f: (x: Tensor, w: Tensor, b: Tensor) => Tensor) => (x: Tensor, w: Tensor, b: Tensor) => {
      (w.data as Float32Array)[1] = Infinity;
      return f(x, w, b);
    };
    const fused = valuesAndGrads(
      infinite((x, w, b) => conv2dReluMaxPool2d(x, w, b, c.conv, c.kernelSize, c.pool)),
      c,
    );
    const separate = valuesAndGrads(
      infinite((x, w, b) => maxPool2d(relu(conv2d(x, w, b, c.conv)), c.kernelSize, c.pool)),
      c,
    );
    assert.ok(Array.from(separate.dx).some(Number.isNaN), `${c.name}: the three ops give NaNs`);
    assert.deepEqual(fused.dx, separate.dx, c.name);
  }
});
