import assert from "node:assert/strict";
import { test } from "node:test";
import { guidedRanges } from "../src/kernels/wasm/threads.js";

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
