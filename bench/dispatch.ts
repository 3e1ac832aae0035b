import { kernelThreads } from "../src/kernels/wasm/index.js";
import type { Job } from "../src/kernels/wasm/threads.js";
import { median } from "./stats.js";

export interface DispatchCost {
  /** Microseconds per fork-join of an empty job on every thread while the workers spin (kernels back to back). */
  spinningMicros: number;
  /** The same after a pause long enough for the workers to sleep in Atomics.wait (as after evaluation or I/O). */
  sleepingMicros: number;
}

/**
 * What a kernel call pays to run on every thread, without the kernel: an empty relu (n = 0) posted to each worker
 * and run on the calling one. Null on 1 thread. Node only (the pause sleeps the calling thread in Atomics.wait).
 */
export function dispatchCost(rounds = 200): DispatchCost | null {
  const threads = kernelThreads();
  if (threads === null) return null;
  const jobs: Job[] = Array.from({ length: threads.size }, () => ({ fn: "relu", args: [0, 0, 0] }));
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const time = () => {
    const start = performance.now();
    threads.run(jobs);
    return (performance.now() - start) * 1000;
  };
  for (let i = 0; i < 20; i++) time();
  const spinning = Array.from({ length: rounds }, time);
  const sleeping = Array.from({ length: Math.ceil(rounds / 10) }, () => {
    Atomics.wait(pause, 0, 0, 20);
    return time();
  });
  return { spinningMicros: round(median(spinning)), sleepingMicros: round(median(sleeping)) };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
