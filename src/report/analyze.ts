import { noGrad } from "../autograd/graph.js";
import { DataLoader } from "../data/dataloader.js";
import type { MnistDataset } from "../data/mnist.js";
import type { SpecModel } from "../models/spec.js";
import { Conv2d } from "../nn/layers.js";
import { relu } from "../ops/relu.js";
import { argmax } from "../ops/reduce.js";
import { softmax } from "../ops/softmax.js";
import type { Tensor } from "../tensor/tensor.js";
import type { FeatureInput } from "./pictures.js";
import type { Plane, Prediction } from "./types.js";

/** The keys of the model's Conv2d layers in forward order: "conv1", "conv2" for the tutorial's model. */
export function convLayers(model: SpecModel): string[] {
  const keys = model.trace.filter((row) => row.layer.type === "Conv2d").map((row) => row.key);
  return [...new Set(keys)];
}

/**
 * The feature maps of layer `key` for one input [1, C, H, W], after ReLU, as the tutorial draws them:
 * `torch.relu(model.conv1(img))`, and for conv2 `torch.relu(model.conv2(model.pool(torch.relu(model.conv1(img)))))`.
 * The model runs layer by layer (in eval mode, without gradients) up to the first use of `key`.
 * Shape: [1, C_out, H_out, W_out]; a layer whose output is not 4-D (Linear, Flatten) is refused with the choices.
 */
export function featureMaps(model: SpecModel, key: string, input: Tensor): Tensor {
  const at = model.trace.findIndex((row) => row.key === key);
  if (at < 0) throw new Error(`model has no layer '${key}'; feature maps exist for ${mapLayers(model).join(", ")}`);
  const output = model.trace[at].output;
  if (output.length !== 4) {
    throw new Error(
      `${key} gives [N, ${output.slice(1).join(", ")}], not feature maps; choose one of ${mapLayers(model).join(", ")}`,
    );
  }
  model.eval();
  return noGrad(() => {
    let h = input;
    for (let i = 0; i <= at; i++) h = model.layer(model.trace[i].key).forward(h);
    return relu(h);
  });
}

/** Layers whose output is a stack of 2-D maps [N, C, H, W] (the trace's N is 1), in forward order. */
function mapLayers(model: SpecModel): string[] {
  return [...new Set(model.trace.filter((row) => row.output.length === 4).map((row) => row.key))];
}

/** The channels of a [1, C, H, W] tensor (or the kernels [C_out, C_in, kh, kw] at input channel `inChannel`) as planes. */
export function planes(t: Tensor, inChannel = 0): Plane[] {
  const [count, depth, height, width] =
    t.shape.length === 4 && t.shape[0] === 1 ? [t.shape[1], 1, t.shape[2], t.shape[3]] : t.shape;
  const size = height * width;
  return Array.from({ length: count }, (_, c) => {
    const start = (c * depth + inChannel) * size;
    return { height, width, values: Array.from(t.data.subarray(start, start + size)) };
  });
}

/** The weight [C_out, C_in, kh, kw] of Conv2d layer `key`. */
export function kernelsOf(model: SpecModel, key: string): Tensor {
  const layer = model.layer(key);
  if (!(layer instanceof Conv2d)) throw new Error(`${key} is not a Conv2d layer`);
  return layer.weight;
}

/** Every test image's predicted class and that class's softmax probability. */
export interface PredictionTable {
  predicted: Int32Array;
  probability: Float32Array;
}

/** Runs the model over the whole dataset in order (eval mode, no gradients): argmax and max softmax per image. */
export function predictAll(model: SpecModel, dataset: MnistDataset, batchSize = 256): PredictionTable {
  const predicted = new Int32Array(dataset.length);
  const probability = new Float32Array(dataset.length);
  model.eval();
  noGrad(() => {
    let offset = 0;
    for (const { inputs, labels } of new DataLoader(dataset, { batchSize })) {
      const probs = softmax(model.forward(inputs), 1);
      const best = argmax(probs, 1).data;
      const classes = probs.shape[1];
      for (let i = 0; i < labels.length; i++) {
        predicted[offset + i] = best[i];
        probability[offset + i] = probs.data[i * classes + best[i]];
      }
      offset += labels.length;
    }
  });
  return { predicted, probability };
}

/** The image of test example `index` as a plane of 0…255 pixel values. */
export function imagePlane(dataset: MnistDataset, index: number): Plane {
  return { height: dataset.height, width: dataset.width, values: dataset.pixels(index) };
}

/** The predictions for the given test indices, in that order. */
export function predictionsAt(table: PredictionTable, dataset: MnistDataset, indices: readonly number[]): Prediction[] {
  return indices.map((index) => ({
    index,
    label: dataset.label(index),
    predicted: table.predicted[index],
    probability: table.probability[index],
    image: imagePlane(dataset, index),
  }));
}

/** The `k` wrong predictions the model was surest of: largest softmax probability of the (wrong) predicted class. */
export function confidentlyWrong(table: PredictionTable, dataset: MnistDataset, k = 10): Prediction[] {
  const wrong: number[] = [];
  for (let i = 0; i < dataset.length; i++) if (table.predicted[i] !== dataset.label(i)) wrong.push(i);
  wrong.sort((a, b) => table.probability[b] - table.probability[a] || a - b);
  return predictionsAt(table, dataset, wrong.slice(0, k));
}

/** Test image `index` and the feature maps of layer `key` computed from it (as the model sees it: ToTensor, ÷255). */
export function featureInput(model: SpecModel, dataset: MnistDataset, key: string, index: number): FeatureInput {
  const { inputs, labels } = dataset.getBatch(Int32Array.of(index));
  const maps = planes(featureMaps(model, key, inputs));
  return { layer: key, index, label: labels[0], image: imagePlane(dataset, index), maps };
}
