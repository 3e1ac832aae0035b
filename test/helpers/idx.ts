import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Builds an unsigned-byte IDX file (type code 0x08) with the given dims; the magic number is implied by the rank
 * (2049 for labels `[N]`, 2051 for images `[N, 28, 28]`). `data` defaults to a deterministic pattern.
 */
export function idxBytes(dims: number[], data?: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const body = data ?? Uint8Array.from({ length: count }, (_, i) => (i * 37) % 256);
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((dim, i) => view.setUint32(4 + 4 * i, dim, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

/** mulberry32: a small seeded PRNG, so the tiny sets are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `count` learnable 28×28 images and their labels: digit d is a bright horizontal bar on rows 2+2d and 3+2d
 * (a random horizontal extent) over faint noise. Labels cycle 0..9, so every class appears in any set of 10 or more.
 */
export function tinyMnistSplit(count: number, seed = 0): { images: Uint8Array; labels: Uint8Array } {
  const random = rng(seed);
  const pixels = new Uint8Array(count * 784);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  for (let n = 0; n < count; n++) {
    const image = pixels.subarray(n * 784, (n + 1) * 784);
    for (let i = 0; i < 784; i++) image[i] = Math.floor(random() * 40);
    const row = 2 + 2 * labels[n];
    const start = 2 + Math.floor(random() * 6);
    const end = 20 + Math.floor(random() * 6);
    for (let r = row; r < row + 2; r++)
      for (let c = start; c < end; c++) image[r * 28 + c] = 200 + Math.floor(random() * 56);
  }
  return { images: idxBytes([count, 28, 28], pixels), labels: idxBytes([count], labels) };
}

/** Paths of the four files {@link writeTinyMnist} writes. */
export interface TinyMnistFiles {
  rawDir: string;
  trainImages: string;
  trainLabels: string;
  testImages: string;
  testLabels: string;
}

/**
 * Writes a tiny MNIST under `root` as torchvision lays it out: `<root>/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`
 * with `train` and `test` images (see {@link tinyMnistSplit}); the test split uses a different seed than the train one.
 */
export function writeTinyMnist(root: string, opts: { train: number; test: number; seed?: number }): TinyMnistFiles {
  const rawDir = join(root, "MNIST", "raw");
  mkdirSync(rawDir, { recursive: true });
  const seed = opts.seed ?? 0;
  const files: TinyMnistFiles = {
    rawDir,
    trainImages: join(rawDir, "train-images-idx3-ubyte"),
    trainLabels: join(rawDir, "train-labels-idx1-ubyte"),
    testImages: join(rawDir, "t10k-images-idx3-ubyte"),
    testLabels: join(rawDir, "t10k-labels-idx1-ubyte"),
  };
  const train = tinyMnistSplit(opts.train, seed);
  const test = tinyMnistSplit(opts.test, seed + 1_000_003);
  writeFileSync(files.trainImages, train.images);
  writeFileSync(files.trainLabels, train.labels);
  writeFileSync(files.testImages, test.images);
  writeFileSync(files.testLabels, test.labels);
  return files;
}
