import type { Window2d } from "../kernels/types.js";
import { shapeToString, type Shape } from "../tensor/tensor.js";
import { ConvlabError } from "../errors.js";

/** A size given once for both spatial dimensions, or as [height, width], as PyTorch's `_pair`. */
export type IntPair = number | readonly [number, number];

export function pair(value: IntPair, op: string, name: string, min: number): [number, number] {
  const [h, w] = typeof value === "number" ? [value, value] : value;
  for (const v of [h, w]) {
    if (!Number.isInteger(v) || v < min) {
      throw new ConvlabError("E_WINDOW", `${op}: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
    }
  }
  return [h, w];
}

/**
 * Output size of a sliding window: ⌊(size + 2·pad − kernel) / stride⌋ + 1, PyTorch's floor mode. The tutorial writes
 * it (H − F + 2P)/S + 1, exact when S divides H − F + 2P; otherwise the last partial window is dropped.
 */
export function outputSize(op: string, dim: string, size: number, kernel: number, stride: number, pad: number): number {
  const out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
  if (out < 1) {
    throw new ConvlabError(
      "E_WINDOW",
      `${op}: the ${dim} ${size} is too small for a window of ${kernel} with padding ${pad}: ` +
        `⌊(${size} + 2·${pad} − ${kernel}) / ${stride}⌋ + 1 = ${out} ≤ 0`,
    );
  }
  return out;
}

/**
 * The geometry of a window of `kernel` sliding over an NCHW input with `stride` and `padding`, each side's output
 * size from {@link outputSize}. Shared by convolution and pooling, which differ only in what a window computes.
 */
export function window2d(
  op: string,
  inputShape: Shape,
  [kernelHeight, kernelWidth]: [number, number],
  [strideHeight, strideWidth]: [number, number],
  [padHeight, padWidth]: [number, number],
): Window2d {
  if (inputShape.length !== 4) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `${op}: input must be 4-D [N, C, H, W], got shape ${shapeToString(inputShape)}`,
    );
  }
  const [batch, inChannels, inHeight, inWidth] = inputShape;
  return {
    batch,
    inChannels,
    inHeight,
    inWidth,
    kernelHeight,
    kernelWidth,
    strideHeight,
    strideWidth,
    padHeight,
    padWidth,
    outHeight: outputSize(op, "height", inHeight, kernelHeight, strideHeight, padHeight),
    outWidth: outputSize(op, "width", inWidth, kernelWidth, strideWidth, padWidth),
  };
}
