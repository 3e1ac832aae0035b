import { Conv2d, Linear, MaxPool2d } from "../nn/layers.js";
import { Module } from "../nn/module.js";
import { relu } from "../ops/relu.js";
import { flatten } from "../ops/shape.js";
import type { Tensor } from "../tensor/tensor.js";

/** The tutorial's model (`seed`) and its homework variant with a third convolution (`conv3`). */
export type Arch = "seed" | "conv3";
export const ARCHS: readonly Arch[] = ["seed", "conv3"];

/**
 * The tutorial's `MNIST_CNN`, layer for layer, so its state dict keys match PyTorch's (`conv1.weight`, …, `fc1.bias`):
 *
 *   [N,1,28,28] conv1 3×3 → [N,16,26,26] relu, pool → [N,16,13,13]
 *               conv2 3×3 → [N,32,11,11] relu, pool → [N,32,5,5]   (⌊11/2⌋ = 5: floor mode drops the last row)
 *   seed:  flatten → [N,800] fc1 → [N,10]
 *   conv3: conv3 3×3 → [N,64,3,3] relu, pool → [N,64,1,1], flatten → [N,64] fc1 → [N,10]
 *
 * Layers are created in the tutorial's order (conv1, conv2, conv3, pool, fc1), so with the same `manualSeed` the
 * initial weights equal PyTorch's.
 */
export class MnistCNN extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly conv3: Conv2d | null;
  readonly pool: MaxPool2d;
  readonly fc1: Linear;

  constructor(readonly arch: Arch = "seed") {
    super();
    this.conv1 = new Conv2d(1, 16, 3, { stride: 1, padding: 0 });
    this.conv2 = new Conv2d(16, 32, 3, { stride: 1, padding: 0 });
    this.conv3 = arch === "conv3" ? new Conv2d(32, 64, 3, { stride: 1, padding: 0 }) : null;
    this.pool = new MaxPool2d(2, { stride: 2 });
    this.fc1 = new Linear(arch === "conv3" ? 64 * 1 * 1 : 32 * 5 * 5, 10);
  }

  forward(x: Tensor): Tensor {
    x = this.pool.forward(relu(this.conv1.forward(x)));
    x = this.pool.forward(relu(this.conv2.forward(x)));
    if (this.conv3 !== null) x = this.pool.forward(relu(this.conv3.forward(x)));
    return this.fc1.forward(flatten(x, 1));
  }
}

export function isArch(name: string): name is Arch {
  return (ARCHS as readonly string[]).includes(name);
}
