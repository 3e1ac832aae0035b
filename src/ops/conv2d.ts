import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import type { Conv2dGeometry } from "../kernels/types.js";
import { Tensor, floatData, sameFloatDType, shapeToString, type FloatStorage } from "../tensor/tensor.js";
import { pair, window2d, type IntPair } from "./window.js";
import { ConvlabError } from "../errors.js";

export interface Conv2dOptions {
  /** Step of the window, S. Default 1. */
  stride?: IntPair;
  /** Zeros added on each side, P. Default 0. */
  padding?: IntPair;
}

/**
 * 2-D convolution (strictly, cross-correlation, as in PyTorch and the tutorial):
 *
 *   out[n, co, i, j] = bias[co] + Σ_ci Σ_m Σ_k input[n, ci, i·S + m − P, j·S + k − P] · weight[co, ci, m, k]
 *
 * which for one channel and no bias is the tutorial's S(i,j) = Σ_m Σ_n I(i+m, j+n)·K(m,n).
 *
 * Shapes: input [N, C_in, H, W], weight [C_out, C_in, F_h, F_w], bias [C_out] → output [N, C_out, H_out, W_out]
 * with H_out = ⌊(H + 2P − F_h)/S⌋ + 1 (likewise W_out). PyTorch floors; the division need not be exact.
 *
 * Differs from `torch.nn.functional.conv2d`: no dilation or groups, and a 3-D unbatched input is not accepted. As in
 * PyTorch, input, weight and bias must share a dtype (`E_DTYPE_MISMATCH` otherwise).
 */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  const geometry = conv2dGeometry(input, weight, bias, options);
  sameFloatDType("conv2d", { input, weight, bias });
  const x = floatData(input, "conv2d");
  const w = floatData(weight, "conv2d");
  const b = bias === null ? null : floatData(bias, "conv2d");
  const y = kernel("conv2dForward")(x, w, b, geometry);
  const out = new Tensor(y, [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth]);
  const inputs = bias === null ? [input, weight] : [input, weight, bias];
  return record(out, "conv2d", inputs, (dy) => conv2dGradients(dy, input, weight, bias, geometry));
}

/** Checks conv2d's operands against each other and returns the geometry its kernels take. */
export function conv2dGeometry(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: Conv2dOptions,
): Conv2dGeometry {
  const stride = pair(options.stride ?? 1, "conv2d", "stride", 1);
  const padding = pair(options.padding ?? 0, "conv2d", "padding", 0);
  if (weight.ndim !== 4) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `conv2d: weight must be 4-D [C_out, C_in, kH, kW], got shape ${shapeToString(weight.shape)}`,
    );
  }
  const [outChannels, weightInChannels, kernelHeight, kernelWidth] = weight.shape;
  const window = window2d("conv2d", input.shape, [kernelHeight, kernelWidth], stride, padding);
  if (weightInChannels !== window.inChannels) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `conv2d: weight ${shapeToString(weight.shape)} expects ${weightInChannels} input channels, ` +
        `but the input ${shapeToString(input.shape)} has ${window.inChannels}`,
    );
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outChannels)) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `conv2d: bias must have shape [${outChannels}], got ${shapeToString(bias.shape)}`,
    );
  }
  return { ...window, outChannels };
}

/** [d input, d weight, d bias] from the gradient of conv2d's output, each only where it is needed. */
export function conv2dGradients(
  dy: FloatStorage,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  geometry: Conv2dGeometry,
): (FloatStorage | null)[] {
  return [
    input.requiresGrad ? kernel("conv2dBackwardInput")(dy, floatData(weight, "conv2d"), geometry) : null,
    weight.requiresGrad ? kernel("conv2dBackwardWeight")(dy, floatData(input, "conv2d"), geometry) : null,
    bias?.requiresGrad ? kernel("conv2dBackwardBias")(dy, geometry) : null,
  ];
}
