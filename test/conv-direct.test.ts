import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { kernelOf } from "../src/kernels/registry.js";
import { refKernels } from "../src/kernels/ref/index.js";
import type { Conv2dGeometry, KernelTable } from "../src/kernels/types.js";
import { initWasmBackend } from "../src/kernels/wasm/index.js";
import { Generator } from "../src/tensor/random.js";
import { window2d } from "../src/ops/window.js";
import { assertClose } from "./helpers/close.js";

// The wasm backend's direct kernels for single-input-channel 3×3 stride-1 convolutions (assembly/conv-direct.ts,
// taken by conv2dForward and conv2dBackwardWeight, fused or not) against the reference kernels. The shapes hit each
// edge of its blocks: output widths that are not multiples of 4 (the overlapped, masked last vector of a row), an odd
// output height (the overlapped last row pair), C_out not a multiple of 4 (the overlapped last channel block) and odd
// (the last channel of the weight gradient paired with itself), padding (the bordered copy), images alone (P ≥ 64,
// one call per image, the weight gradient accumulating across them) and grouped (P < 64: several images per call,
// dY regrouped), and a shape below the blocks' minimum that stays on im2col + GEMM.
await initWasmBackend();
const g = new Generator(23);
const random = (n: number) => Float32Array.from({ length: n }, () => g.uniform(-1, 1));

function conv1Like(batch: number, [h, w]: [number, number], outChannels: number, padding: number): Conv2dGeometry {
  return { ...window2d("test", [batch, 1, h, w], [3, 3], [1, 1], [padding, padding]), outChannels };
}

const cases: [string, Conv2dGeometry][] = [
  ["the tutorial's conv1, 26 wide, images alone", conv1Like(3, [28, 28], 16, 0)],
  ["padding 1, 28 wide, images alone", conv1Like(2, [28, 28], 16, 1)],
  ["odd height 7, width 9, 6 channels, grouped", conv1Like(5, [9, 11], 6, 0)],
  ["padding 1, width 7, 5 channels, grouped", conv1Like(4, [8, 7], 5, 1)],
  ["padding 2, width 8 (no tail), 4 channels", conv1Like(2, [6, 6], 4, 2)],
  ["below the blocks' minimum (width 3, 3 channels): im2col + GEMM", conv1Like(2, [5, 5], 3, 0)],
];

// Each output is a bias plus 9 products of values in [−1, 1]: float32 rounding error ≲ 10 ulps of a sum ≤ 10 in size,
// about 1e-6, far below atol. Each weight gradient sums batch·OH·OW products (up to 2·28·28 = 1,568 here) of
// magnitude ≤ 1 in another order than the reference: its error grows with that count, to ~1e-5 at worst in practice,
// bounded by the kernels' test's reduction tolerance.
const tol = { atol: 2e-5, rtol: 1e-5 };
const reductionTol = { atol: 2e-4, rtol: 1e-5 };

describe("direct single-channel 3×3 convolutions (wasm) equal the reference kernels", () => {
  const wasm = (name: keyof KernelTable) => {
    const k = kernelOf("wasm", name);
    assert.ok(k, `the wasm backend provides ${name}`);
    return k as never;
  };
  const forward: KernelTable["conv2dForward"] = wasm("conv2dForward");
  const backwardWeight: KernelTable["conv2dBackwardWeight"] = wasm("conv2dBackwardWeight");

  for (const [label, geometry] of cases) {
    test(label, () => {
      const x = random(geometry.batch * geometry.inHeight * geometry.inWidth);
      const w = random(geometry.outChannels * 9);
      const b = random(geometry.outChannels);
      const dy = random(geometry.batch * geometry.outChannels * geometry.outHeight * geometry.outWidth);
      assertClose(forward(x, w, b, geometry), refKernels.conv2dForward(x, w, b, geometry), tol, `${label}: y`);
      assertClose(forward(x, w, null, geometry), refKernels.conv2dForward(x, w, null, geometry), tol, `${label}: no b`);
      const dw = backwardWeight(dy, x, geometry);
      assertClose(dw, refKernels.conv2dBackwardWeight(dy, x, geometry), reductionTol, `${label}: dw`);
    });
  }

  test("an infinite input under a row's overlapped last vector counts once: ±Infinity, not NaN", () => {
    // Output width 9: the last vector covers columns 5…8, of which 5…7 were counted already and are masked.
    // x[2, 7] is read there by taps n = 0, 1, 2; the reference's sums hold exactly one infinite product per tap.
    const geometry = conv1Like(1, [6, 11], 4, 0);
    const x = random(6 * 11);
    x[2 * 11 + 7] = Infinity;
    const w = random(4 * 9);
    const dy = random(4 * 4 * 9);
    const dw = backwardWeight(dy, x, geometry);
    const expected = refKernels.conv2dBackwardWeight(dy, x, geometry);
    assert.ok(
      Array.from(expected).some((v) => !Number.isFinite(v) && !Number.isNaN(v)),
      "the case has ±Infinity",
    );
    assertClose(dw, expected, reductionTol, "dw");
    assertClose(forward(x, w, null, geometry), refKernels.conv2dForward(x, w, null, geometry), tol, "y");
  });
});
