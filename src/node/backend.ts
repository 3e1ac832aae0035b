import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { setBackendPlatform } from "../kernels/default-backend.js";
import { setBackend, type BackendName } from "../kernels/registry.js";
import { initWasmBackend } from "../kernels/wasm/index.js";
import type { WorkerInit } from "../kernels/wasm/threads.js";

/** Environment variable naming the backend when no flag does: `ref` or `wasm`. */
export const BACKEND_ENV = "CONVLAB_BACKEND";

/** Environment variable for the number of threads when no flag gives it. */
export const THREADS_ENV = "CONVLAB_THREADS";

/** $CONVLAB_THREADS, else one thread per core. */
export function defaultThreads(): number {
  return Number(process.env[THREADS_ENV] || availableParallelism());
}

/** Starts a worker_threads kernel worker, resolving when it is ready. Workers never keep the process alive. */
function spawnWorker(init: WorkerInit): Promise<void> {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(`./kernel-worker.${fromSource ? "ts" : "js"}`, import.meta.url);
  // Run from TypeScript sources (the tests, through tsx), the worker registers tsx's loader before loading its
  // entry; Node 20 does not apply the parent's --import hooks to a worker's entry module.
  const worker = fromSource
    ? new Worker(
        `(async () => { (await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})).register();` +
          ` await import(${JSON.stringify(entry.href)}); })();`,
        { eval: true, workerData: init },
      )
    : new Worker(entry, { workerData: init });
  worker.unref();
  return new Promise((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the worker exited with code ${code}`)));
  });
}

/** Where notices go in Node: one line on stderr, so stdout stays the program's own output. */
const stderrNotice = (line: string) => process.stderr.write(`${line}\n`);

// A program that loads convlab/node and never calls useBackend gets what useBackend() would choose, on its first op.
setBackendPlatform({
  backend: process.env[BACKEND_ENV],
  source: BACKEND_ENV,
  threads: defaultThreads(),
  spawnWorker,
  notice: stderrNotice,
});

/**
 * Selects the compute backend for this process: the flag, else $CONVLAB_BACKEND, else `wasm`. Where WebAssembly
 * SIMD is missing, `wasm` falls back to `ref` with a one-line notice. `threads` (default: $CONVLAB_THREADS, else
 * every core) is how many threads the wasm kernels use. Returns the backend in use.
 */
export async function useBackend(
  requested: string | undefined = process.env[BACKEND_ENV],
  notice: (line: string) => void = stderrNotice,
  threads: number = defaultThreads(),
): Promise<BackendName> {
  const name = requested === undefined || requested === "" ? "wasm" : requested;
  if (name !== "ref" && name !== "wasm") {
    throw new Error(
      `unknown backend '${name}' (from ${requested === undefined ? BACKEND_ENV : "--backend"}); use ref or wasm`,
    );
  }
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`threads must be a whole number of at least 1, got ${threads} (--threads or ${THREADS_ENV})`);
  }
  if (name === "wasm" && !(await initWasmBackend({ threads, spawnWorker, notice }))) {
    notice("convlab: WebAssembly SIMD is not available here; using the ref backend (slower)");
    setBackend("ref");
    return "ref";
  }
  setBackend(name);
  return name;
}
