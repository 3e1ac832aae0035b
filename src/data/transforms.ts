import { kernel } from "../kernels/registry.js";
import { Tensor, shapeToString } from "../tensor/tensor.js";

/** A transform of one image, as torchvision's: a function from an input to a tensor. */
export type Transform = (input: Tensor) => Tensor;

/**
 * torchvision's `ToTensor` for 8-bit images: [H, W] or [C, H, W] bytes in 0..255 → float32 [C, H, W] in [0, 1],
 * dividing by 255.
 */
export function toTensor(pixels: Uint8Array, height: number, width: number, channels = 1): Tensor {
  if (pixels.length !== channels * height * width) {
    throw new Error(`toTensor: ${pixels.length} bytes do not make a ${channels}×${height}×${width} image`);
  }
  return new Tensor(kernel("bytesToUnit")(pixels, Int32Array.of(0), pixels.length), [channels, height, width]);
}

/**
 * torchvision's `Normalize(mean, std)`: out[c] = (x[c] − mean[c]) / std[c] per channel of a [C, H, W] (or [N, C, H, W])
 * tensor. MNIST's usual values are mean 0.1307, std 0.3081; the tutorial uses no normalisation.
 */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  if (mean.length !== std.length || std.some((s) => !(s > 0))) {
    throw new Error(`normalize: need one mean and one positive std per channel, got mean ${mean} std ${std}`);
  }
  return (input) => {
    const channelDim = input.ndim - 3;
    const channels = input.shape[channelDim];
    if (channelDim < 0 || (channels !== mean.length && mean.length !== 1)) {
      throw new Error(`normalize: expected [C, H, W] with C = ${mean.length}, got ${shapeToString(input.shape)}`);
    }
    const plane = input.shape[channelDim + 1] * input.shape[channelDim + 2];
    const src = input.data;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const c = mean.length === 1 ? 0 : Math.floor(i / plane) % channels;
      out[i] = (src[i] - mean[c]) / std[c];
    }
    return new Tensor(out, input.shape);
  };
}

/** Applies transforms in order, as torchvision's `Compose`. */
export function compose(...transforms: Transform[]): Transform {
  return (input) => transforms.reduce((x, t) => t(x), input);
}
