import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import { Tensor, floatData, shapeToString } from "../tensor/tensor.js";
import { mean, sum } from "./reduce.js";
import { logSoftmax } from "./softmax.js";
import { ConvlabError } from "../errors.js";

export type Reduction = "mean" | "sum" | "none";

/** Class labels as int32: an int32 tensor, a typed array, or a plain array of integers. */
export type Target = Tensor | Int32Array | readonly number[];

function targetData(target: Target, rows: number, classes: number, op: string): Int32Array {
  let t: Int32Array;
  if (target instanceof Tensor) {
    if (target.dtype !== "int32" || target.ndim !== 1) {
      throw new ConvlabError(
        "E_TARGET",
        `${op}: target must be a 1-D int32 tensor of class indices, got ${target.dtype} ${shapeToString(target.shape)}`,
      );
    }
    t = target.data as Int32Array;
  } else {
    t = Int32Array.from(target);
  }
  if (t.length !== rows) {
    throw new ConvlabError("E_TARGET", `${op}: expected ${rows} targets (one per input row), got ${t.length}`);
  }
  for (let r = 0; r < rows; r++) {
    if (!(t[r] >= 0 && t[r] < classes) || t[r] !== Math.trunc(t[r])) {
      throw new ConvlabError(
        "E_TARGET_RANGE",
        `${op}: target ${t[r]} at row ${r} is out of bounds for ${classes} classes`,
      );
    }
  }
  return t;
}

function reduceLoss(losses: Tensor, reduction: Reduction): Tensor {
  return reduction === "mean" ? mean(losses) : reduction === "sum" ? sum(losses) : losses;
}

/**
 * Negative log-likelihood: loss_r = −logp[r, target_r], then averaged over rows (reduction "mean").
 * Shapes: logp [N, C], target [N] → a scalar ([N] with reduction "none").
 * Differs from PyTorch: no class weights and no ignore_index.
 */
export function nllLoss(logp: Tensor, target: Target, reduction: Reduction = "mean"): Tensor {
  if (logp.ndim !== 2)
    throw new ConvlabError("E_SHAPE_MISMATCH", `nllLoss: input must be [N, C], got ${shapeToString(logp.shape)}`);
  const [rows, classes] = logp.shape;
  const t = targetData(target, rows, classes, "nllLoss");
  const losses = new Tensor(kernel("nllLoss")(floatData(logp, "nllLoss"), t, classes), [rows]);
  record(losses, "nllLoss", [logp], (dy) => [kernel("nllLossBackward")(dy, t, classes)]);
  return reduceLoss(losses, reduction);
}

/**
 * Cross-entropy of logits against class labels, as `torch.nn.functional.cross_entropy`:
 *
 *   loss_r = −log softmax(x_r)[target_r] = −x_r[target_r] + log Σ_c exp(x_r[c]),   loss = (1/N) Σ_r loss_r
 *
 * Shapes: input [N, C] (raw scores, not probabilities), target [N] of integers in [0, C) → a scalar.
 * Its gradient with respect to the logits is (softmax(x_r) − onehot(target_r)) / N.
 * Differs from PyTorch: no class weights, ignore_index or label smoothing.
 */
export function crossEntropy(input: Tensor, target: Target, reduction: Reduction = "mean"): Tensor {
  if (input.ndim !== 2) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `crossEntropy: input must be [N, C] logits, got ${shapeToString(input.shape)}`,
    );
  }
  return nllLoss(logSoftmax(input, 1), target, reduction);
}
