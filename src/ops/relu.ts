import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import { Tensor, floatData } from "../tensor/tensor.js";

/**
 * Rectified linear unit, elementwise: ReLU(x) = max(0, x). Any shape → the same shape.
 * Gradient: 0 where x ≤ 0 (so 0 at exactly 0), else 1, a NaN included, as PyTorch's threshold_backward.
 */
export function relu(input: Tensor): Tensor {
  const x = floatData(input, "relu");
  const out = new Tensor(kernel("relu")(x), input.shape);
  return record(out, "relu", [input], (dy) => [kernel("reluBackward")(dy, x)]);
}
