import { record, willRecord } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import { Tensor, floatData, sameFloatDType } from "../tensor/tensor.js";
import { conv2dGeometry, type Conv2dOptions } from "./conv2d.js";
import { maxPool2dGeometry, type MaxPool2dOptions } from "./pool.js";
import type { IntPair } from "./window.js";

/**
 * The block every convolution of the tutorial's models sits in, as one op:
 *
 *   out = maxPool2d(relu(conv2d(input, weight, bias, conv)), kernelSize, pool)
 *
 * Same values and gradients as the three ops in turn (the same arithmetic, in the same order), with less memory
 * traffic: a fast backend pools each image's convolution while it is still in cache, and the backward pass needs
 * only the pooled output and the winners' indices, since relu′ at a window's winner is 0 exactly where pooled ≤ 0. The
 * convolution's full output, the largest activation of a step, is never stored. Where the pool reads fewer rows and
 * columns than the convolution gives (floor mode drops conv2's last row and column: 11×11 → 5×5 reads 10×10), the
 * wasm backend does not compute the others, whose gradient is 0: its output stays bit for bit that of the three ops,
 * while the weight and bias gradients sum the same nonzero terms grouped otherwise (within 1e-6 of their largest
 * magnitude). Where Winograd's 2×2 tiles are the pool's windows (conv2's), wasm sums the bias gradient window by
 * window, and takes the input gradient from each window's winner alone (9 multiply-adds per window and channel pair,
 * no transforms): the direct sums, as a direct convolution rounds them, not as Winograd's (within 1e-6 of the largest
 * magnitude of the reference's; with a weight that is not finite it transforms as before). For a one-channel input
 * that needs no gradient (conv1's), wasm takes the weight and bias gradients from each window's winner alone, 9
 * multiply-adds a window instead of 36: the same nonzero terms, grouped otherwise (an image holding a NaN or an
 * infinity goes the dense way, whose 0·NaN terms make PyTorch's NaNs).
 *
 * Shapes: input [N, C_in, H, W], weight [C_out, C_in, F_h, F_w], bias [C_out] → [N, C_out, H_pool, W_pool], where
 * H_conv = ⌊(H + 2P − F_h)/S⌋ + 1 and H_pool = ⌊(H_conv + 2P_pool − K)/S_pool⌋ + 1 (for the tutorial's conv1 and its
 * 2×2 pool: 28 → 26 → 13). Input, weight and bias must share a dtype, as for conv2d.
 */
export function conv2dReluMaxPool2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  conv: Conv2dOptions,
  kernelSize: IntPair,
  pool: MaxPool2dOptions = {},
): Tensor {
  const convGeometry = conv2dGeometry(input, weight, bias, conv);
  const { batch, outChannels, outHeight, outWidth } = convGeometry;
  const poolGeometry = maxPool2dGeometry([batch, outChannels, outHeight, outWidth], kernelSize, pool);
  sameFloatDType("conv2dReluMaxPool2d", { input, weight, bias });
  const x = floatData(input, "conv2dReluMaxPool2d");
  const w = floatData(weight, "conv2dReluMaxPool2d");
  const b = bias === null ? null : floatData(bias, "conv2dReluMaxPool2d");
  const shape = [batch, outChannels, poolGeometry.outHeight, poolGeometry.outWidth];
  const inputs = bias === null ? [input, weight] : [input, weight, bias];
  // Without a backward to come (inference, noGrad), the winners' indices are not needed.
  if (!willRecord(inputs)) {
    return new Tensor(kernel("conv2dReluMaxPool2dValues")(x, w, b, convGeometry, poolGeometry), shape);
  }
  const { y, argmax, saved } = kernel("conv2dReluMaxPool2dForward")(x, w, b, convGeometry, poolGeometry);
  const out = new Tensor(y, shape);
  const need = [input.requiresGrad, weight.requiresGrad, bias?.requiresGrad ?? false] as const;
  return record(out, "conv2dReluMaxPool2d", inputs, (dy) =>
    kernel("conv2dReluMaxPool2dBackward")(dy, argmax, y, x, w, convGeometry, poolGeometry, need, saved),
  );
}
