import { kernel } from "../kernels/registry.js";
import { Tensor } from "../tensor/tensor.js";
import type { BatchData, BatchDataset, Example } from "./dataset.js";
import type { IdxArray } from "./idx.js";
import { toTensor, type Transform } from "./transforms.js";

/**
 * MNIST held as its raw bytes (47 MB for the 60,000 training images, against 188 MB as float32); each image becomes
 * a float32 [1, 28, 28] tensor in [0, 1] (torchvision's ToTensor) only when a batch asks for it.
 *
 * Build it from parsed IDX arrays; `loadMnist` in `convlab/node` finds and reads the files.
 */
export class MnistDataset implements BatchDataset {
  readonly length: number;
  readonly height: number;
  readonly width: number;

  constructor(
    readonly images: IdxArray,
    readonly labels: IdxArray,
    /** Applied after ToTensor to each image, e.g. `normalize([0.1307], [0.3081])`; the tutorial uses none. */
    readonly transform: Transform | null = null,
  ) {
    const [count, height, width] = images.dims;
    if (labels.dims[0] !== count) {
      throw new Error(`MnistDataset: ${count} images but ${labels.dims[0]} labels`);
    }
    this.length = count;
    this.height = height;
    this.width = width;
  }

  /** The raw 8-bit pixels of image `index`, a view of H·W bytes. */
  pixels(index: number): Uint8Array {
    this.checkIndex(index);
    const size = this.height * this.width;
    return this.images.data.subarray(index * size, (index + 1) * size);
  }

  label(index: number): number {
    this.checkIndex(index);
    return this.labels.data[index];
  }

  get(index: number): Example {
    const image = toTensor(this.pixels(index), this.height, this.width);
    return [this.transform === null ? image : this.transform(image), this.label(index)];
  }

  /**
   * A batch [B, 1, H, W] converted straight from the bytes (÷255) by the backend, then transformed as a whole. Inside
   * a tidy() scope it is made, like any kernel's result, in the backend's memory, where the first convolution reads it.
   */
  getBatch(indices: Int32Array): BatchData {
    const size = this.height * this.width;
    const starts = new Int32Array(indices.length);
    const labels = new Int32Array(indices.length);
    for (let b = 0; b < indices.length; b++) {
      this.checkIndex(indices[b]);
      labels[b] = this.labels.data[indices[b]];
      starts[b] = indices[b] * size;
    }
    const pixels = kernel("bytesToUnit")(this.images.data, starts, size);
    const inputs = new Tensor(pixels, [indices.length, 1, this.height, this.width]);
    return { inputs: this.transform === null ? inputs : this.transform(inputs), labels };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`MnistDataset: index ${index} is out of range [0, ${this.length})`);
    }
  }
}
