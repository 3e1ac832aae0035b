import { record } from "../autograd/graph.js";
import { Tensor, numel, shapeToString, type Shape } from "../tensor/tensor.js";

/**
 * The same elements in a new shape, row-major order kept; one size may be −1 and is inferred, as in PyTorch.
 * Tensors here are always contiguous, so `reshape` and `view` are the same op and share the data.
 */
export function reshape(input: Tensor, shape: Shape): Tensor {
  const inferred = shape.filter((s) => s === -1).length;
  if (inferred > 1) throw new Error(`reshape: only one dimension can be -1, got ${shapeToString(shape)}`);
  const known = numel(shape.filter((s) => s !== -1));
  const resolved = shape.map((s) => (s === -1 ? (known === 0 ? 0 : input.size / known) : s));
  if (resolved.some((s) => !Number.isInteger(s) || s < 0) || numel(resolved) !== input.size) {
    throw new Error(
      `reshape: shape ${shapeToString(shape)} is invalid for input of size ${input.size} ` +
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
    throw new Error(`flatten: dims ${startDim}..${endDim} are out of range for shape ${shapeToString(input.shape)}`);
  }
  const merged = numel(input.shape.slice(start, end + 1));
  return reshape(input, [...input.shape.slice(0, start), merged, ...input.shape.slice(end + 1)]);
}
