import { record } from "../autograd/graph.js";
import { Tensor, allocDType, allocLike, numel, shapeToString, type Shape } from "../tensor/tensor.js";
import { reducedShape, splitAt } from "./axis.js";
import { ConvlabError } from "../errors.js";

/**
 * The same elements in a new shape, row-major order kept; one size may be −1 and is inferred, as in PyTorch.
 * Tensors here are always contiguous, so `reshape` and `view` are the same op and share the data.
 */
export function reshape(input: Tensor, shape: Shape): Tensor {
  const inferred = shape.filter((s) => s === -1).length;
  if (inferred > 1)
    throw new ConvlabError("E_SHAPE_INVALID", `reshape: only one dimension can be -1, got ${shapeToString(shape)}`);
  const known = numel(shape.filter((s) => s !== -1));
  const resolved = shape.map((s) => (s === -1 ? (known === 0 ? 0 : input.numel() / known) : s));
  if (resolved.some((s) => !Number.isInteger(s) || s < 0) || numel(resolved) !== input.numel()) {
    throw new ConvlabError(
      "E_SHAPE_INVALID",
      `reshape: shape ${shapeToString(shape)} is invalid for input of size ${input.numel()} ` +
        `(shape ${shapeToString(input.shape)})`,
    );
  }
  const out = new Tensor(input.data, resolved);
  // The gradient is the output gradient read in the input's shape: the same numbers in the same order.
  return record(out, "reshape", [input], (dy) => [dy]);
}

/** Alias of {@link reshape}, PyTorch's name for a reshape that shares data (always the case here). */
export const view = reshape;

/**
 * Merges dimensions startDim..endDim into one, as `torch.flatten`: flatten([N, 32, 5, 5], 1) → [N, 800].
 * Negative dims count from the end.
 */
export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
  const rank = input.ndim;
  const start = startDim < 0 ? startDim + rank : startDim;
  const end = endDim < 0 ? endDim + rank : endDim;
  if (rank === 0) return reshape(input, [1]);
  if (start < 0 || end >= rank || start > end) {
    throw new ConvlabError(
      "E_DIM_RANGE",
      `flatten: dims ${startDim}..${endDim} are out of range for shape ${shapeToString(input.shape)}`,
    );
  }
  const merged = numel(input.shape.slice(start, end + 1));
  return reshape(input, [...input.shape.slice(0, start), merged, ...input.shape.slice(end + 1)]);
}

/** Inserts a dimension of size 1 at `dim`, as `torch.unsqueeze`: [1, 28, 28].unsqueeze(0) → [1, 1, 28, 28]. */
export function unsqueeze(input: Tensor, dim: number): Tensor {
  const rank = input.ndim + 1;
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= rank) {
    throw new ConvlabError(
      "E_DIM_RANGE",
      `unsqueeze: dim ${dim} is out of range for shape ${shapeToString(input.shape)}`,
    );
  }
  return reshape(input, [...input.shape.slice(0, d), 1, ...input.shape.slice(d)]);
}

/**
 * Removes dimensions of size 1, as `torch.squeeze`: all of them, or only `dim` (left as it is when its size is not
 * 1, as PyTorch does). [1, 1, 28, 28] → [28, 28], the shape `imshow` wants.
 */
export function squeeze(input: Tensor, dim?: number): Tensor {
  const kept = input.shape.filter((s) => s !== 1);
  if (dim === undefined) return reshape(input, kept);
  // splitAt checks the dim (a 0-d tensor has none to squeeze, as PyTorch's dim 0 of a scalar does nothing).
  const d = input.ndim === 0 ? 0 : splitAt(input.shape, dim, "squeeze").dim;
  return reshape(input, input.shape[d] === 1 ? input.shape.filter((_, i) => i !== d) : input.shape);
}

/**
 * The slice at `index` along `dim`, that dimension removed, as `torch.select` (and PyTorch's `images[i]` for
 * dim 0): select(images [64, 1, 28, 28], 0, 0) → [1, 28, 28]. A negative index counts from the end. It copies
 * (tensors here own contiguous data). Gradient: dy is written back into that slice of a zero tensor.
 */
export function select(input: Tensor, dim: number, index: number): Tensor {
  const { dim: d, split } = splitAt(input.shape, dim, "select");
  const { outer, size, inner } = split;
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new ConvlabError(
      "E_INDEX_RANGE",
      `select: index ${index} is out of range for dimension ${d} of size ${size} (shape ${shapeToString(input.shape)})`,
    );
  }
  const x = input.data;
  const y = allocDType(input.dtype, outer * inner);
  for (let o = 0; o < outer; o++) y.set(x.subarray((o * size + i) * inner, (o * size + i + 1) * inner), o * inner);
  const out = new Tensor(y, reducedShape(input.shape, d, false));
  return record(out, "select", [input], (dy) => {
    const dx = allocLike(dy, x.length);
    for (let o = 0; o < outer; o++) dx.set(dy.subarray(o * inner, (o + 1) * inner), (o * size + i) * inner);
    return [dx];
  });
}
