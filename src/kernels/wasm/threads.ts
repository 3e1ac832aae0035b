import type { WasmExports } from "./kernels.js";

/** The kernel entry points a worker can run; a job names one by its index here. */
export const THREAD_FUNCTIONS = [
  "conv2dForward",
  "conv2dBackwardInput",
  "conv2dBackwardWeight",
  "conv2dBackwardBias",
  "conv2dReluMaxPool2dForward",
  "conv2dReluMaxPool2dBackward",
  "maxPool2dForward",
  "maxPool2dBackward",
  "relu",
  "reluBackward",
] as const;
export type ThreadFunction = (typeof THREAD_FUNCTIONS)[number];

/** One piece of a split kernel call: an export and its (pointer and size) arguments. */
export interface Job {
  fn: ThreadFunction;
  args: number[];
}

// Each worker owns a slot of Int32 cells in the control buffer: the sequence number of the job posted, of the job
// done, which function, and up to MAX_ARGS arguments.
const SEQ = 0;
const DONE = 1;
const FN = 2;
const ARGS = 3;
const MAX_ARGS = 18;
export const SLOT_INTS = ARGS + MAX_ARGS;
const STOP = -1;
/**
 * Milliseconds a worker spins on its slot after a job before it sleeps in Atomics.wait. Measured by `convlab bench`
 * on the 2-core development machine (a VM), a dispatch costs about 2 µs to a spinning worker and about 500 µs to a
 * sleeping one, whose virtual CPU must be woken. A training step leaves gaps of up to about a millisecond between its
 * kernels (the loss, the optimizer, the next batch), so the worker spins through them; after a longer pause
 * (evaluation, I/O) it sleeps and burns nothing.
 */
const SPIN_MS = 3;

/** What a platform (Node's worker_threads, a browser's Web Workers) is handed to start one kernel worker. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slot: number;
  /** Address of the worker's own GEMM pack buffer in the shared memory. */
  packBuffer: number;
}

/**
 * The body of a kernel worker: instantiates the kernels over the shared memory, calls `ready`, and serves the jobs
 * posted to its slot until told to stop. Runs inside the worker; the platform's entry script only calls it.
 * A job that throws (a trap) is reported to the caller as a failed job rather than ending the worker, so the
 * caller, which spins on the slot, is never left waiting.
 */
export function serveKernels(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const exports = instance.exports as unknown as WasmExports;
  exports.usePackBuffer(init.packBuffer);
  ready();
  const control = new Int32Array(init.control);
  const base = init.slot * SLOT_INTS;
  let seen = 0;
  for (;;) {
    const sleepAt = performance.now() + SPIN_MS;
    for (let spin = 1; Atomics.load(control, base + SEQ) === seen; spin++) {
      // performance.now() costs more than a load: look at the clock every 1024 turns.
      if ((spin & 1023) === 0 && performance.now() > sleepAt) Atomics.wait(control, base + SEQ, seen);
    }
    seen = Atomics.load(control, base + SEQ);
    if (seen === STOP) return;
    const fn = THREAD_FUNCTIONS[control[base + FN]];
    const args = Array.from(control.subarray(base + ARGS, base + ARGS + MAX_ARGS));
    try {
      (exports[fn] as (...a: number[]) => void)(...args);
      Atomics.store(control, base + DONE, seen);
    } catch {
      Atomics.store(control, base + DONE, -seen);
    }
  }
}

/**
 * The calling thread plus `workers` kernel workers over one shared memory. `run` gives job 0 to the caller and
 * each other job to a worker, and returns when all are done: a fork-join per kernel call, with no allocation.
 */
export class KernelThreads {
  private readonly control: Int32Array;
  private sequence = 0;

  constructor(
    private readonly exports: WasmExports,
    control: SharedArrayBuffer,
    readonly workers: number,
  ) {
    this.control = new Int32Array(control);
  }

  /** Total threads, the caller included. */
  get size(): number {
    return this.workers + 1;
  }

  run(jobs: Job[]): void {
    if (jobs.length - 1 > this.workers) throw new Error(`KernelThreads: ${jobs.length} jobs for ${this.size} threads`);
    const seq = ++this.sequence;
    for (let w = 0; w < jobs.length - 1; w++) {
      const { fn, args } = jobs[w + 1];
      const base = w * SLOT_INTS;
      this.control[base + FN] = THREAD_FUNCTIONS.indexOf(fn);
      this.control.set(args, base + ARGS);
      Atomics.store(this.control, base + SEQ, seq);
      Atomics.notify(this.control, base + SEQ);
    }
    const { fn, args } = jobs[0];
    (this.exports[fn] as (...a: number[]) => void)(...args);
    // The caller's share is done; the workers' shares end at about the same time, so spin rather than sleep.
    for (let w = 0; w < jobs.length - 1; w++) {
      let done: number;
      do done = Atomics.load(this.control, w * SLOT_INTS + DONE);
      while (done !== seq && done !== -seq);
      if (done === -seq) throw new Error(`kernel worker ${w} failed running ${jobs[w + 1].fn}`);
    }
  }

  /** Tells every worker to return. */
  stop(): void {
    for (let w = 0; w < this.workers; w++) {
      Atomics.store(this.control, w * SLOT_INTS + SEQ, STOP);
      Atomics.notify(this.control, w * SLOT_INTS + SEQ);
    }
  }
}

/** Splits [0, n) into at most `parts` contiguous ranges of near-equal size. */
export function splitRange(n: number, parts: number): [number, number][] {
  const count = Math.max(1, Math.min(parts, n));
  return Array.from({ length: count }, (_, i) => [Math.floor((i * n) / count), Math.floor(((i + 1) * n) / count)]);
}
