import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import { Tensor, floatData } from "../tensor/tensor.js";
import { splitAt } from "./axis.js";

/**
 * log softmax(x)_k = x_k − log Σ_j exp(x_j) along `dim`, computed stably (the max is subtracted first).
 * Any shape → the same shape. Gradient: dx = dy − softmax(x) · Σ_k dy_k.
 */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  const { split } = splitAt(input.shape, dim, "logSoftmax");
  const y = kernel("logSoftmax")(floatData(input, "logSoftmax"), split);
  const out = new Tensor(y, input.shape);
  return record(out, "logSoftmax", [input], (dy) => [kernel("logSoftmaxBackward")(dy, y, split)]);
}

/**
 * softmax(x)_k = exp(x_k) / Σ_j exp(x_j) along `dim`: turns logits into probabilities that sum to 1.
 * Any shape → the same shape. Gradient: dx = y · (dy − Σ_k dy_k · y_k).
 */
export function softmax(input: Tensor, dim: number): Tensor {
  const { split } = splitAt(input.shape, dim, "softmax");
  const y = kernel("softmax")(floatData(input, "softmax"), split);
  const out = new Tensor(y, input.shape);
  return record(out, "softmax", [input], (dy) => [kernel("softmaxBackward")(dy, y, split)]);
}
