import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import { Tensor, allocLike, floatData, type FloatStorage } from "../tensor/tensor.js";
import { reducedShape, splitAt } from "./axis.js";
import { ConvlabError } from "../errors.js";

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

/**
 * The sum of an int32 tensor (class labels, `eq` results), as an int32 tensor: PyTorch sums integers and booleans
 * to int64, which JavaScript's int32 holds for any count of elements here. Not differentiable.
 */
function sumInt(input: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const x = input.data;
  if (dim === undefined) {
    let total = 0;
    for (let i = 0; i < x.length; i++) total += x[i];
    return new Tensor(Int32Array.of(total), []);
  }
  const { dim: d, split } = splitAt(input.shape, dim, "sum");
  const y = new Int32Array(split.outer * split.inner);
  for (let o = 0; o < split.outer; o++) {
    for (let s = 0; s < split.size; s++) {
      for (let i = 0; i < split.inner; i++) y[o * split.inner + i] += x[(o * split.size + s) * split.inner + i];
    }
  }
  return new Tensor(y, reducedShape(input.shape, d, keepdim));
}

function reduce(input: Tensor, dim: number | undefined, keepdim: boolean, mean: boolean, op: string): Tensor {
  if (!mean && input.dtype === "int32") return sumInt(input, dim, keepdim);
  const x = floatData(input, op);
  const whole = dim === undefined;
  const { dim: d, split } = whole
    ? { dim: 0, split: { outer: 1, size: input.numel(), inner: 1 } }
    : splitAt(input.shape, dim, op);
  const scale = mean ? 1 / split.size : 1;
  const y = kernel("sumAxis")(x, split);
  if (mean) for (let i = 0; i < y.length; i++) y[i] *= scale;
  const shape = whole ? [] : reducedShape(input.shape, d, keepdim);
  const out = new Tensor(y, shape);
  return record(out, op, [input], (dy) => [expandAlong(dy, x, split.outer, split.size, split.inner, scale)]);
}

/**
 * Sum of all elements (→ a scalar, shape []), or along `dim` (that dim removed, or kept as 1 with keepdim).
 * An int32 tensor sums to int32 (PyTorch: int64), e.g. `predicted.eq(labels).sum().item()`, the correct count.
 */
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

/** Values and their indices along a dim, as PyTorch's `torch.return_types.max`; also `const [values, indices] = …`. */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
  [Symbol.iterator](): Iterator<Tensor>;
}

/**
 * The largest value along `dim` and its index (the first one on ties), as `torch.max(input, dim)`:
 * `const [, predicted] = max(outputs, 1)` is the tutorial's `_, predicted = torch.max(outputs.data, 1)`.
 * Shapes: [N, C] → values [N] and indices [N] (int32; PyTorch: int64). Without `dim`, the largest element as a
 * scalar. Gradient: dy goes to the position of each maximum, as PyTorch's MaxBackward.
 */
export function max(input: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(input: Tensor): Tensor;
export function max(input: Tensor, dim?: number, keepdim = false): ValuesIndices | Tensor {
  const x = floatData(input, "max");
  const whole = dim === undefined;
  const { dim: d, split } = whole
    ? { dim: 0, split: { outer: 1, size: x.length, inner: 1 } }
    : splitAt(input.shape, dim, "max");
  if (split.size === 0)
    throw new ConvlabError("E_SHAPE_EMPTY", `max: cannot reduce an empty dimension (shape ${input.shape.join("×")})`);
  const best = kernel("argmax")(x, split);
  const source = new Int32Array(best.length);
  const y = allocLike(x, best.length);
  for (let o = 0; o < split.outer; o++) {
    for (let i = 0; i < split.inner; i++) {
      const at = o * split.inner + i;
      source[at] = (o * split.size + best[at]) * split.inner + i;
      y[at] = x[source[at]];
    }
  }
  const shape = whole ? [] : reducedShape(input.shape, d, keepdim);
  const values = record(new Tensor(y, shape), "max", [input], (dy) => {
    const dx = allocLike(x, x.length);
    for (let k = 0; k < source.length; k++) dx[source[k]] += dy[k];
    return [dx];
  });
  if (whole) return values;
  const indices = new Tensor(best, shape);
  return {
    values,
    indices,
    *[Symbol.iterator]() {
      yield values;
      yield indices;
    },
  };
}
