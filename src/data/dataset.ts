import { Tensor } from "../tensor/tensor.js";

/** One example: an input tensor and its integer class label. */
export type Example = [Tensor, number];

/** A map-style dataset, like `torch.utils.data.Dataset`: a length and random access by index. */
export interface Dataset {
  readonly length: number;
  get(index: number): Example;
}

/**
 * A dataset that can assemble a whole batch itself, faster than stacking examples one by one. The DataLoader uses
 * it when present; the result must equal stacking `get(i)` for each index.
 */
export interface BatchDataset extends Dataset {
  getBatch(indices: Int32Array): BatchData;
}

/** A batch's inputs [B, …] and labels [B], as a dataset assembles them. */
export interface BatchData {
  inputs: Tensor;
  labels: Int32Array;
}

export function isBatchDataset(d: Dataset): d is BatchDataset {
  return typeof (d as Partial<BatchDataset>).getBatch === "function";
}

/** Stacks examples of one shape [...] into a batch [B, ...] with their labels, as PyTorch's `default_collate`. */
export function stackExamples(examples: readonly Example[], indices: ArrayLike<number>): BatchData {
  const first = examples[0][0];
  const size = first.numel();
  const data = new Float32Array(size * examples.length);
  examples.forEach(([x], k) => {
    if (x.numel() !== size) throw new Error(`DataLoader: example ${indices[k]} has a different shape`);
    data.set(x.data, k * size);
  });
  return {
    inputs: new Tensor(data, [examples.length, ...first.shape]),
    labels: Int32Array.from(examples, ([, y]) => y),
  };
}
