import {
  add,
  argmax,
  conv2d,
  conv2dReluMaxPool2d,
  crossEntropy,
  eq,
  flatten,
  linear,
  logSoftmax,
  matmul,
  max,
  maxPool2d,
  mean,
  mul,
  nllLoss,
  relu,
  reshape,
  select,
  softmax,
  squeeze,
  sub,
  sum,
  unsqueeze,
  type Tensor,
} from "../../src/index.js";
import type { OpName } from "../../src/ops/table.js";

/**
 * Makes one input of a case: a tensor of `shape` with values uniform in [low, high) (default [−1, 1)), from the
 * suite's seeded generator and in the suite's dtype (float64 for the gradient check, float32 across backends).
 * Random values are distinct, so a maximum never ties where central differences look.
 */
export type MakeInput = (shape: number[], low?: number, high?: number) => Tensor;

/** One call of an op: its inputs, made by the suite, and the call. Integer arguments (targets) live in `run`. */
export interface OpCase {
  name: string;
  inputs: (make: MakeInput) => Tensor[];
  run: (...inputs: Tensor[]) => Tensor;
  /** Run under noGrad, as in evaluation: values only, through the backend's inference kernels; no gradient. */
  inference?: true;
}

/** Moves values within 1e-3 of 0 to 0.5, where relu′ is not defined (and central differences would straddle it). */
function awayFromZero(t: Tensor): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) < 1e-3) d[i] = 0.5;
  return t;
}

/** Rounds to the integers −1, 0, 1, so that eq finds equal values. */
function rounded(t: Tensor): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.round(d[i]);
  return t;
}

const target = [1, 0, 4, 2];

/**
 * The cases of every op of src/ops/table.ts, keyed by op name, so an op without cases is a compile error (and
 * test/ops-table.test.ts fails at run time). test/gradcheck.test.ts checks each differentiable op's cases in
 * float64 against central differences; test/backends.test.ts runs every case on each backend in float32 and
 * compares the values and gradients with `ref`'s.
 */
export const OP_CASES: Record<OpName, OpCase[]> = {
  conv2d: [
    {
      name: "stride 1, no padding, with bias",
      inputs: (make) => [make([2, 2, 5, 5]), make([3, 2, 3, 3]), make([3])],
      run: (x, w, b) => conv2d(x, w, b),
    },
    {
      name: "stride 2, padding 1, non-square kernel, no bias, stride not dividing evenly",
      inputs: (make) => [make([1, 3, 6, 7]), make([2, 3, 3, 2])],
      run: (x, w) => conv2d(x, w, null, { stride: 2, padding: 1 }),
    },
    {
      name: "asymmetric stride [2, 1] and padding [0, 2]",
      inputs: (make) => [make([2, 1, 7, 4]), make([2, 1, 3, 3]), make([2])],
      run: (x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [0, 2] }),
    },
  ],
  maxPool2d: [
    {
      name: "2×2 stride 2, odd size (floor mode)",
      inputs: (make) => [make([2, 2, 5, 5])],
      run: (x) => maxPool2d(x, 2),
    },
    {
      name: "3×3 stride 2 padding 1 (overlapping windows)",
      inputs: (make) => [make([1, 2, 6, 6])],
      run: (x) => maxPool2d(x, 3, { stride: 2, padding: 1 }),
    },
  ],
  conv2dReluMaxPool2d: [
    {
      name: "the tutorial's block: 3×3 conv, relu, 2×2 pool",
      inputs: (make) => [make([2, 2, 8, 8]), make([3, 2, 3, 3]), make([3])],
      run: (x, w, b) => conv2dReluMaxPool2d(x, w, b, {}, 2),
    },
    {
      name: "padding 1, no bias, 3×3 pool stride 2 padding 1",
      inputs: (make) => [make([1, 2, 5, 6]), make([2, 2, 3, 3])],
      run: (x, w) => conv2dReluMaxPool2d(x, w, null, { padding: 1 }, 3, { stride: 2, padding: 1 }),
    },
    {
      name: "inference (noGrad): the values without the winners' indices, odd sizes",
      inputs: (make) => [make([3, 2, 9, 11]), make([3, 2, 3, 3]), make([3])],
      run: (x, w, b) => conv2dReluMaxPool2d(x, w, b, {}, 2),
      inference: true,
    },
  ],
  relu: [{ name: "away from 0", inputs: (make) => [awayFromZero(make([3, 4]))], run: (x) => relu(x) }],
  linear: [
    { name: "with bias", inputs: (make) => [make([4, 5]), make([3, 5]), make([3])], run: (x, w, b) => linear(x, w, b) },
    { name: "without bias", inputs: (make) => [make([2, 3]), make([4, 3])], run: (x, w) => linear(x, w) },
  ],
  matmul: [{ name: "[3,4] × [4,2]", inputs: (make) => [make([3, 4]), make([4, 2])], run: (a, b) => matmul(a, b) }],
  add: [
    { name: "[2,3] + [3]", inputs: (make) => [make([2, 3]), make([3])], run: (a, b) => add(a, b) },
    { name: "a number", inputs: (make) => [make([2, 2])], run: (a) => add(a, 2.5) },
  ],
  sub: [
    { name: "[3,1] − [2,1,4]", inputs: (make) => [make([3, 1]), make([2, 1, 4])], run: (a, b) => sub(a, b) },
    { name: "a number", inputs: (make) => [make([3])], run: (a) => sub(a, 0.5) },
  ],
  mul: [
    { name: "[2,1,4] · [3,1]", inputs: (make) => [make([2, 1, 4]), make([3, 1])], run: (a, b) => mul(a, b) },
    { name: "by itself", inputs: (make) => [make([5])], run: (a) => mul(a, a) },
  ],
  reshape: [{ name: "[2,3,2] → [3,-1]", inputs: (make) => [make([2, 3, 2])], run: (x) => reshape(x, [3, -1]) }],
  flatten: [{ name: "from dim 1", inputs: (make) => [make([2, 2, 2, 2])], run: (x) => flatten(x, 1) }],
  unsqueeze: [{ name: "dim 1, then relu", inputs: (make) => [make([2, 3])], run: (x) => relu(unsqueeze(x, 1)) }],
  squeeze: [
    { name: "all", inputs: (make) => [make([2, 1, 3, 1])], run: (x) => squeeze(x) },
    { name: "dim -1", inputs: (make) => [make([2, 1, 3, 1])], run: (x) => squeeze(x, -1) },
  ],
  select: [
    { name: "dim 0, index 1", inputs: (make) => [make([2, 3, 4])], run: (x) => select(x, 0, 1) },
    { name: "dim 1, index -1", inputs: (make) => [make([2, 3, 4])], run: (x) => select(x, 1, -1) },
    { name: "dim 2, index 2", inputs: (make) => [make([2, 3, 4])], run: (x) => select(x, 2, 2) },
  ],
  sum: [
    { name: "all", inputs: (make) => [make([3, 4])], run: (x) => sum(x) },
    { name: "dim 1 keepdim", inputs: (make) => [make([2, 3, 4])], run: (x) => sum(x, 1, true) },
  ],
  mean: [
    { name: "all", inputs: (make) => [make([5, 2])], run: (x) => mean(x) },
    { name: "dim -1", inputs: (make) => [make([2, 3, 4])], run: (x) => mean(x, -1) },
  ],
  max: [
    { name: "all", inputs: (make) => [make([3, 4, 2])], run: (x) => max(x) },
    { name: "dim 0", inputs: (make) => [make([3, 4, 2])], run: (x) => max(x, 0).values },
    { name: "dim 1", inputs: (make) => [make([3, 4, 2])], run: (x) => max(x, 1).values },
    { name: "dim -1 keepdim", inputs: (make) => [make([3, 4, 2])], run: (x) => max(x, -1, true).values },
  ],
  argmax: [
    { name: "all", inputs: (make) => [make([3, 4])], run: (x) => argmax(x) },
    { name: "dim 1", inputs: (make) => [make([3, 4])], run: (x) => argmax(x, 1) },
  ],
  eq: [
    { name: "tensor", inputs: (make) => [rounded(make([4, 5])), rounded(make([4, 5]))], run: (x, y) => eq(x, y) },
    { name: "number", inputs: (make) => [rounded(make([4, 5]))], run: (x) => eq(x, 1) },
  ],
  logSoftmax: [
    { name: "dim 1", inputs: (make) => [make([3, 5], -3, 3)], run: (x) => logSoftmax(x, 1) },
    { name: "dim 0 of 3-D", inputs: (make) => [make([4, 2, 3], -3, 3)], run: (x) => logSoftmax(x, 0) },
  ],
  softmax: [
    { name: "dim 1", inputs: (make) => [make([3, 5], -3, 3)], run: (x) => softmax(x, 1) },
    { name: "dim -1 of 3-D", inputs: (make) => [make([2, 3, 4], -3, 3)], run: (x) => softmax(x, -1) },
  ],
  crossEntropy: [
    { name: "mean", inputs: (make) => [make([4, 5], -3, 3)], run: (x) => crossEntropy(x, target) },
    { name: "sum", inputs: (make) => [make([4, 5], -3, 3)], run: (x) => crossEntropy(x, target, "sum") },
    { name: "none", inputs: (make) => [make([4, 5], -3, 3)], run: (x) => crossEntropy(x, target, "none") },
  ],
  nllLoss: [
    {
      name: "of logSoftmax, mean",
      inputs: (make) => [make([4, 5], -3, 3)],
      run: (x) => nllLoss(logSoftmax(x, 1), target),
    },
    { name: "sum", inputs: (make) => [make([4, 5], -3, 0)], run: (x) => nllLoss(x, target, "sum") },
  ],
};
