import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { kernelOf } from "../src/kernels/registry.js";
import { refKernels } from "../src/kernels/ref/index.js";
import type { Conv2dGeometry, KernelTable, Window2d } from "../src/kernels/types.js";
import { initWasmBackend } from "../src/kernels/wasm/index.js";
import { Generator } from "../src/tensor/random.js";
import { window2d } from "../src/ops/window.js";
import { assertClose } from "./helpers/close.js";

// Every fast kernel against its reference kernel on random float32 data, over shapes chosen to hit each code path:
// SIMD blocks and their scalar tails (sizes not multiples of 4 or 8), K longer than one packed panel, strides,
// padding, non-square windows, batch 1.
await initWasmBackend();
const g = new Generator(11);
const random = (n: number) => Float32Array.from({ length: n }, () => g.uniform(-1, 1));

function convGeometry(
  batch: number,
  inChannels: number,
  [inHeight, inWidth]: [number, number],
  outChannels: number,
  kernel: [number, number],
  stride: [number, number],
  padding: [number, number],
): Conv2dGeometry {
  return { ...window2d("test", [batch, inChannels, inHeight, inWidth], kernel, stride, padding), outChannels };
}

const convCases: [string, Conv2dGeometry][] = [
  ["tutorial conv1", convGeometry(4, 1, [28, 28], 16, [3, 3], [1, 1], [0, 0])],
  ["tutorial conv2", convGeometry(3, 16, [13, 13], 32, [3, 3], [1, 1], [0, 0])],
  ["homework conv3", convGeometry(2, 32, [5, 5], 64, [3, 3], [1, 1], [0, 0])],
  ["stride 2, padding 1, odd channels", convGeometry(2, 3, [9, 8], 5, [3, 2], [2, 1], [1, 2])],
  ["batch 1, 1×1 kernel, stride 3", convGeometry(1, 7, [10, 11], 6, [1, 1], [3, 3], [0, 0])],
  ["large padding", convGeometry(1, 2, [4, 4], 3, [5, 5], [1, 2], [2, 2])],
];

// Float32 sums in another order than the reference's float64 accumulation: relative error ~1e-7 per term.
const tol = { atol: 2e-5, rtol: 1e-5 };
// Weight and bias gradients sum over the batch and every output position (up to ~3,000 products here), so their
// float32 rounding grows with that count.
const reductionTol = { atol: 2e-4, rtol: 1e-5 };

describe("wasm kernels equal the reference kernels", () => {
  const wasm = (name: keyof KernelTable) => {
    const k = kernelOf("wasm", name);
    assert.ok(k, `the wasm backend provides ${name}`);
    return k as never;
  };

  for (const [label, geometry] of convCases) {
    test(`conv2d forward and backward: ${label}`, () => {
      const x = random(geometry.batch * geometry.inChannels * geometry.inHeight * geometry.inWidth);
      const w = random(geometry.outChannels * geometry.inChannels * geometry.kernelHeight * geometry.kernelWidth);
      const b = random(geometry.outChannels);
      const dy = random(geometry.batch * geometry.outChannels * geometry.outHeight * geometry.outWidth);
      const fwd: KernelTable["conv2dForward"] = wasm("conv2dForward");
      assertClose(fwd(x, w, b, geometry), refKernels.conv2dForward(x, w, b, geometry), tol, `${label} forward`);
      assertClose(fwd(x, w, null, geometry), refKernels.conv2dForward(x, w, null, geometry), tol, `${label} no bias`);
      const bwdInput: KernelTable["conv2dBackwardInput"] = wasm("conv2dBackwardInput");
      assertClose(bwdInput(dy, w, geometry), refKernels.conv2dBackwardInput(dy, w, geometry), tol, `${label} dx`);
      const bwdWeight: KernelTable["conv2dBackwardWeight"] = wasm("conv2dBackwardWeight");
      assertClose(
        bwdWeight(dy, x, geometry),
        refKernels.conv2dBackwardWeight(dy, x, geometry),
        reductionTol,
        `${label} dw`,
      );
      const bwdBias: KernelTable["conv2dBackwardBias"] = wasm("conv2dBackwardBias");
      assertClose(bwdBias(dy, geometry), refKernels.conv2dBackwardBias(dy, geometry), reductionTol, `${label} db`);
    });
  }

  const poolCases: [string, Window2d][] = [
    ["2×2 stride 2, floor mode 13 → 6", { ...convGeometry(2, 3, [13, 13], 3, [2, 2], [2, 2], [0, 0]) }],
    ["2×2 stride 2, 26 → 13 (SIMD blocks and a tail)", { ...convGeometry(2, 2, [26, 26], 2, [2, 2], [2, 2], [0, 0]) }],
    ["3×3 stride 2 padding 1", { ...convGeometry(1, 2, [7, 6], 2, [3, 3], [2, 2], [1, 1]) }],
    ["2×3 stride 1", { ...convGeometry(2, 1, [5, 9], 1, [2, 3], [1, 1], [0, 0]) }],
  ];
  for (const [label, geometry] of poolCases) {
    test(`maxPool2d forward and backward: ${label}, including ties and NaN`, () => {
      const n = geometry.batch * geometry.inChannels * geometry.inHeight * geometry.inWidth;
      // Values from {0, 1, 2} make ties in most windows; a few NaN must win and propagate as in PyTorch.
      const x = Float32Array.from({ length: n }, (_, i) => (i % 37 === 5 ? NaN : g.randomInt(3)));
      const fwd: KernelTable["maxPool2dForward"] = wasm("maxPool2dForward");
      const fast = fwd(x, geometry);
      const ref = refKernels.maxPool2dForward(x, geometry);
      assert.deepEqual(fast.argmax, ref.argmax, `${label}: the same element wins every window`);
      assert.deepEqual(fast.y, ref.y);
      const dy = random(ref.y.length);
      const bwd: KernelTable["maxPool2dBackward"] = wasm("maxPool2dBackward");
      assert.deepEqual(bwd(dy, ref.argmax, geometry), refKernels.maxPool2dBackward(dy, ref.argmax, geometry));
    });
  }

  for (const [m, k, n] of [
    [64, 800, 10],
    [7, 1100, 9],
    [4, 8, 8],
    [1, 3, 1],
    [13, 17, 19],
  ]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        test(`gemm ${m}×${k}×${n} transA ${transA} transB ${transB}`, () => {
          const a = random(m * k);
          const b = random(k * n);
          const shape = { m, k, n, transA, transB };
          const gemm: KernelTable["gemm"] = wasm("gemm");
          assertClose(gemm(a, b, shape), refKernels.gemm(a, b, shape), { atol: 1e-4, rtol: 1e-5 }, "gemm");
        });
      }
    }
  }

  test("relu and its gradient, with zeros, negative zeros and NaN, at a length that is not a multiple of 4", () => {
    const x = Float32Array.from({ length: 1003 }, (_, i) => (i % 10 === 0 ? 0 : i % 10 === 1 ? -0 : g.uniform(-1, 1)));
    x[500] = NaN;
    const dy = random(x.length);
    const relu: KernelTable["relu"] = wasm("relu");
    assert.deepEqual(relu(x), refKernels.relu(x));
    const reluBackward: KernelTable["reluBackward"] = wasm("reluBackward");
    const dx = reluBackward(dy, x);
    assert.deepEqual(dx, refKernels.reluBackward(dy, x));
    // As PyTorch's threshold_backward: no gradient at 0 or −0, and a NaN input passes its gradient.
    assert.deepEqual([dx[10], dx[11], dx[500]], [0, 0, dy[500]]);
  });

  test("bytesToUnit: every byte / 255 as float32, gathered in the order of the starts, at a run length with a tail", () => {
    // All 256 byte values, then a run of 37 (two blocks of 16 and a tail of 5) at each start.
    const bytes = Uint8Array.from({ length: 4096 }, (_, i) => (i < 256 ? i : (i * 97 + 13) % 256));
    const all: KernelTable["bytesToUnit"] = wasm("bytesToUnit");
    // PyTorch's ToTensor: a float32 division by 255, which a float64 quotient rounded to float32 equals.
    assert.deepEqual(
      all(bytes, Int32Array.of(0), 256),
      Float32Array.from({ length: 256 }, (_, b) => b / 255),
    );
    assert.deepEqual(refKernels.bytesToUnit(bytes, Int32Array.of(0), 256), all(bytes, Int32Array.of(0), 256));
    const starts = Int32Array.of(4059, 3, 1000, 0, 2500);
    const gathered = all(bytes, starts, 37);
    assert.deepEqual(gathered, refKernels.bytesToUnit(bytes, starts, 37));
    assert.equal(gathered[37 + 36], Math.fround(bytes[3 + 36] / 255), "second run, last byte of its tail");
    for (const kernel of [all, refKernels.bytesToUnit]) {
      assert.throws(() => kernel(bytes, Int32Array.of(0, 4060), 37), /run at 4060 of 37 bytes leaves the 4096 bytes/);
      assert.throws(() => kernel(bytes, Int32Array.of(-1), 37), RangeError);
    }
  });

  test("float64 inputs go to the reference kernel; wasm's float32 kernels agree with ref's float64 results", () => {
    // wasm(...) on a Float64Array is ref's kernel itself, so comparing it with ref would test ref against ref. The
    // float64 call checks the routing (the result stays float64); the comparison runs wasm's own float32 kernels on
    // the same values against ref in float64.
    const x32 = random(1003);
    const x64 = Float64Array.from(x32);
    const relu: KernelTable["relu"] = wasm("relu");
    assert.ok(relu(x64) instanceof Float64Array, "float64 stays float64, for gradient checks");
    assert.ok(relu(x32) instanceof Float32Array);
    // max(x, 0) of a float32 is exact in either precision.
    assert.deepEqual(Array.from(relu(x32)), Array.from(refKernels.relu(x64)));
    const [m, k, n] = [13, 17, 19];
    const a32 = random(m * k);
    const b32 = random(k * n);
    const shape = { m, k, n, transA: false, transB: true };
    const gemm: KernelTable["gemm"] = wasm("gemm");
    const ref64 = refKernels.gemm(Float64Array.from(a32), Float64Array.from(b32), shape);
    assert.ok(ref64 instanceof Float64Array);
    // float32 products summed in float32 against the exact float64 sum: 17 terms of |a·b| < 1.
    assertClose(gemm(a32, b32, shape), ref64, { atol: 1e-5, rtol: 1e-5 }, "gemm float32 vs float64");
    const g = convCases[3][1];
    const x = random(g.batch * g.inChannels * g.inHeight * g.inWidth);
    const w = random(g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth);
    const conv: KernelTable["conv2dForward"] = wasm("conv2dForward");
    const conv64 = refKernels.conv2dForward(Float64Array.from(x), Float64Array.from(w), null, g);
    assertClose(conv(x, w, null, g), conv64, tol, "conv2d float32 vs float64");
  });
});
