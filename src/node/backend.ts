import { availableParallelism } from "node:os";
import { ConvlabError } from "../errors.js";
import { parseBackendName, setBackendPlatform } from "../kernels/default-backend.js";
import { setBackend, type BackendName } from "../kernels/registry.js";
import { WASM_KERNEL_MODULES, initWasmBackend, type WasmKernelModule } from "../kernels/wasm/index.js";
import type { WorkerInit } from "../kernels/wasm/threads.js";
import { enableRelaxedSimd } from "./relaxed-simd.js";
import { startWorker } from "./spawn.js";

/** Environment variable naming the backend when no flag does: `ref` or `wasm`. */
export const BACKEND_ENV = "CONVLAB_BACKEND";

/** Environment variable for the number of threads when no flag gives it. */
export const THREADS_ENV = "CONVLAB_THREADS";

/**
 * Environment variable choosing the wasm kernel build: `simd` forces the plain one (to compare it with the relaxed
 * one); unset, the best the engine validates, which in Node is relaxed-simd (see enableRelaxedSimd).
 */
export const WASM_MODULE_ENV = "CONVLAB_WASM_MODULE";

/** $CONVLAB_WASM_MODULE: a build's name, or undefined when unset or empty. */
export function wasmModuleFromEnv(): WasmKernelModule | undefined {
  const name = process.env[WASM_MODULE_ENV];
  if (name === undefined || name === "") return undefined;
  if ((WASM_KERNEL_MODULES as readonly string[]).includes(name)) return name as WasmKernelModule;
  throw new ConvlabError(
    "E_WASM_MODULE_UNKNOWN",
    `unknown wasm kernel module '${name}' (from ${WASM_MODULE_ENV}); use ${WASM_KERNEL_MODULES.join(" or ")}`,
  );
}

/**
 * The kernel build to ask the wasm backend for: $CONVLAB_WASM_MODULE's, else the best, with relaxed SIMD turned on
 * first where Node keeps it behind a flag (enableRelaxedSimd). `simd` leaves the engine's flags as they are.
 */
function wasmModule(): WasmKernelModule | undefined {
  const module = wasmModuleFromEnv();
  if (module !== "simd") enableRelaxedSimd();
  return module;
}

/** Where notices go in Node: one line on stderr, so stdout stays the program's own output. */
const stderrNotice = (line: string) => process.stderr.write(`${line}\n`);

/** $CONVLAB_THREADS, else one thread per core. */
export function defaultThreads(): number {
  return Number(process.env[THREADS_ENV] || availableParallelism());
}

/**
 * At most one thread per core: a kernel thread spins a while between jobs, and each one is a worker with a V8 heap
 * of its own, so threads past the cores only slow training down and cost memory (999 of them reached 7 GB before
 * the first step). More than the cores is capped at the cores, with a one-line notice.
 */
export function capThreads(
  threads: number,
  notice: (line: string) => void = stderrNotice,
  cores: number = availableParallelism(),
): number {
  if (!(threads > cores)) return threads;
  notice(
    `convlab: ${threads} threads asked for (--threads or ${THREADS_ENV}), but this machine has ${cores} ` +
      `core${cores === 1 ? "" : "s"}; using ${cores}`,
  );
  return cores;
}

/** Starts a worker_threads kernel worker, resolving when it is ready. Workers never keep the process alive. */
function spawnWorker(init: WorkerInit): Promise<void> {
  const worker = startWorker("kernel-worker", init);
  worker.unref();
  return new Promise((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the worker exited with code ${code}`)));
  });
}

// A program that loads convlab/node and never calls useBackend gets what useBackend() would choose, on its first op.
// `threads` is a getter, read when that op starts the backend: the notice of a capped $CONVLAB_THREADS is only
// said to a program that uses the default backend.
setBackendPlatform({
  backend: process.env[BACKEND_ENV],
  source: BACKEND_ENV,
  get threads() {
    return capThreads(defaultThreads());
  },
  spawnWorker,
  notice: stderrNotice,
  get module() {
    return wasmModule();
  },
});

/**
 * Selects the compute backend for this process: the flag, else $CONVLAB_BACKEND, else `wasm`. Where WebAssembly
 * SIMD is missing, `wasm` falls back to `ref` with a one-line notice. `threads` is how many threads the wasm kernels
 * use: by default $CONVLAB_THREADS, else every core, at most one per core (see capThreads; the CLI caps its
 * --threads too). A number passed here is used as it is, so that a program can test a split over more threads than
 * its machine has cores. Returns the backend in use.
 */
export async function useBackend(
  requested?: string,
  notice: (line: string) => void = stderrNotice,
  threads?: number,
): Promise<BackendName> {
  // A name not given falls back to $CONVLAB_BACKEND, and an unknown one is blamed on where it came from.
  const source = requested === undefined ? BACKEND_ENV : "--backend";
  const name = parseBackendName(requested ?? process.env[BACKEND_ENV], source);
  const count = threads ?? defaultThreads();
  if (!Number.isInteger(count) || count < 1) {
    throw new ConvlabError(
      "E_THREADS",
      `threads must be a whole number of at least 1, got ${count} (--threads or ${THREADS_ENV})`,
    );
  }
  // $CONVLAB_THREADS and the default are capped at the cores (said only where wasm runs); a number passed in is kept.
  if (
    name === "wasm" &&
    !(await initWasmBackend({
      threads: threads ?? capThreads(count, notice),
      spawnWorker,
      notice,
      module: wasmModule(),
    }))
  ) {
    notice("convlab: WebAssembly SIMD is not available here; using the ref backend (slower)");
    setBackend("ref");
    return "ref";
  }
  setBackend(name);
  return name;
}
