// The wasm backend's Winograd F(2×2, 3×3) convolutions (src/kernels/wasm/assembly/winograd.ts) against the
// reference kernels, which sum every product directly. PyTorch's own fixtures and trained weights go through them
// too (test/torch-fixtures.test.ts and test/trained-weights.test.ts run on wasm in `npm test`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Tensor, conv2d, conv2dReluMaxPool2d, setBackend, tidy } from "../src/index.js";
import { initWasmBackend } from "../src/kernels/wasm/index.js";
import { setWinograd } from "../src/kernels/wasm/kernels.js";
import { useBackend } from "../src/node/backend.js";
import { convValuesAndGrads, randomFloat32, type ConvCase } from "./helpers/conv-grads.js";
import { kernelOf } from "../src/kernels/registry.js";
import { conv2dGeometry } from "../src/ops/conv2d.js";
import { maxPool2dGeometry } from "../src/ops/pool.js";
import { Generator } from "../src/tensor/random.js";
import { assertClose } from "./helpers/close.js";

await initWasmBackend();

const CASES: ConvCase[] = [
  {
    name: "the tutorial's conv2: 16 → 32, 13×13 → 11×11 (6×6 tiles)",
    input: [6, 16, 13, 13],
    weight: [32, 16, 3, 3],
    conv: {},
  },
  { name: "exactly 4 tiles a row: 9×9 → 7×7", input: [3, 4, 9, 9], weight: [8, 4, 3, 3], conv: {} },
  {
    name: "5 tiles a row (the last 4 overlap), C_out 5, non-square: 12×11 → 10×9",
    input: [5, 6, 12, 11],
    weight: [5, 6, 3, 3],
    conv: {},
  },
  { name: "padding 1: 14×14 → 14×14", input: [2, 8, 14, 14], weight: [12, 8, 3, 3], conv: { padding: 1 } },
  { name: "padding 2: 7×10 → 9×12", input: [1, 4, 7, 10], weight: [4, 4, 3, 3], conv: { padding: 2 } },
];

/** y = f(x, w, b) and the gradients of Σ y·r for a fixed random r. */
const valuesAndGrads = (f: (x: Tensor, w: Tensor, b: Tensor) => Tensor, c: ConvCase) => convValuesAndGrads(f, c, 21);

/**
 * Winograd adds and subtracts up to 9 terms in its transforms before and after the products, so each result is off
 * the direct sum by a few units in the last place of the largest terms, not of the result itself: measured at most
 * 6e-7 of the tensor's largest magnitude on these cases. Allowed: 4e-6 of it, plus the usual 1e-5 relative.
 */
function assertWinogradClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  assertClose(actual, expected, { atol: 4e-6 * scale, rtol: 1e-5 }, label);
}

const blocks = {
  conv2d: (c: ConvCase) => (x: Tensor, w: Tensor, b: Tensor) => conv2d(x, w, b, c.conv),
  "conv2d → relu → maxPool2d(2), fused": (c: ConvCase) => (x: Tensor, w: Tensor, b: Tensor) =>
    conv2dReluMaxPool2d(x, w, b, c.conv, 2),
};

function compareWithRef(threads: string): void {
  for (const c of CASES) {
    for (const [block, make] of Object.entries(blocks)) {
      setBackend("ref");
      const ref = valuesAndGrads(make(c), c);
      setBackend("wasm");
      const wasm = valuesAndGrads(make(c), c);
      for (const key of ["y", "dx", "dw", "db"] as const) {
        assertWinogradClose(wasm[key], ref[key], `${c.name}, ${block}, ${threads}: ${key}`);
      }
    }
  }
}

test("Winograd convolutions match the reference's values and gradients, on 1 thread", () => {
  compareWithRef("1 thread");
});

test("Winograd convolutions match the reference's values and gradients, split over 2 threads", async () => {
  assert.equal(await useBackend("wasm", () => {}, 2), "wasm");
  try {
    compareWithRef("2 threads");
  } finally {
    await useBackend("wasm", () => {}, 1);
  }
});

test("3×3 stride-1 convolutions take the Winograd path, and the others do not", () => {
  setBackend("wasm");
  const run = (c: ConvCase, winograd: boolean) => {
    setWinograd(winograd);
    try {
      return valuesAndGrads(blocks.conv2d(c), c);
    } finally {
      setWinograd(true);
    }
  };
  // Winograd and im2col round differently: different bits show which one ran.
  const conv2 = CASES[0];
  const [winograd, im2col] = [run(conv2, true), run(conv2, false)];
  for (const key of ["y", "dx", "dw"] as const) {
    assert.notDeepEqual(winograd[key], im2col[key], `${conv2.name}: ${key} went through Winograd`);
    assertWinogradClose(winograd[key], im2col[key], `${conv2.name}: ${key}, Winograd against im2col`);
  }
  const others: ConvCase[] = [
    { name: "stride 2", input: [2, 8, 13, 13], weight: [8, 8, 3, 3], conv: { stride: 2 } },
    { name: "a 5×5 kernel", input: [2, 8, 13, 13], weight: [8, 8, 5, 5], conv: {} },
    { name: "fewer than 4 tiles a row (conv3: 5×5 → 3×3)", input: [2, 32, 5, 5], weight: [8, 32, 3, 3], conv: {} },
    { name: "fewer than 4 input channels (conv1)", input: [2, 1, 28, 28], weight: [16, 1, 3, 3], conv: {} },
  ];
  for (const c of others) assert.deepEqual(run(c, true), run(c, false), `${c.name}: im2col either way`);
});

test("the fused backward takes dw from the input tiles its forward kept in the scope, not from x again", () => {
  const forward = kernelOf("wasm", "conv2dReluMaxPool2dForward")!;
  const backward = kernelOf("wasm", "conv2dReluMaxPool2dBackward")!;
  // 64 images go in groups of 8 (WINOGRAD_TILES), 20 in groups of 3 with a short last one.
  for (const batch of [64, 20]) {
    const g = new Generator(batch);
    const [x, w, b] = [randomFloat32([batch, 16, 13, 13], g), randomFloat32([32, 16, 3, 3], g), randomFloat32([32], g)];
    const dy = randomFloat32([batch, 32, 5, 5], g).data as Float32Array;
    const conv = conv2dGeometry(x, w, b, {});
    const pool = maxPool2dGeometry([batch, 32, 11, 11], 2, {});
    const [xs, ws, bs] = [x, w, b].map((t) => (t.data as Float32Array).slice());
    const need = [true, true, true] as const;
    assert.equal(forward(xs, ws, bs, conv, pool).saved, undefined, "outside a scope nothing is kept");
    tidy(() => {
      const { y, argmax, saved } = forward(xs, ws, bs, conv, pool);
      assert.ok(saved !== undefined, `${batch} images: the tiles are kept inside a scope`);
      const again = backward(dy, argmax, y, xs, ws, conv, pool, need).map((a) => a!.slice());
      // Were x transformed again, its new values would change dw: the saved tiles are those of the forward's x.
      const kept = xs.slice();
      xs.fill(0.5);
      const fromSaved = backward(dy, argmax, y, xs, ws, conv, pool, need, saved).map((a) => a!.slice());
      const fromChanged = backward(dy, argmax, y, xs, ws, conv, pool, need)[1]!.slice();
      assert.deepEqual(fromSaved, again, `${batch} images: dx, dw and db bit for bit`);
      assert.notDeepEqual(fromChanged, again[1], `${batch} images: x itself was not read for dw`);
      xs.set(kept);
    });
  }
});
