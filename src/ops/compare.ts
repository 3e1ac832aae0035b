import { Tensor, shapeToString } from "../tensor/tensor.js";
import { ConvlabError } from "../errors.js";

/**
 * Elementwise equality, as `torch.eq` (`predicted == labels`): 1 where equal, else 0. `other` is a tensor or array
 * of the same number of elements, or a single number. Not differentiable.
 *
 * Differs from PyTorch: there is no bool dtype here, so the result is int32 0/1 (PyTorch: bool); its `sum()` is
 * the count, as in the tutorial's `(predicted == labels).sum().item()`. No broadcasting beyond a single number.
 */
export function eq(input: Tensor, other: Tensor | ArrayLike<number> | number): Tensor {
  const x = input.data;
  const out = new Int32Array(x.length);
  if (typeof other === "number") {
    for (let i = 0; i < x.length; i++) out[i] = x[i] === other ? 1 : 0;
    return new Tensor(out, input.shape);
  }
  const y = other instanceof Tensor ? other.data : other;
  if (y.length !== x.length) {
    const shape = other instanceof Tensor ? shapeToString(other.shape) : `[${y.length}]`;
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `eq: shapes ${shapeToString(input.shape)} and ${shape} differ; compare tensors of the same size`,
    );
  }
  for (let i = 0; i < x.length; i++) out[i] = x[i] === y[i] ? 1 : 0;
  return new Tensor(out, input.shape);
}
