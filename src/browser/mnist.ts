import { checkMnistPair, parseMnistImages, parseMnistLabels, type IdxArray } from "../data/idx.js";
import { MnistDataset } from "../data/mnist.js";

/** Options of {@link fetchMnist}. */
export interface FetchMnistOptions {
  /** The folder URL holding `<name>.gz` for each IDX file, such as the lab's `./mnist/`. */
  base: string | URL;
  /** The 60,000 training images (default) or the 10,000 test images. */
  train?: boolean;
  /** Bytes received so far of the split's files, for a progress bar. */
  onProgress?: (received: number) => void;
}

/**
 * Downloads one IDX file, gzipped or not: the parsers inflate gzip themselves (checking its CRC), and some static
 * hosts serve `.gz` files with `Content-Encoding: gzip`, so the browser has already inflated them.
 */
async function fetchIdx(url: URL, count: (bytes: number) => void): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`${url}: the request failed (${(error as Error).message}); is the lab's server still running?`, {
      cause: error,
    });
  }
  if (!response.ok || response.body === null) {
    throw new Error(
      `${url}: the server answered ${response.status} ${response.statusText}; serve the four MNIST .gz files there`,
    );
  }
  const chunks: Uint8Array[] = [];
  const reader = response.body.getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value);
      count(next.value.byteLength);
    }
  } catch (error) {
    throw new Error(`${url}: the download broke off (${(error as Error).message}); reload to try again`, {
      cause: error,
    });
  }
  // Fetch's chunks are never views of shared memory, which is what BlobPart's typing rules out.
  return new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

/**
 * torchvision's `datasets.MNIST(train=…)` for a web page: fetches `<base>/<prefix>-images-idx3-ubyte.gz` and the
 * labels beside it (gzipped, or already inflated by the browser), checks them as the Node loader does (an {@link IdxError} names the URL and what is wrong), and
 * returns the split as a dataset of [1, 28, 28] tensors in [0, 1].
 */
export async function fetchMnist(options: FetchMnistOptions): Promise<MnistDataset> {
  const prefix = options.train === false ? "t10k" : "train";
  const base = new URL(options.base, globalThis.location?.href);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  let received = 0;
  const count = (bytes: number) => {
    received += bytes;
    options.onProgress?.(received);
  };
  const imagesUrl = new URL(`${prefix}-images-idx3-ubyte.gz`, base);
  const labelsUrl = new URL(`${prefix}-labels-idx1-ubyte.gz`, base);
  const [imageBytes, labelBytes] = await Promise.all([fetchIdx(imagesUrl, count), fetchIdx(labelsUrl, count)]);
  const images: IdxArray = parseMnistImages(imageBytes, String(imagesUrl));
  const labels: IdxArray = parseMnistLabels(labelBytes, String(labelsUrl));
  checkMnistPair(images, labels, `${base.href}${prefix}-{images,labels}-idx?-ubyte.gz`);
  return new MnistDataset(images, labels, null);
}
