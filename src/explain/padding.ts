import { outputSize } from "../ops/window.js";
import { explainConv } from "./conv.js";
import type { Matrix, OutputSize, PaddingResult } from "./types.js";

/**
 * The output-size formula with PyTorch's floor, ⌊(H − F + 2P)/S⌋ + 1 (the library's `outputSize`, which conv2d and
 * maxPool2d use), next to the tutorial's unfloored (H − F + 2P)/S + 1: the two agree exactly when S divides
 * H − F + 2P; otherwise the window cannot take its last step and PyTorch drops the partial position.
 */
export function outputSizeOf(size: number, kernel: number, padding: number, stride: number): OutputSize {
  return {
    size,
    kernel,
    padding,
    stride,
    unfloored: (size - kernel + 2 * padding) / stride + 1,
    floored: outputSize("explain", "size", size, kernel, stride, padding),
  };
}

/**
 * Padding and stride on `image` and `kernel`: the output size of each (padding, stride) pair in `sizes`, and the
 * convolution computed by conv2d for each pair in `convs`, whose feature maps have the floored sizes.
 */
export function explainPadding(
  image: Matrix,
  kernel: Matrix,
  sizes: readonly { padding: number; stride: number }[],
  convs: readonly { padding: number; stride: number; bias?: number }[],
): PaddingResult {
  const rows = image.length;
  const cols = image[0].length;
  const dims =
    rows === cols && kernel.length === kernel[0].length
      ? [[rows, kernel.length]]
      : [
          [rows, kernel.length],
          [cols, kernel[0].length],
        ];
  // The convolutions first: they reject a kernel larger than the padded image with an error made for the learner.
  const computed = convs.map((options) => explainConv(image, kernel, options));
  return {
    sizes: sizes.flatMap(({ padding, stride }) => dims.map(([h, f]) => outputSizeOf(h, f, padding, stride))),
    convs: computed,
  };
}
