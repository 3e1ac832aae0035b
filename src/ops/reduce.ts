import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import { Tensor, allocLike, floatData, type FloatStorage } from "../tensor/tensor.js";
import { reducedShape, splitAt } from "./axis.js";

/** Spreads a gradient of the reduced shape back over the reduced dim: dx[o, s, i] = dy[o, i] · scale. */
function expandAlong(dy: FloatStorage, like: FloatStorage, outer: number, size: number, inner: number, scale: number) {
  const dx = allocLike(like, outer * size * inner);
  for (let o = 0; o < outer; o++) {
    for (let s = 0; s < size; s++) {
      for (let i = 0; i < inner; i++) dx[(o * size + s) * inner + i] = dy[o * inner + i] * scale;
    }
  }
  return dx;
}

function reduce(input: Tensor, dim: number | undefined, keepdim: boolean, mean: boolean, op: string): Tensor {
  const x = floatData(input, op);
  const whole = dim === undefined;
  const { dim: d, split } = whole
    ? { dim: 0, split: { outer: 1, size: input.size, inner: 1 } }
    : splitAt(input.shape, dim, op);
  const scale = mean ? 1 / split.size : 1;
  const y = kernel("sumAxis")(x, split);
  if (mean) for (let i = 0; i < y.length; i++) y[i] *= scale;
  const shape = whole ? [] : reducedShape(input.shape, d, keepdim);
  const out = new Tensor(y, shape);
  return record(out, op, [input], (dy) => [expandAlong(dy, x, split.outer, split.size, split.inner, scale)]);
}

/** Sum of all elements (→ a scalar, shape []), or along `dim` (that dim removed, or kept as 1 with keepdim). */
export function sum(input: Tensor, dim?: number, keepdim = false): Tensor {
  return reduce(input, dim, keepdim, false, "sum");
}

/** Mean of all elements, or along `dim`: the sum divided by the number of elements summed. */
export function mean(input: Tensor, dim?: number, keepdim = false): Tensor {
  return reduce(input, dim, keepdim, true, "mean");
}

/**
 * Index of the largest value along `dim` (the first one on ties), as `torch.argmax`; an int32 tensor, not
 * differentiable. Without `dim`, the index into the flattened tensor.
 */
export function argmax(input: Tensor, dim?: number, keepdim = false): Tensor {
  const x = floatData(input, "argmax");
  if (dim === undefined) return new Tensor(kernel("argmax")(x, { outer: 1, size: x.length, inner: 1 }), []);
  const { dim: d, split } = splitAt(input.shape, dim, "argmax");
  return new Tensor(kernel("argmax")(x, split), reducedShape(input.shape, d, keepdim));
}
