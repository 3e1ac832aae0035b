/**
 * The errors of the tensor, op and autograd layers are ConvlabErrors with stable codes (src/errors.ts), so programs
 * and tests match the code rather than the message. One representative call per code.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Tensor,
  add,
  conv2d,
  crossEntropy,
  flatten,
  manualSeed,
  matmul,
  max,
  maxPool2d,
  reshape,
  select,
  tensor,
  tidy,
  zeros,
} from "../src/index.js";
import { ConvlabError } from "../src/errors.js";

const cases: [code: string, call: () => unknown][] = [
  ["E_TENSOR_SIZE", () => new Tensor(new Float32Array(3), [2, 2])],
  ["E_TENSOR_SHAPE", () => new Tensor(new Float32Array(0), [0, -1])],
  ["E_TENSOR_RAGGED", () => tensor([[1, 2], [3]])],
  ["E_TENSOR_NOT_SCALAR", () => zeros([2]).item()],
  ["E_DIM_RANGE", () => zeros([2, 3]).size(2)],
  ["E_DIM_RANGE", () => flatten(zeros([2, 3]), 3)],
  ["E_DTYPE", () => new Tensor(new Int32Array(2), [2], true)],
  ["E_DTYPE", () => matmul(new Tensor(new Int32Array(4), [2, 2]), zeros([2, 2]))],
  ["E_SHAPE_BROADCAST", () => add(zeros([2, 3]), zeros([4]))],
  ["E_SHAPE_MISMATCH", () => matmul(zeros([2, 3]), zeros([2, 3]))],
  ["E_SHAPE_MISMATCH", () => conv2d(zeros([1, 2, 5, 5]), zeros([3, 1, 3, 3]))],
  ["E_SHAPE_INVALID", () => reshape(zeros([2, 3]), [4, -1])],
  ["E_SHAPE_EMPTY", () => max(zeros([2, 0]), 1)],
  ["E_INDEX_RANGE", () => select(zeros([2, 3]), 1, 3)],
  ["E_WINDOW", () => maxPool2d(zeros([1, 1, 2, 2]), 3)],
  ["E_TARGET", () => crossEntropy(zeros([2, 3]), [0])],
  ["E_TARGET_RANGE", () => crossEntropy(zeros([2, 3]), [0, 3])],
  ["E_BACKWARD_NO_GRAD", () => zeros([1]).backward()],
  ["E_BACKWARD_GRADIENT", () => add(new Tensor(new Float32Array(2), [2], true), 1).backward()],
  ["E_TIDY_ASYNC", () => tidy(async () => 1)],
  ["E_GENERATOR_SEED", () => manualSeed(-1)],
];

test("each error of the tensor, op and autograd layers is a ConvlabError with its code", () => {
  for (const [code, call] of cases) {
    assert.throws(call, (e: unknown) => e instanceof ConvlabError && e.code === code, `${code}: ${String(call)}`);
  }
});
