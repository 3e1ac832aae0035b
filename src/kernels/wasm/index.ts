import { useScopedMemory } from "../../tensor/scope.js";
import { registerBackend } from "../registry.js";
import {
  KERNELS_WASM_BASE64,
  KERNELS_WASM_RELAXED_BASE64,
  KERNELS_WASM_SHARED_BASE64,
  KERNELS_WASM_SHARED_RELAXED_BASE64,
  SHARED_MAXIMUM_PAGES,
} from "./binary.generated.js";
import { WASM_USES_REF, wasmKernels, type WasmExports } from "./kernels.js";
import { WasmArena } from "./memory.js";
import { KernelThreads, controlBytes, type WorkerInit } from "./threads.js";

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The two builds of the kernels (scripts/build-wasm.mjs): `simd`, with 128-bit SIMD, and `relaxed-simd`, the same
 * with the GEMM's multiply-add as relaxed SIMD's f32x4.relaxed_madd (a fused multiply-add where the CPU has one).
 */
export type WasmKernelModule = "simd" | "relaxed-simd";
export const WASM_KERNEL_MODULES: readonly WasmKernelModule[] = ["simd", "relaxed-simd"];

const BASE64: Record<WasmKernelModule, { single: string; shared: string }> = {
  simd: { single: KERNELS_WASM_BASE64, shared: KERNELS_WASM_SHARED_BASE64 },
  "relaxed-simd": { single: KERNELS_WASM_RELAXED_BASE64, shared: KERNELS_WASM_SHARED_RELAXED_BASE64 },
};
const singleBytes: Partial<Record<WasmKernelModule, Uint8Array<ArrayBuffer>>> = {};
const kernelBytes = (module: WasmKernelModule): Uint8Array<ArrayBuffer> =>
  (singleBytes[module] ??= decodeBase64(BASE64[module].single));
const sharedKernelBytes = (module: WasmKernelModule): Uint8Array<ArrayBuffer> => decodeBase64(BASE64[module].shared);

/**
 * Whether this engine can run the kernels: they use 128-bit SIMD, which WebAssembly.validate rejects where it is
 * missing (older browsers), in which case the `ref` backend is the fallback.
 */
export function wasmSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(kernelBytes("simd"));
}

/**
 * The build this engine runs best: `relaxed-simd` where WebAssembly.validate accepts it (Chromium, Deno 2, Node ≥ 22,
 * Node 20 with --experimental-wasm-relaxed-simd, which convlab/node sets: see enableRelaxedSimd), else `simd`.
 */
export function bestWasmKernelModule(): WasmKernelModule {
  return typeof WebAssembly === "object" && WebAssembly.validate(kernelBytes("relaxed-simd")) ? "relaxed-simd" : "simd";
}

let moduleInUse: WasmKernelModule | null = null;

/** The build the wasm backend runs now, or, before it has started, the one it would choose by default. */
export function wasmKernelModule(): WasmKernelModule {
  return moduleInUse ?? bestWasmKernelModule();
}

/** The build `asked` names (`simd` forces the plain one), else the best; relaxed-simd where missing is plain simd. */
function chooseModule(asked: WasmKernelModule | undefined): WasmKernelModule {
  return asked === "simd" ? "simd" : bestWasmKernelModule();
}

export interface WasmBackendOptions {
  /** Threads for the convolutions, the calling one included. Default 1. */
  threads?: number;
  /**
   * Starts one worker that calls `serveKernels(init, ready)` (worker_threads in Node, a Web Worker in a browser),
   * resolving once it is ready and rejecting if it fails to start.
   */
  spawnWorker?: (init: WorkerInit) => Promise<void>;
  /**
   * Told when workers could not start and the kernels run on the calling thread alone, and, once per kernel, when a
   * kernel missing from the wasm backend (other than those in WASM_USES_REF) falls back to `ref`.
   */
  notice?: (line: string) => void;
  /**
   * The kernel build to run: by default the best the engine validates (see {@link bestWasmKernelModule}); `simd`
   * forces the plain one, for comparisons. `relaxed-simd` where the engine lacks it runs `simd`.
   */
  module?: WasmKernelModule;
}

let running: KernelThreads | null = null;
let arenaInUse: WasmArena | null = null;

/** Threads the wasm kernels run on now, the calling one included. */
export function wasmThreads(): number {
  return running?.size ?? 1;
}

/** The running kernel workers with the calling thread, or null on 1 thread (for the bench's dispatch cost). */
export function kernelThreads(): KernelThreads | null {
  return running;
}

/** The kernels instantiated over a new shared memory, with a pack buffer placed for each of `workers` + 1 threads. */
function instantiateShared(module: WebAssembly.Module, workers: number) {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: SHARED_MAXIMUM_PAGES, shared: true });
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
  const [packBuffers, buffersEnd] = placePackBuffers(exports, memory, workers);
  const control = new SharedArrayBuffer(controlBytes(workers));
  const inits = Array.from({ length: workers }, (_, slot): WorkerInit => ({
    module,
    memory,
    control,
    slot,
    packBuffer: packBuffers[slot + 1],
  }));
  return { exports, memory, buffersEnd, control, inits };
}

/** The kernels over a private (unshared) memory, on the calling thread: where SharedArrayBuffer is missing. */
function instantiatePrivate(module: WebAssembly.Module, notice: WasmBackendOptions["notice"]): void {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
  register(exports, new WasmArena(memory, placePackBuffers(exports, memory, 0)[1]), null, notice);
}

/** Kernel workers to start for `options`: none without a way to spawn them, or for a thread count that is not a number. */
const workersFor = (options: WasmBackendOptions) =>
  options.spawnWorker ? Math.max(0, Math.floor(options.threads ?? 1) - 1) || 0 : 0;

/**
 * Compiles the SIMD kernels and registers them as the `wasm` backend (select it with `setBackend("wasm")`).
 * With `threads` > 1 and a way to spawn workers, the convolutions run on that many threads over a shared memory;
 * this waits until every worker is ready, and falls back to 1 thread, with a notice, if one fails to start.
 * Returns false, registering nothing, where WebAssembly SIMD is not supported.
 */
export async function initWasmBackend(options: WasmBackendOptions = {}): Promise<boolean> {
  if (!wasmSupported()) return false;
  running?.stop();
  running = null;
  const module = (moduleInUse = chooseModule(options.module));
  // A shared memory whenever the platform has one, even on 1 thread: only a shared memory can lend tidy() scopes
  // views that survive its growth (see WasmArena).
  if (typeof SharedArrayBuffer !== "function") {
    instantiatePrivate(await WebAssembly.compile(kernelBytes(module)), options.notice);
    return true;
  }
  const workers = workersFor(options);
  const shared = instantiateShared(await WebAssembly.compile(sharedKernelBytes(module)), workers);
  if (workers <= 0) {
    register(shared.exports, new WasmArena(shared.memory, shared.buffersEnd), null, options.notice);
    return true;
  }
  try {
    await Promise.all(shared.inits.map((init) => options.spawnWorker!(init)));
  } catch (error) {
    options.notice?.(`convlab: kernel worker threads did not start (${(error as Error).message}); using 1 thread`);
    new KernelThreads(shared.exports, shared.control, workers).stop();
    return initWasmBackend({ ...options, threads: 1 });
  }
  running = new KernelThreads(shared.exports, shared.control, workers);
  register(shared.exports, new WasmArena(shared.memory, shared.buffersEnd), running, options.notice);
  return true;
}

/**
 * The same as {@link initWasmBackend}, but synchronous, for a backend chosen on an op's first call: the module is
 * compiled on the calling thread (a few tens of kilobytes), and the workers are started without waiting for them.
 * That is safe because the caller takes whatever jobs are left, its own block's and then the others': a worker that
 * is not running yet simply takes none, and joins in once it is. A worker that fails to start never joins; the
 * notice says so.
 */
export function initWasmBackendSync(options: WasmBackendOptions = {}): boolean {
  if (!wasmSupported()) return false;
  running?.stop();
  running = null;
  const module = (moduleInUse = chooseModule(options.module));
  if (typeof SharedArrayBuffer !== "function") {
    instantiatePrivate(new WebAssembly.Module(kernelBytes(module)), options.notice);
    return true;
  }
  const workers = workersFor(options);
  const shared = instantiateShared(new WebAssembly.Module(sharedKernelBytes(module)), workers);
  let told = false;
  for (const init of shared.inits) {
    options.spawnWorker!(init).catch((error: Error) => {
      if (!told) options.notice?.(`convlab: a kernel worker thread did not start (${error.message})`);
      told = true;
    });
  }
  running = workers > 0 ? new KernelThreads(shared.exports, shared.control, workers) : null;
  register(shared.exports, new WasmArena(shared.memory, shared.buffersEnd), running, options.notice);
  return true;
}

/**
 * Places each thread's GEMM pack buffer above the module's static data, the calling thread's (buffers[0]) first, and
 * hands it its own. Returns the buffers' addresses and where they end: the arena starts there.
 */
function placePackBuffers(exports: WasmExports, memory: WebAssembly.Memory, workers: number): [number[], number] {
  const bufferBytes = (exports.PACK_BUFFER_BYTES.value as number) + 16;
  const first = (exports.heapBase() + 15) & ~15;
  const buffers = Array.from({ length: workers + 1 }, (_, i) => first + i * bufferBytes);
  const end = first + (workers + 1) * bufferBytes;
  if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  exports.usePackBuffer(buffers[0]);
  return [buffers, end];
}

function register(
  exports: WasmExports,
  arena: WasmArena,
  threads: KernelThreads | null,
  notice: WasmBackendOptions["notice"],
): void {
  registerBackend("wasm", wasmKernels(exports, arena, threads), { usesRef: WASM_USES_REF, notice });
  useScopedMemory(arena);
  arenaInUse = arena;
}

/** Bytes of WebAssembly memory the kernels hold now (it grows to the largest tidy() step and call, never shrinks). */
export function wasmMemoryBytes(): number {
  return arenaInUse?.memory.buffer.byteLength ?? 0;
}
