import assert from "node:assert/strict";
import { test } from "node:test";
import type { WasmExports } from "../src/kernels/wasm/kernels.js";
import { KernelThreads, controlBytes, dealBlocks, guidedRanges } from "../src/kernels/wasm/threads.js";

test("guidedRanges: whole units, contiguous and covering, large ranges first, at most the ranges allowed", () => {
  for (const [n, unit] of [
    [64, 1],
    [64, 3],
    [64, 8],
    [100, 3],
    [10, 3],
    [7, 8],
    [1, 1],
  ]) {
    const ranges = guidedRanges(n, unit, 16);
    const label = `n ${n}, unit ${unit}`;
    assert.ok(ranges.length >= 1 && ranges.length <= 16, label);
    assert.equal(ranges[0][0], 0, label);
    assert.equal(ranges.at(-1)![1], n, label);
    ranges.forEach(([start, end], i) => {
      assert.ok(end > start, label);
      if (i > 0) assert.equal(start, ranges[i - 1][1], label);
      if (end < n) assert.equal((end - start) % unit, 0, `${label}: range ${i} is whole units`);
      if (i > 0 && end < n) assert.ok(end - start <= ranges[i - 1][1] - ranges[i - 1][0], `${label}: range ${i}`);
    });
  }
  // The tutorial's batch, one image a unit (conv1): 16 ranges, 8 images first and 2 at the end.
  assert.deepEqual(
    guidedRanges(64, 1, 16).map(([start, end]) => end - start),
    [8, 7, 7, 6, 5, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2],
  );
  // Fewer units than ranges allowed: one range a unit.
  assert.deepEqual(guidedRanges(10, 3, 16), [
    [0, 3],
    [3, 6],
    [6, 9],
    [9, 10],
  ]);
});

test("dealBlocks: consecutive jobs per thread, cut at the job boundary nearest each thread's share of the weight", () => {
  // Guided ranges of 64 images, 3 a unit (uneven sizes): 30 images to thread 0, 34 to thread 1.
  const ranges = guidedRanges(64, 3, 16).map(([start, end]) => end - start);
  assert.deepEqual(dealBlocks(ranges, 2), [0, 4, ranges.length]);
  assert.deepEqual(
    [ranges.slice(0, 4), ranges.slice(4)].map((block) => block.reduce((a, b) => a + b)),
    [30, 34],
  );
  assert.deepEqual(dealBlocks([1, 1, 1, 1], 2), [0, 2, 4]);
  assert.deepEqual(dealBlocks([1, 1, 1, 1], 4), [0, 1, 2, 3, 4]);
  assert.deepEqual(dealBlocks([10, 1, 1], 2), [0, 1, 3]);
  // More threads than jobs: the extra threads get empty blocks.
  assert.deepEqual(dealBlocks([5, 5], 4), [0, 0, 1, 1, 2]);
  assert.deepEqual(dealBlocks([7], 1), [0, 1]);
});

test("a thread runs its own block in order, then takes the others' jobs from the far end of their blocks", () => {
  // One worker that never starts: the caller takes every job, its own block first, then the worker's from its end.
  const order: number[] = [];
  const exports = { conv2dForward: (job: number) => order.push(job) } as unknown as WasmExports;
  const threads = new KernelThreads(exports, new SharedArrayBuffer(controlBytes(1)), 1);
  const weights = [3, 3, 2, 2, 1, 1];
  threads.run(weights.map((weight, job) => ({ fn: "conv2dForward", args: [job], weight })));
  assert.deepEqual(order, [0, 1, 5, 4, 3, 2]);
  // The next call, with fewer jobs, runs each once: the jobs the last call had past them are not taken again.
  order.length = 0;
  threads.run([0, 1].map((job) => ({ fn: "conv2dForward", args: [job] })));
  assert.deepEqual(order, [0, 1]);
});
