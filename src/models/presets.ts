import type { LayerSpec, ModelSpec } from "./spec.js";

/** The tutorial's model (`seed`) and its homework variant with a third convolution (`conv3`). */
export type Arch = "seed" | "conv3";
export const ARCHS: readonly Arch[] = ["seed", "conv3"];

export function isArch(name: string): name is Arch {
  return (ARCHS as readonly string[]).includes(name);
}

/** `x = self.pool(torch.relu(self.convK(x)))`: the tutorial's convolution block, its one `pool` run again. */
const block = (conv: LayerSpec): LayerSpec[] => [conv, { type: "ReLU" }, { use: "pool" }];

/**
 * The tutorial's `MNIST_CNN` as data. `pool` is defined right after conv1 and reused after conv2 (and conv3); it has
 * no parameters, so the draws from the generator come in PyTorch's creation order all the same: conv1, conv2,
 * (conv3,) fc1. The keys and shapes are the tutorial's: conv1.weight [16, 1, 3, 3], …, fc1.weight [10, 800].
 */
const SEED: ModelSpec = {
  name: "seed",
  input: [1, 28, 28],
  layers: [
    { name: "conv1", type: "Conv2d", in_channels: 1, out_channels: 16, kernel_size: 3, stride: 1, padding: 0 },
    { type: "ReLU" },
    { name: "pool", type: "MaxPool2d", kernel_size: 2, stride: 2 },
    ...block({
      name: "conv2",
      type: "Conv2d",
      in_channels: 16,
      out_channels: 32,
      kernel_size: 3,
      stride: 1,
      padding: 0,
    }),
    { type: "Flatten" },
    { name: "fc1", type: "Linear", in_features: 32 * 5 * 5, out_features: 10 },
  ],
};

/** The homework (Câu 2): conv3 32→64 3×3 after conv2, so 5×5 → 3×3 → pool → 1×1 and fc1 takes 64·1·1 inputs. */
const CONV3: ModelSpec = {
  name: "conv3",
  input: [1, 28, 28],
  layers: [
    ...SEED.layers.slice(0, 6),
    ...block({
      name: "conv3",
      type: "Conv2d",
      in_channels: 32,
      out_channels: 64,
      kernel_size: 3,
      stride: 1,
      padding: 0,
    }),
    { type: "Flatten" },
    { name: "fc1", type: "Linear", in_features: 64 * 1 * 1, out_features: 10 },
  ],
};

/** The built-in specs by name; `convlab --arch seed|conv3`. Returns a copy, so callers may change it freely. */
export function presetSpec(arch: Arch): ModelSpec {
  return structuredClone(arch === "seed" ? SEED : CONV3);
}
