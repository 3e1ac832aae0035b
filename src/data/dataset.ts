import type { Tensor } from "../tensor/tensor.js";

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
  getBatch(indices: Int32Array): { inputs: Tensor; labels: Int32Array };
}

export function isBatchDataset(d: Dataset): d is BatchDataset {
  return typeof (d as Partial<BatchDataset>).getBatch === "function";
}
