import { setFlagsFromString } from "node:v8";
import { bestWasmKernelModule } from "../kernels/wasm/index.js";

/**
 * Turns WebAssembly relaxed SIMD on in this process where V8 still keeps it behind a flag: Node 20's V8 11.3, as
 * `--experimental-wasm-relaxed-simd` (V8 shipped it in 11.4; Node ≥ 22, Chromium and Deno have it on). The wasm
 * backend then picks its relaxed-simd kernels, whose multiply-adds are fused where the CPU has FMA, as it does on
 * those engines: on a 2-core AVX-512 machine, 5% less time a training step and 10% more inference images/s than the
 * plain build (A B A B, medians of 6). Call it before the kernels compile; it changes nothing where relaxed SIMD is
 * already on, and does not touch a V8 newer than 11 (whose flag may be gone). Returns whether the engine now
 * validates the relaxed build.
 */
export function enableRelaxedSimd(): boolean {
  if (bestWasmKernelModule() === "relaxed-simd") return true;
  if (Number(process.versions.v8.split(".")[0]) > 11) return false;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return bestWasmKernelModule() === "relaxed-simd";
}
