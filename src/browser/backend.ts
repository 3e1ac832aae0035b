import { setBackendPlatform } from "../kernels/default-backend.js";
import { setBackend, type BackendName } from "../kernels/registry.js";
import { initWasmBackend } from "../kernels/wasm/index.js";
import type { WorkerInit } from "../kernels/wasm/threads.js";

export interface BrowserBackendOptions {
  /** Threads for the kernels, the page's own included. Default: `navigator.hardwareConcurrency`. */
  threads?: number;
  /** Where one-line notices go (a fallback to fewer threads or to `ref`). Default: console.warn. */
  notice?: (line: string) => void;
}

/** Starts one kernel worker as a module Web Worker, resolving once it is ready. */
function spawnWebWorker(init: WorkerInit): Promise<void> {
  const worker = new Worker(new URL("./kernel-worker.js", import.meta.url), { type: "module" });
  return new Promise((resolve, reject) => {
    worker.addEventListener("message", () => resolve(), { once: true });
    worker.addEventListener(
      "error",
      (event) => reject(new Error(event.message || "the kernel worker failed to load")),
      {
        once: true,
      },
    );
    worker.postMessage(init);
  });
}

// A page that loads convlab/browser and never calls useBrowserBackend gets the wasm kernels on its first op, on
// every core where the page is cross-origin isolated (elsewhere there is no shared memory, hence 1 thread).
setBackendPlatform({
  threads: globalThis.crossOriginIsolated ? (navigator.hardwareConcurrency ?? 1) : 1,
  spawnWorker: spawnWebWorker,
  notice: (line) => console.warn(line),
});

/**
 * Selects the `wasm` backend in a browser page, with its kernels on `threads` Web Workers over one shared
 * WebAssembly.Memory: the same kernels and worker body (serveKernels) as Node's worker_threads.
 *
 * Threads need a cross-origin isolated page (served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`), the only kind where SharedArrayBuffer exists. Elsewhere the kernels
 * run on the page's thread, with a notice; where WebAssembly SIMD is missing, the `ref` backend runs instead.
 * Returns the backend in use.
 */
export async function useBrowserBackend(options: BrowserBackendOptions = {}): Promise<BackendName> {
  const notice = options.notice ?? ((line: string) => console.warn(line));
  const threads = options.threads ?? navigator.hardwareConcurrency ?? 1;
  if (threads > 1 && !globalThis.crossOriginIsolated) {
    notice("convlab: this page is not cross-origin isolated (COOP/COEP headers), so the kernels run on 1 thread");
  }
  if (await initWasmBackend({ threads, spawnWorker: spawnWebWorker, notice })) {
    setBackend("wasm");
    return "wasm";
  }
  notice("convlab: WebAssembly SIMD is not available here; using the ref backend (slower)");
  setBackend("ref");
  return "ref";
}
