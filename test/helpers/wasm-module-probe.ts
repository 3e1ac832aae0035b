// Run by test/wasm-module.test.ts in a child process (its own V8 flags and environment): starts the wasm backend on
// 2 threads, runs a convolution forward and backward on it and on ref, and prints one JSON line saying which kernel
// build was chosen, the worst difference, in units of the tolerance, and whether the engine accepts the relaxed build.
import { useBackend } from "../../src/node/backend.js";
import { setBackend } from "../../src/kernels/registry.js";
import { bestWasmKernelModule, wasmKernelModule, wasmThreads } from "../../src/kernels/wasm/index.js";
import { conv2d } from "../../src/ops/conv2d.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { tidy } from "../../src/tensor/scope.js";
import { Generator } from "../../src/tensor/random.js";

const notices: string[] = [];
const backend = await useBackend("wasm", (line) => notices.push(line), 2);
const g = new Generator(5);
const random = (shape: number[]) =>
  new Tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => g.uniform(-1, 1)),
    shape,
    true,
  );
// One convolution for each of the wasm backend's paths, all with multiply-adds that the relaxed build fuses:
// Winograd (8 input channels, 13×13 with padding 1: 7 tiles a row), the direct single-channel kernel (conv1's shape),
// and im2col + GEMM (conv3's: 5×5 → 3×3, K = 288, so the GEMM's 4×8 blocks and their edges both run).
const convolutions: [x: Tensor, w: Tensor, b: Tensor, padding: number][] = [
  [random([4, 8, 13, 13]), random([12, 8, 3, 3]), random([12]), 1],
  [random([4, 1, 28, 28]), random([16, 1, 3, 3]), random([16]), 0],
  [random([4, 32, 5, 5]), random([20, 32, 3, 3]), random([20]), 0],
];
const run = (name: "wasm" | "ref") => {
  setBackend(name);
  return convolutions.flatMap(([x, w, b, padding]) => {
    for (const t of [x, w, b]) t.grad = null;
    const y = tidy(() => {
      const y = conv2d(x, w, b, { padding });
      y.backward(
        new Tensor(
          Float32Array.from({ length: y.numel() }, (_, i) => Math.sin(i)),
          y.shape,
        ),
      );
      return y;
    });
    return [y.data, x.grad!.data, w.grad!.data, b.grad!.data];
  });
};
const wasm = run("wasm");
const ref = run("ref");
// |wasm − ref| / (atol + rtol·|ref|) with atol = rtol = 1e-4: float32 sums over up to 676 terms, in another order
// than ref's and, in the relaxed build, with one rounding per multiply-add instead of two; Winograd's transforms
// (test/winograd.test.ts) stay well within it.
let worst = 0;
wasm.forEach((a, i) =>
  a.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - ref[i][j]) / (1e-4 + 1e-4 * Math.abs(ref[i][j]))))),
);
// Whether the engine now accepts the relaxed build at all, whichever build was asked for.
const relaxedValid = bestWasmKernelModule() === "relaxed-simd";
console.log(
  JSON.stringify({ backend, module: wasmKernelModule(), threads: wasmThreads(), notices, worst, relaxedValid }),
);
