import { ConvlabError } from "../errors.js";
import { setBackend, type BackendName } from "./registry.js";
import { initWasmBackendSync, type WasmBackendOptions } from "./wasm/index.js";

/**
 * What a platform entry point (`convlab/node`, `convlab/browser`) tells the default backend when it loads: the
 * backend and threads its environment asks for, how to start a kernel worker there, and where notices go.
 */
export interface BackendPlatform extends WasmBackendOptions {
  /** The backend asked for, e.g. by $CONVLAB_BACKEND; default `wasm`. */
  backend?: string;
  /** Where it was asked for, for the error when the name is unknown. */
  source?: string;
}

let platform: BackendPlatform | null = null;

/** Registers the platform's defaults; the last entry point loaded wins. Nothing starts until an op first runs. */
export function setBackendPlatform(defaults: BackendPlatform): void {
  platform = defaults;
}

/**
 * The backend a name asks for: `ref` or `wasm`, and `wasm` when empty or not given. Any other name is a
 * {@link ConvlabError} `E_BACKEND_UNKNOWN` naming where it came from (`source`: "$CONVLAB_BACKEND", "--backend", …),
 * so the message points at what to change.
 */
export function parseBackendName(name: string | undefined, source: string): BackendName {
  if (name === undefined || name === "") return "wasm";
  if (name === "ref" || name === "wasm") return name;
  throw new ConvlabError("E_BACKEND_UNKNOWN", `unknown backend '${name}' (from ${source}); use ref or wasm`);
}

/**
 * Chooses the backend for a program that never called `useBackend`/`setBackend`, on the first op it runs: the
 * fastest that works, `wasm` (with a worker per core where the platform can start them) or else `ref`, so a learner
 * who forgets the call does not train 35× slower without a word. Where WebAssembly SIMD is missing it says so in
 * one line, and where no platform entry point was loaded (only the root `convlab`), it says in one line how to use
 * every core.
 */
export function startDefaultBackend(): BackendName {
  const options = platform ?? {};
  const notice = options.notice ?? ((line: string) => console.warn(line));
  const name = parseBackendName(options.backend, options.source ?? "the platform");
  if (name === "wasm" && initWasmBackendSync({ ...options, notice })) {
    setBackend("wasm");
    if (platform === null) {
      notice(
        'convlab: the wasm kernels run on 1 thread; import "convlab/node" (or "convlab/browser") ' +
          "and call useBackend() to use every core",
      );
    }
    return "wasm";
  }
  if (name === "wasm") notice("convlab: WebAssembly SIMD is not available here; using the ref backend (slower)");
  setBackend("ref");
  return "ref";
}
