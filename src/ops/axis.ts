import type { AxisSplit } from "../kernels/types.js";
import { numel, shapeToString, type Shape } from "../tensor/tensor.js";
import { ConvlabError } from "../errors.js";

/** Normalises a possibly negative dim and views the shape as [outer, size, inner] around it. */
export function splitAt(shape: Shape, dim: number, op: string): { dim: number; split: AxisSplit } {
  const rank = shape.length;
  const d = dim < 0 ? dim + rank : dim;
  if (!Number.isInteger(d) || d < 0 || d >= rank) {
    throw new ConvlabError("E_DIM_RANGE", `${op}: dim ${dim} is out of range for shape ${shapeToString(shape)}`);
  }
  return {
    dim: d,
    split: { outer: numel(shape.slice(0, d)), size: shape[d], inner: numel(shape.slice(d + 1)) },
  };
}

/** The shape after reducing `dim`: it becomes 1 with keepdim, else it is removed. */
export function reducedShape(shape: Shape, dim: number, keepdim: boolean): number[] {
  return keepdim ? shape.map((s, i) => (i === dim ? 1 : s)) : shape.filter((_, i) => i !== dim);
}
