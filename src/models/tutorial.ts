import type { Conv2d, Linear, MaxPool2d } from "../nn/layers.js";
import type { Generator } from "../tensor/random.js";
import { presetSpec, type Arch } from "./presets.js";
import { SpecModel } from "./spec.js";

export { ARCHS, isArch, type Arch } from "./presets.js";

/**
 * The tutorial's `MNIST_CNN`, layer for layer, so its state dict keys match PyTorch's (`conv1.weight`, …, `fc1.bias`):
 *
 *   [N,1,28,28] conv1 3×3 → [N,16,26,26] relu, pool → [N,16,13,13]
 *               conv2 3×3 → [N,32,11,11] relu, pool → [N,32,5,5]   (⌊11/2⌋ = 5: floor mode drops the last row)
 *   seed:  flatten → [N,800] fc1 → [N,10]
 *   conv3: conv3 3×3 → [N,64,3,3] relu, pool → [N,64,1,1], flatten → [N,64] fc1 → [N,10]
 *
 * Built from the preset spec of the same name (see presets.ts), whose layers are created in an order that draws
 * the initial weights as PyTorch does (conv1, conv2, conv3, fc1), so with the same `manualSeed` they equal PyTorch's.
 * The layers are also properties, as the attributes of the PyTorch class.
 */
export class MnistCNN extends SpecModel {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly conv3: Conv2d | null;
  readonly pool: MaxPool2d;
  readonly fc1: Linear;

  constructor(
    readonly arch: Arch = "seed",
    options: { generator?: Generator } = {},
  ) {
    super(presetSpec(arch), options);
    this.conv1 = this.layer("conv1") as Conv2d;
    this.conv2 = this.layer("conv2") as Conv2d;
    this.conv3 = arch === "conv3" ? (this.layer("conv3") as Conv2d) : null;
    this.pool = this.layer("pool") as MaxPool2d;
    this.fc1 = this.layer("fc1") as Linear;
  }
}
