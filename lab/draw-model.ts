// What the model makes of one prepared drawing: the class probabilities and every convolution's feature maps. No DOM
// here, so the same reading could be checked in Node against `convlab predict`.
import { noGrad } from "../src/autograd/graph.js";
import { MNIST_CANVAS } from "../src/data/preprocess.js";
import { specInput, type SpecModel } from "../src/models/spec.js";
import { unsqueeze } from "../src/ops/shape.js";
import { softmax } from "../src/ops/softmax.js";
import { convLayers, featureMaps, planes } from "../src/report/analyze.js";
import type { Plane } from "../src/report/types.js";
import type { Tensor } from "../src/tensor/tensor.js";

/** The feature maps of one Conv2d layer, after ReLU: one plane per output channel. */
export interface LayerMaps {
  key: string;
  planes: Plane[];
}

/** The model's reading of one digit. */
export interface DigitReading {
  /** softmax(logits)_k for k = 0 … 9: sums to 1. */
  probabilities: number[];
  /** The most probable class: argmax of the probabilities. */
  best: number;
  /** Each Conv2d layer's feature maps, in forward order (conv1, conv2 for the tutorial's model). */
  maps: LayerMaps[];
}

/**
 * Runs `model` on one digit as `convlab predict` does: eval mode, no gradients, softmax over the logits; then each
 * convolution's feature maps as the tutorial draws them (`torch.relu(model.conv1(img))`, …).
 * Shape: `digit` [1, 28, 28] (preprocessDigit's tensor) → a batch of one, [1, 1, 28, 28] → logits [1, 10].
 */
export function readDigit(model: SpecModel, digit: Tensor): DigitReading {
  const [channels, height, width] = specInput(model.spec);
  if (channels !== 1 || height !== MNIST_CANVAS || width !== MNIST_CANVAS) {
    throw new Error(`this model takes ${channels}×${height}×${width} inputs, not MNIST's 1×28×28 digits`);
  }
  model.eval();
  const input = noGrad(() => unsqueeze(digit, 0));
  const softmaxed = noGrad(() => softmax(model.forward(input), 1));
  const probabilities = Array.from(softmaxed.data);
  const best = probabilities.indexOf(Math.max(...probabilities));
  const maps = convLayers(model).map((key) => ({ key, planes: planes(featureMaps(model, key, input)) }));
  return { probabilities, best, maps };
}
