import { registerBackend } from "../registry.js";
import { KERNELS_WASM_BASE64 } from "./binary.generated.js";
import { wasmKernels, type WasmExports } from "./kernels.js";
import { WasmArena } from "./memory.js";

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let bytes: Uint8Array<ArrayBuffer> | null = null;
const kernelBytes = (): Uint8Array<ArrayBuffer> => (bytes ??= decodeBase64(KERNELS_WASM_BASE64));

/**
 * Whether this engine can run the kernels: they use 128-bit SIMD, which WebAssembly.validate rejects where it is
 * missing (older browsers), in which case the `ref` backend is the fallback.
 */
export function wasmSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(kernelBytes());
}

/**
 * Compiles the SIMD kernels and registers them as the `wasm` backend (select it with `setBackend("wasm")`).
 * Returns false, registering nothing, where WebAssembly SIMD is not supported.
 */
export async function initWasmBackend(): Promise<boolean> {
  if (!wasmSupported()) return false;
  const memory = new WebAssembly.Memory({ initial: 2 });
  const module = await WebAssembly.compile(kernelBytes());
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as WasmExports;
  registerBackend("wasm", wasmKernels(exports, new WasmArena(memory, exports.heapBase())));
  return true;
}
