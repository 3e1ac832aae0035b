import type { WasmExports } from "./kernels.js";
import { ConvlabError } from "../../errors.js";

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
  "bytesToUnit",
  "winogradConv2dForward",
  "winogradConv2dBackwardInput",
  "winogradConv2dBackwardWeight",
  "winogradConv2dReluMaxPool2dForward",
  "winogradConv2dReluMaxPool2dBackward",
  "sgemm",
  "sgemmNT",
] as const;
export type ThreadFunction = (typeof THREAD_FUNCTIONS)[number];

/**
 * One piece of a split kernel call: an export and its (pointer and size) arguments. The arguments in `perThread`
 * (a bit mask of their positions) point at thread 0's scratch; the thread that takes the job adds its index times
 * `threadStride` bytes to them, so that each thread works in a scratch of its own, warm in its cache from job to job.
 * `weight` is the job's share of the call's work (its images; 1 by default), by which the jobs are dealt out.
 */
export interface Job {
  fn: ThreadFunction;
  args: number[];
  perThread?: number;
  threadStride?: number;
  weight?: number;
}

// The control buffer, in Int32 cells. A call posts its jobs in a table, deals each thread a run of consecutive jobs
// (its block, by weight), and wakes the workers through their slots. Each thread then takes the jobs of its own block
// in order, and when it has none left, takes the others' from the far end of their blocks: a thread that runs slower
// (on this VM one virtual CPU often does) simply takes fewer. Dealt this way, a thread works on the same images from
// one kernel call to the next (conv1's pooled output is conv2's input, conv2's input gradient conv1's output
// gradient), which it still holds in its own cache. The jobs taken are bits of one cell, which also holds the call's
// tag in its high bits, so that a worker that wakes late can never take a job of another call.
const TAKEN = 0; // (tag << TAG_SHIFT) | a bit for each job taken, and for each of the MAX_JOBS that the call lacks
const COMPLETED = 1; // jobs finished, failed ones included
const FAILED = 2; // 1 + the index of a job that threw, or 0
const THREADS = 3; // threads, the caller included
const HEADER = 4;
const MAX_JOBS = 16;
const MAX_ARGS = 18;
const JOB_INTS = 3 + MAX_ARGS; // the function's index, perThread, threadStride, then the arguments
const TAG_SHIFT = MAX_JOBS;
const TAG_MASK = 0x7fff;
const STOP = -1;

/** The cell a worker is woken through. */
const slotOf = (worker: number) => HEADER + MAX_JOBS * JOB_INTS + worker;
/** The cell holding the first job of `thread`'s block; the block ends where the next thread's begins. */
const blockOf = (thread: number, workers: number) => slotOf(workers) + thread;

/** Bytes of the control buffer for `workers` kernel workers. */
export function controlBytes(workers: number): number {
  return (blockOf(workers + 1, workers) + 1) * 4;
}

/**
 * The job `thread` takes next, given the jobs `taken` (bits): the first of its own block not taken, else the last
 * not taken of the next thread's block that has one, looking from the thread after it onwards; -1 when all are.
 */
function nextJob(control: Int32Array, taken: number, thread: number): number {
  const threads = control[THREADS];
  const workers = threads - 1;
  const block = (t: number): [number, number] => [control[blockOf(t, workers)], control[blockOf(t + 1, workers)]];
  const [start, end] = block(thread);
  for (let i = start; i < end; i++) if (((taken >>> i) & 1) === 0) return i;
  for (let k = 1; k < threads; k++) {
    const [from, to] = block((thread + k) % threads);
    for (let i = to - 1; i >= from; i--) if (((taken >>> i) & 1) === 0) return i;
  }
  return -1;
}

/** Takes and runs jobs of the call tagged `tag` until none is left, as thread `thread` (the caller is 0). */
function takeJobs(control: Int32Array, tag: number, exports: WasmExports, thread: number): void {
  for (;;) {
    const word = Atomics.load(control, TAKEN);
    if (word >>> TAG_SHIFT !== tag) return;
    const index = nextJob(control, word, thread);
    if (index < 0) return;
    if (Atomics.compareExchange(control, TAKEN, word, word | (1 << index)) !== word) continue;
    const at = HEADER + index * JOB_INTS;
    try {
      const args = Array.from(control.subarray(at + 3, at + JOB_INTS));
      const perThread = control[at + 1];
      const offset = thread * control[at + 2];
      for (let i = 0; perThread >>> i !== 0; i++) if ((perThread >>> i) & 1) args[i] += offset;
      (exports[THREAD_FUNCTIONS[control[at]]] as (...a: number[]) => void)(...args);
    } catch {
      Atomics.store(control, FAILED, index + 1);
    }
    Atomics.add(control, COMPLETED, 1);
  }
}

/**
 * The first job of each thread's block, and the job count after them: consecutive jobs of near-equal weight per
 * thread (each block ends at the job boundary nearest its share of the total weight).
 */
export function dealBlocks(weights: readonly number[], threads: number): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const starts = [0];
  let index = 0;
  let before = 0;
  for (let t = 1; t < threads; t++) {
    const share = (t * total) / threads;
    while (index < weights.length && before + weights[index] / 2 < share) before += weights[index++];
    starts.push(index);
  }
  starts.push(weights.length);
  return starts;
}

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
 * The body of a kernel worker: instantiates the kernels over the shared memory, calls `ready`, and takes the jobs
 * of each call posted until told to stop. Runs inside the worker; the platform's entry script only calls it.
 * A job that throws (a trap) is reported to the caller as failed rather than ending the worker, so the caller,
 * which waits for every job to finish, is never left waiting.
 */
export function serveKernels(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const exports = instance.exports as unknown as WasmExports;
  exports.usePackBuffer(init.packBuffer);
  ready();
  const control = new Int32Array(init.control);
  const slot = slotOf(init.slot);
  let seen = 0;
  for (;;) {
    const sleepAt = performance.now() + SPIN_MS;
    for (let spin = 1; Atomics.load(control, slot) === seen; spin++) {
      // performance.now() costs more than a load: look at the clock every 1024 turns.
      if ((spin & 1023) === 0 && performance.now() > sleepAt) Atomics.wait(control, slot, seen);
    }
    seen = Atomics.load(control, slot);
    if (seen === STOP) return;
    takeJobs(control, seen & TAG_MASK, exports, init.slot + 1);
  }
}

/**
 * The calling thread plus `workers` kernel workers over one shared memory. `run` posts a call's jobs, takes its own
 * share of them, and returns when all are done: a fork-join per kernel call, with no allocation. Which thread runs
 * which job varies; each job writes only its own outputs, so the results do not.
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
    this.control[THREADS] = this.size;
  }

  /** Total threads, the caller included. */
  get size(): number {
    return this.workers + 1;
  }

  /** Most jobs one call may post. */
  static readonly maxJobs = MAX_JOBS;

  run(jobs: Job[]): void {
    if (jobs.length > MAX_JOBS)
      throw new ConvlabError("E_KERNEL_JOBS", `KernelThreads: ${jobs.length} jobs, more than ${MAX_JOBS}`);
    const control = this.control;
    // Sequence numbers stay positive and distinct from STOP; the tag is their low bits.
    this.sequence = (this.sequence % 0x3fffffff) + 1;
    const seq = this.sequence;
    const tag = seq & TAG_MASK;
    jobs.forEach(({ fn, args, perThread = 0, threadStride = 0 }, index) => {
      const at = HEADER + index * JOB_INTS;
      control[at] = THREAD_FUNCTIONS.indexOf(fn);
      control[at + 1] = perThread;
      control[at + 2] = threadStride;
      control.set(args, at + 3);
    });
    control.set(
      dealBlocks(
        jobs.map(({ weight = 1 }) => weight),
        this.size,
      ),
      blockOf(0, this.workers),
    );
    Atomics.store(control, COMPLETED, 0);
    Atomics.store(control, FAILED, 0);
    // The jobs past this call's count are marked taken: a thread still looking at the last call's word (all taken)
    // or at this one can never pick a job that is not in this call's table.
    const absent = ((1 << MAX_JOBS) - 1) & ~((1 << jobs.length) - 1);
    Atomics.store(control, TAKEN, (tag << TAG_SHIFT) | absent);
    for (let w = 0; w < this.workers; w++) {
      Atomics.store(control, slotOf(w), seq);
      Atomics.notify(control, slotOf(w));
    }
    takeJobs(control, tag, this.exports, 0);
    // Every job is taken; the last ones end about now, so spin rather than sleep.
    while (Atomics.load(control, COMPLETED) < jobs.length);
    const failed = Atomics.load(control, FAILED);
    if (failed !== 0)
      throw new ConvlabError(
        "E_KERNEL_THREAD",
        `a kernel thread failed running ${jobs[failed - 1].fn} (job ${failed - 1})`,
      );
  }

  /** Tells every worker to return. */
  stop(): void {
    for (let w = 0; w < this.workers; w++) {
      Atomics.store(this.control, slotOf(w), STOP);
      Atomics.notify(this.control, slotOf(w));
    }
  }
}

/** Splits [0, n) into at most `parts` contiguous ranges of near-equal size. */
export function splitRange(n: number, parts: number): [number, number][] {
  const count = Math.max(1, Math.min(parts, n));
  return Array.from({ length: count }, (_, i) => [Math.floor((i * n) / count), Math.floor(((i + 1) * n) / count)]);
}

/**
 * Units of work a guided range takes of those left: 1/8, as guided self-scheduling does for 4 threads (2 × 4), so
 * that the first ranges are large and the last ones small enough for up to 4 threads to end close together.
 */
const GUIDED_SHARE = 8;

/**
 * Cuts [0, n) into contiguous ranges of whole `unit`s (the last may be short), at most `maxRanges` of them: large
 * ranges first, then smaller ones (guided scheduling), so that threads taking the next range as they come free end
 * close together. The ranges depend on n, unit and maxRanges only, not on the number of threads: whatever is summed
 * range by range (a convolution's weight and bias gradients) comes out the same on 1 thread or 8.
 */
export function guidedRanges(n: number, unit: number, maxRanges: number): [number, number][] {
  const units = Math.ceil(n / unit);
  const ranges: [number, number][] = [];
  for (let done = 0; done < units;) {
    const left = units - done;
    const size = Math.max(Math.ceil(left / GUIDED_SHARE), Math.ceil(left / (maxRanges - ranges.length)));
    ranges.push([done * unit, Math.min(n, (done + size) * unit)]);
    done += size;
  }
  return ranges;
}
