import {
  isBatchDataset,
  stackExamples,
  type BatchData,
  type BatchDataset,
  type Dataset,
  type Example,
} from "./dataset.js";

/**
 * The examples of `dataset` at `indices`, in that order, as `torch.utils.data.Subset`: `new Subset(train,
 * range(2000))` trains on the first 2,000 images only, for a quick run. Batches are assembled by the dataset itself
 * where it can (MNIST's), so a subset loads as fast as the whole.
 */
export class Subset implements BatchDataset {
  readonly indices: Int32Array;

  constructor(
    readonly dataset: Dataset,
    indices: ArrayLike<number>,
  ) {
    this.indices = Int32Array.from(indices);
    for (const i of this.indices) {
      if (!(i >= 0 && i < dataset.length)) {
        throw new RangeError(`Subset: index ${i} is out of range for a dataset of ${dataset.length} examples`);
      }
    }
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number): Example {
    if (!Number.isInteger(index) || index < 0 || index >= this.indices.length) {
      throw new RangeError(`Subset: index ${index} is out of range [0, ${this.indices.length})`);
    }
    return this.dataset.get(this.indices[index]);
  }

  getBatch(indices: Int32Array): BatchData {
    const mapped = indices.map((i) => this.indices[i]);
    if (isBatchDataset(this.dataset)) return this.dataset.getBatch(mapped);
    return stackExamples(
      Array.from(mapped, (i) => this.dataset.get(i)),
      mapped,
    );
  }
}

/** 0, 1, …, n − 1, as Python's `range(n)`: `new Subset(trainDataset, range(2000))`. */
export function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * The first `limit` examples of `dataset` (a quick run's `--train-limit`), or the dataset itself when `limit` is 0,
 * absent, or not smaller than it.
 */
export function firstExamples<D extends BatchDataset>(dataset: D, limit: number | undefined): D | Subset {
  return limit !== undefined && limit > 0 && limit < dataset.length ? new Subset(dataset, range(limit)) : dataset;
}
