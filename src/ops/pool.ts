import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import type { Window2d } from "../kernels/types.js";
import { Tensor, floatData, type Shape } from "../tensor/tensor.js";
import { pair, window2d, type IntPair } from "./window.js";
import { ConvlabError } from "../errors.js";

export interface MaxPool2dOptions {
  /** Step of the window. Default: the kernel size, as PyTorch. */
  stride?: IntPair;
  /** −∞ added on each side; at most half the kernel size, as PyTorch requires. Default 0. */
  padding?: IntPair;
}

/**
 * 2-D max pooling: out[n, c, i, j] = max_{0≤m<F_h, 0≤k<F_w} input[n, c, i·S + m − P, j·S + k − P], the tutorial's
 * P(i,j) = max(I(2i:2i+2, 2j:2j+2)) for a 2×2 window with stride 2.
 *
 * Shapes: [N, C, H, W] → [N, C, ⌊(H + 2P − F_h)/S⌋ + 1, ⌊(W + 2P − F_w)/S⌋ + 1] (floor mode: a partial window at the
 * edge is dropped, so 13 → 6 for a 2×2 window).
 *
 * Gradient: all of it goes to the element that held the maximum; on a tie, to the first in row-major window order,
 * as PyTorch's CPU kernel. Differs from PyTorch: no dilation, no ceil_mode, no return_indices.
 */
export function maxPool2d(input: Tensor, kernelSize: IntPair, options: MaxPool2dOptions = {}): Tensor {
  const geometry = maxPool2dGeometry(input.shape, kernelSize, options);
  const { y, argmax } = kernel("maxPool2dForward")(floatData(input, "maxPool2d"), geometry);
  const out = new Tensor(y, [geometry.batch, geometry.inChannels, geometry.outHeight, geometry.outWidth]);
  return record(out, "maxPool2d", [input], (dy) => [kernel("maxPool2dBackward")(dy, argmax, geometry)]);
}

/** Checks max-pooling's arguments against an input shape and returns the geometry its kernels take. */
export function maxPool2dGeometry(shape: Shape, kernelSize: IntPair, options: MaxPool2dOptions): Window2d {
  const [kernelHeight, kernelWidth] = pair(kernelSize, "maxPool2d", "kernelSize", 1);
  const stride = pair(options.stride ?? kernelSize, "maxPool2d", "stride", 1);
  const [padHeight, padWidth] = pair(options.padding ?? 0, "maxPool2d", "padding", 0);
  if (padHeight > kernelHeight / 2 || padWidth > kernelWidth / 2) {
    throw new ConvlabError(
      "E_WINDOW",
      `maxPool2d: padding should be at most half of the kernel size, got padding ${options.padding}`,
    );
  }
  return window2d("maxPool2d", shape, [kernelHeight, kernelWidth], stride, [padHeight, padWidth]);
}
