import { add, broadcastShapes, mul, sub } from "./arithmetic.js";
import { reducedShape, splitAt } from "./axis.js";
import { eq } from "./compare.js";
import { conv2dReluMaxPool2d } from "./conv-relu-pool.js";
import { conv2d, conv2dGeometry, conv2dGradients } from "./conv2d.js";
import { crossEntropy, nllLoss } from "./loss.js";
import { linear, matmul } from "./matmul.js";
import { maxPool2d, maxPool2dGeometry } from "./pool.js";
import { argmax, max, mean, sum } from "./reduce.js";
import { relu } from "./relu.js";
import { flatten, reshape, select, squeeze, unsqueeze } from "./shape.js";
import { logSoftmax, softmax } from "./softmax.js";
import { outputSize, pair, window2d } from "./window.js";

/** What the test suites need to know of an op. */
export interface OpInfo {
  /** The op. */
  readonly fn: (...args: never[]) => unknown;
  /**
   * Its name in scripts/make_torch_fixtures.py's ops.json (`op` of each case), after the PyTorch function it is
   * checked against: `max_pool2d` for F.max_pool2d. `conv2d_relu_max_pool2d` is F.max_pool2d(F.relu(F.conv2d(…))).
   */
  readonly torch: string;
  /** Whether it records a gradient. Those that do not (indices, comparisons) need no gradient check. */
  readonly differentiable: boolean;
}

/**
 * Every op of convlab, once: the list that the float64 gradient check (test/gradcheck.test.ts), the PyTorch
 * fixtures' coverage (test/torch-fixtures.test.ts) and the cross-backend suite (test/backends.test.ts) iterate over.
 * Each suite keeps its cases in a record keyed by {@link OpName}, so an op added here without a case in each is a
 * compile error, and a failing test at run time. test/ops-table.test.ts checks that every function src/ops exports
 * is here or in {@link OP_HELPERS}, so an op cannot be added to src/ops and slip past the table either.
 *
 * Aliases are not separate ops: `view` is `reshape`.
 */
export const OPS = {
  conv2d: { fn: conv2d, torch: "conv2d", differentiable: true },
  maxPool2d: { fn: maxPool2d, torch: "max_pool2d", differentiable: true },
  conv2dReluMaxPool2d: { fn: conv2dReluMaxPool2d, torch: "conv2d_relu_max_pool2d", differentiable: true },
  relu: { fn: relu, torch: "relu", differentiable: true },
  linear: { fn: linear, torch: "linear", differentiable: true },
  matmul: { fn: matmul, torch: "matmul", differentiable: true },
  add: { fn: add, torch: "add", differentiable: true },
  sub: { fn: sub, torch: "sub", differentiable: true },
  mul: { fn: mul, torch: "mul", differentiable: true },
  reshape: { fn: reshape, torch: "reshape", differentiable: true },
  flatten: { fn: flatten, torch: "flatten", differentiable: true },
  unsqueeze: { fn: unsqueeze, torch: "unsqueeze", differentiable: true },
  squeeze: { fn: squeeze, torch: "squeeze", differentiable: true },
  select: { fn: select, torch: "select", differentiable: true },
  sum: { fn: sum, torch: "sum", differentiable: true },
  mean: { fn: mean, torch: "mean", differentiable: true },
  max: { fn: max, torch: "max", differentiable: true },
  argmax: { fn: argmax, torch: "argmax", differentiable: false },
  eq: { fn: eq, torch: "eq", differentiable: false },
  logSoftmax: { fn: logSoftmax, torch: "log_softmax", differentiable: true },
  softmax: { fn: softmax, torch: "softmax", differentiable: true },
  crossEntropy: { fn: crossEntropy, torch: "cross_entropy", differentiable: true },
  nllLoss: { fn: nllLoss, torch: "nll_loss", differentiable: true },
} as const satisfies Record<string, OpInfo>;

/** The name of an op in {@link OPS}. */
export type OpName = keyof typeof OPS;

/** The ops that record a gradient: each needs a float64 gradient check. */
export type DifferentiableOpName = {
  [K in OpName]: (typeof OPS)[K]["differentiable"] extends true ? K : never;
}[OpName];

/** The PyTorch names of the ops, as the fixtures name them. */
export type TorchOpName = (typeof OPS)[OpName]["torch"];

/** The op names, in the table's order. */
export const OP_NAMES = Object.keys(OPS) as OpName[];

/**
 * Functions src/ops exports that are not ops: they check arguments and compute shapes, strides and window geometry
 * for the ops above, and are tested through them.
 */
export const OP_HELPERS: readonly ((...args: never[]) => unknown)[] = [
  broadcastShapes,
  splitAt,
  reducedShape,
  conv2dGeometry,
  conv2dGradients,
  maxPool2dGeometry,
  pair,
  outputSize,
  window2d,
];
