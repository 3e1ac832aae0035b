import { setBackend, type BackendName } from "../kernels/registry.js";
import { initWasmBackend } from "../kernels/wasm/index.js";

/** Environment variable naming the backend when no flag does: `ref` or `wasm`. */
export const BACKEND_ENV = "CONVLAB_BACKEND";

/**
 * Selects the compute backend for this process: the flag, else $CONVLAB_BACKEND, else `wasm`. Where WebAssembly
 * SIMD is missing, `wasm` falls back to `ref` with a one-line notice. Returns the backend in use.
 */
export async function useBackend(
  requested: string | undefined = process.env[BACKEND_ENV],
  notice: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<BackendName> {
  const name = requested === undefined || requested === "" ? "wasm" : requested;
  if (name !== "ref" && name !== "wasm") {
    throw new Error(
      `unknown backend '${name}' (from ${requested === undefined ? BACKEND_ENV : "--backend"}); use ref or wasm`,
    );
  }
  if (name === "wasm" && !(await initWasmBackend())) {
    notice("convlab: WebAssembly SIMD is not available here; using the ref backend (slower)");
    setBackend("ref");
    return "ref";
  }
  setBackend(name);
  return name;
}
