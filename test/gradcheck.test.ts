import { test } from "node:test";
import {
  add,
  conv2d,
  crossEntropy,
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
  sum,
  unsqueeze,
} from "../src/index.js";
import { Generator } from "../src/tensor/random.js";
import { gradcheck, randomInput } from "./helpers/gradcheck.js";

// Every differentiable op, forward and backward, in float64 against central differences (the ref kernels take
// float64 arrays, so this checks the same code that trains in float32).
const g = new Generator(2024);

test("conv2d: stride 1, no padding, with bias", () => {
  gradcheck("conv2d", (x, w, b) => conv2d(x, w, b), [
    randomInput([2, 2, 5, 5], g),
    randomInput([3, 2, 3, 3], g),
    randomInput([3], g),
  ]);
});

test("conv2d: stride 2, padding 1, non-square kernel, no bias, stride not dividing evenly", () => {
  gradcheck("conv2d s2 p1", (x, w) => conv2d(x, w, null, { stride: 2, padding: 1 }), [
    randomInput([1, 3, 6, 7], g),
    randomInput([2, 3, 3, 2], g),
  ]);
});

test("conv2d: asymmetric stride and padding", () => {
  gradcheck("conv2d [2,1]/[0,2]", (x, w, b) => conv2d(x, w, b, { stride: [2, 1], padding: [0, 2] }), [
    randomInput([2, 1, 7, 4], g),
    randomInput([2, 1, 3, 3], g),
    randomInput([2], g),
  ]);
});

test("maxPool2d: 2×2 stride 2 with an odd size (floor mode)", () => {
  // Distinct random values: no ties, so the max is differentiable everywhere central differences look.
  gradcheck("maxPool2d 2x2", (x) => maxPool2d(x, 2), [randomInput([2, 2, 5, 5], g)]);
});

test("maxPool2d: 3×3 stride 2 padding 1 (overlapping windows)", () => {
  gradcheck("maxPool2d 3x3 s2 p1", (x) => maxPool2d(x, 3, { stride: 2, padding: 1 }), [randomInput([1, 2, 6, 6], g)]);
});

test("relu away from 0", () => {
  const x = randomInput([3, 4], g);
  const d = x.data as Float64Array;
  for (let i = 0; i < d.length; i++) if (Math.abs(d[i]) < 1e-3) d[i] = 0.5;
  gradcheck("relu", (t) => relu(t), [x]);
});

test("linear and matmul", () => {
  gradcheck("linear", (x, w, b) => linear(x, w, b), [
    randomInput([4, 5], g),
    randomInput([3, 5], g),
    randomInput([3], g),
  ]);
  gradcheck("linear without bias", (x, w) => linear(x, w), [randomInput([2, 3], g), randomInput([4, 3], g)]);
  gradcheck("matmul", (a, b) => matmul(a, b), [randomInput([3, 4], g), randomInput([4, 2], g)]);
});

test("add and mul with broadcasting", () => {
  gradcheck("add [2,3]+[3]", (a, b) => add(a, b), [randomInput([2, 3], g), randomInput([3], g)]);
  gradcheck("mul [2,1,4]*[3,1]", (a, b) => mul(a, b), [randomInput([2, 1, 4], g), randomInput([3, 1], g)]);
  gradcheck("mul by itself", (a) => mul(a, a), [randomInput([5], g)]);
  gradcheck("add scalar", (a) => add(a, 2.5), [randomInput([2, 2], g)]);
});

test("reshape, flatten, sum and mean", () => {
  gradcheck("reshape", (x) => reshape(x, [3, -1]), [randomInput([2, 3, 2], g)]);
  gradcheck("flatten", (x) => flatten(x, 1), [randomInput([2, 2, 2, 2], g)]);
  gradcheck("sum all", (x) => sum(x), [randomInput([3, 4], g)]);
  gradcheck("sum dim 1 keepdim", (x) => sum(x, 1, true), [randomInput([2, 3, 4], g)]);
  gradcheck("mean dim -1", (x) => mean(x, -1), [randomInput([2, 3, 4], g)]);
  gradcheck("mean all", (x) => mean(x), [randomInput([5, 2], g)]);
});

test("logSoftmax and softmax along each dim", () => {
  gradcheck("logSoftmax dim 1", (x) => logSoftmax(x, 1), [randomInput([3, 5], g, -3, 3)]);
  gradcheck("logSoftmax dim 0", (x) => logSoftmax(x, 0), [randomInput([4, 2, 3], g, -3, 3)]);
  gradcheck("softmax dim 1", (x) => softmax(x, 1), [randomInput([3, 5], g, -3, 3)]);
  gradcheck("softmax dim -1 of 3-D", (x) => softmax(x, -1), [randomInput([2, 3, 4], g, -3, 3)]);
});

test("crossEntropy and nllLoss, each reduction", () => {
  const target = Int32Array.from([1, 0, 4, 2]);
  gradcheck("crossEntropy mean", (x) => crossEntropy(x, target), [randomInput([4, 5], g, -3, 3)]);
  gradcheck("crossEntropy sum", (x) => crossEntropy(x, target, "sum"), [randomInput([4, 5], g, -3, 3)]);
  gradcheck("crossEntropy none", (x) => crossEntropy(x, target, "none"), [randomInput([4, 5], g, -3, 3)]);
  gradcheck("nllLoss", (x) => nllLoss(logSoftmax(x, 1), target), [randomInput([4, 5], g, -3, 3)]);
});

test("the tutorial's whole pipeline: conv → relu → pool → conv → relu → pool → flatten → linear → loss", () => {
  const target = [3, 7];
  gradcheck(
    "pipeline",
    (x, w1, b1, w2, b2, wf, bf) => {
      let h = maxPool2d(relu(conv2d(x, w1, b1)), 2);
      h = maxPool2d(relu(conv2d(h, w2, b2)), 2);
      return crossEntropy(linear(flatten(h, 1), wf, bf), target);
    },
    [
      randomInput([2, 1, 14, 14], g),
      randomInput([3, 1, 3, 3], g),
      randomInput([3], g),
      randomInput([4, 3, 3, 3], g),
      randomInput([4], g),
      randomInput([10, 4 * 2 * 2], g),
      randomInput([10], g),
    ],
  );
});

test("max along each dim (values; distinct random inputs, so each maximum is unique)", () => {
  const x = randomInput([3, 4, 2], g);
  for (const dim of [0, 1, -1]) gradcheck(`max dim ${dim}`, (t) => max(t, dim).values, [x]);
  gradcheck("max of all", (t) => max(t), [x]);
});

test("select along each dim, negative index included, and unsqueeze/squeeze", () => {
  const x = randomInput([2, 3, 4], g);
  gradcheck("select 0, 1", (t) => select(t, 0, 1), [x]);
  gradcheck("select 1, -1", (t) => select(t, 1, -1), [x]);
  gradcheck("select 2, 2", (t) => select(t, 2, 2), [x]);
  gradcheck("unsqueeze then squeeze", (t) => squeeze(relu(unsqueeze(t, 1)), 1), [x]);
});
