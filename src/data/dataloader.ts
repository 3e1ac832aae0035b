import { Tensor } from "../tensor/tensor.js";
import { defaultGenerator, Generator } from "../tensor/random.js";
import { isBatchDataset, stackExamples, type Dataset } from "./dataset.js";

export interface DataLoaderOptions {
  /** Examples per batch. Default 1, as PyTorch. */
  batchSize?: number;
  /** A new random order every epoch. Default false. */
  shuffle?: boolean;
  /** Drop the last, smaller batch. Default false, so 60,000 / 64 gives 938 batches, the last of 32. */
  dropLast?: boolean;
  /** The generator that seeds each epoch's order. Default: the global one (`manualSeed`). */
  generator?: Generator;
}

/**
 * One batch. As an object, `{ inputs, labels }` with the labels as an Int32Array; destructured as a pair, PyTorch's
 * `images, labels` as two tensors: `for (const [images, labels] of trainLoader)` gives images [B, 1, 28, 28] and
 * labels, an int32 tensor [B] (PyTorch: int64) sharing the same array.
 */
export type Batch = readonly [images: Tensor, labels: Tensor] & {
  /** [B, …] inputs: the examples stacked along a new first dimension. */
  readonly inputs: Tensor;
  /** [B] class labels. */
  readonly labels: Int32Array;
};

/** A batch from its inputs and labels, usable both ways (see {@link Batch}). */
export function makeBatch(inputs: Tensor, labels: Int32Array): Batch {
  return Object.assign([inputs, new Tensor(labels, [labels.length])] as const, { inputs, labels });
}

/**
 * The first item of an iterable, or the next of an iterator: Python's `next(iter(test_loader))`, the tutorial's way
 * to take one batch, is `next(testLoader)` here. Throws when there is none.
 */
export function next<T>(source: Iterable<T> | Iterator<T>): T {
  const iterator = Symbol.iterator in source ? source[Symbol.iterator]() : source;
  const step = iterator.next();
  if (step.done === true) throw new Error("next(): the iterable is empty (a DataLoader over an empty dataset?)");
  return step.value;
}

/**
 * Batches of a dataset, as `torch.utils.data.DataLoader` with the default sampler. Iterating it gives one epoch.
 *
 * The shuffle follows PyTorch's exactly: each epoch draws a base seed (unused here: there are no workers) and a
 * sampler seed from the generator, then permutes with `randperm` on a generator seeded with it. So after the same
 * `manualSeed`, and the same draws before (model init), the batches hold the same examples as PyTorch's.
 */
export class DataLoader implements Iterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private readonly generator: Generator;

  constructor(
    readonly dataset: Dataset,
    options: DataLoaderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.generator = options.generator ?? defaultGenerator;
  }

  /** Number of batches per epoch, `len(loader)`. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The order of one epoch: 0..n−1, or a fresh permutation (PyTorch's RandomSampler + randperm). */
  epochOrder(): Int32Array {
    const n = this.dataset.length;
    // _BaseDataLoaderIter draws its base seed first: an int64 from two 32-bit words.
    this.generator.random();
    this.generator.random();
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    // RandomSampler draws an int64 seed for its own generator; mt19937 keeps its low 32 bits, the second word.
    this.generator.random();
    const sampler = new Generator(this.generator.random());
    return randperm(n, sampler);
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const order = this.epochOrder();
    for (let b = 0; b < this.length; b++) {
      const indices = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      yield this.collate(indices);
    }
  }

  private collate(indices: Int32Array): Batch {
    if (isBatchDataset(this.dataset)) {
      const { inputs, labels } = this.dataset.getBatch(indices);
      return makeBatch(inputs, labels);
    }
    const { inputs, labels } = stackExamples(
      Array.from(indices, (i) => this.dataset.get(i)),
      indices,
    );
    return makeBatch(inputs, labels);
  }
}

/** A random permutation of 0..n−1, as PyTorch's CPU `randperm` (a Fisher–Yates shuffle drawing from `generator`). */
export function randperm(n: number, generator: Generator): Int32Array {
  const r = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n - 1; i++) {
    const z = generator.randomInt(n - i);
    const saved = r[i];
    r[i] = r[z + i];
    r[z + i] = saved;
  }
  return r;
}
