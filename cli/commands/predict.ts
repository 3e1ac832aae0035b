import { basename, join } from "node:path";
import { grayPng } from "../../src/data/gray-png.js";
import {
  MNIST_CANVAS,
  preprocessDigit,
  PreprocessError,
  type GrayImage,
  type PreprocessedDigit,
} from "../../src/data/preprocess.js";
import { writeFileAtomic } from "../../src/node/atomic.js";
import { noGrad } from "../../src/autograd/graph.js";
import { softmax } from "../../src/ops/softmax.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { readImageFile } from "../../src/node/image-file.js";
import { loadSplit, type DataFlags } from "../data.js";
import { loadTrainedModel } from "../../src/node/model-file.js";
import type { Lang } from "../../src/explain/index.js";
import { localeLang } from "../options.js";
import { CliError, cliMessages } from "../messages.js";

export interface PredictFlags extends DataFlags {
  weights: string;
  /** A preset (seed, conv3) or the path of a model spec file; default: from the weights file. */
  arch?: string;
  /** Predict image N of the MNIST test set instead of image files. */
  mnistIndex?: number;
  json: boolean;
  /** A folder for each input's 28×28 picture as the model saw it (`<input>.seen.png`, 224×224). */
  out?: string;
  /** Language of the printed lines (not of --json); default from the locale. */
  lang?: Lang;
}

/** How many of the most probable classes to show. */
const TOP = 3;
/** Pixels of one MNIST image. */
const PIXELS = MNIST_CANVAS * MNIST_CANVAS;

/** One input ready for the model: a [1, 28, 28] image, where it came from, and what is known about it. */
interface Input {
  /** The file, or "MNIST test image N" (--json's `input`, language-neutral). */
  name: string;
  image: Tensor;
  /** For --mnist-index: the test image's index and label. */
  mnistIndex?: number;
  label?: number;
  /** What each preprocessing step decided, for image files. */
  steps?: Omit<PreprocessedDigit, "tensor" | "image">;
  /** The 28×28 picture the model sees. */
  seen: GrayImage;
}

/** A class and its probability, softmax(logits)_k. */
interface Guess {
  digit: number;
  probability: number;
}

/**
 * An image file prepared as MNIST's digits were (see src/data/preprocess.ts). Errors name the file and the fix; the
 * file errors (missing, not an image, truncated) already do.
 */
function fromFile(path: string): Input {
  const { width, height, data } = readImageFile(path);
  let digit: PreprocessedDigit;
  try {
    digit = preprocessDigit(data, width, height, 4);
  } catch (error) {
    // A picture with no digit gets the CLI's advice; a broken one (bad size, bad pixels) keeps its own message.
    if (!(error instanceof PreprocessError) || error.code !== "E_IMAGE_NO_DIGIT") throw error;
    throw new CliError("noDigit", [path, error.message], { cause: error });
  }
  const { tensor, image, ...steps } = digit;
  return { name: path, image: tensor, steps, seen: image };
}

/** Image N of the MNIST test set, as train and eval feed it (ToTensor only: it is already an MNIST digit). */
async function fromMnist(flags: PredictFlags, index: number): Promise<Input> {
  const testSet = await loadSplit(flags, false, flags.json);
  if (index >= testSet.length) throw new CliError("mnistIndexRange", [index, testSet.length - 1]);
  const [image, label] = testSet.get(index);
  const seen = { data: image.data as Float32Array, width: MNIST_CANVAS, height: MNIST_CANVAS };
  return { name: cliMessages("en").predict.mnistImage(index), image, mnistIndex: index, label, seen };
}

/** Pixels per MNIST pixel in the saved picture of what the model saw (224×224). */
const SEEN_SCALE = 8;

/** Writes the 28×28 picture the model saw, enlarged, as `<out>/<input>.seen.png`; returns its path. */
function writeSeen(out: string, input: Input): string {
  const stem = input.mnistIndex === undefined ? basename(input.name) : `mnist-test-${input.mnistIndex}`;
  const path = join(out, `${stem}.seen.png`);
  writeFileAtomic(path, grayPng(input.seen, SEEN_SCALE));
  return path;
}

/** The `TOP` most probable classes of each row of [N, C] probabilities, most probable first. */
function topClasses(probabilities: Tensor): Guess[][] {
  const [rows, classes] = probabilities.shape;
  const p = probabilities.data;
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: classes }, (_, k) => ({ digit: k, probability: p[r * classes + k] }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, TOP),
  );
}

/**
 * `convlab predict`: the top-3 classes, with softmax probabilities, of each image file (prepared as an MNIST digit)
 * or of one MNIST test image. Every input is read and prepared before any is predicted, so a bad file fails the
 * command before it prints anything.
 */
export async function predictCommand(images: string[], flags: PredictFlags): Promise<void> {
  if (images.length > 0 === (flags.mnistIndex !== undefined)) {
    throw new CliError(images.length > 0 ? "imagesAndIndex" : "nothingToPredict", []);
  }
  const { choice, model } = loadTrainedModel(flags.weights, flags.arch);
  const inputs = flags.mnistIndex !== undefined ? [await fromMnist(flags, flags.mnistIndex)] : images.map(fromFile);

  const batch = new Float32Array(inputs.length * PIXELS);
  inputs.forEach((input, i) => batch.set(input.image.data, i * PIXELS));
  model.eval();
  const probabilities = noGrad(() =>
    softmax(model.forward(new Tensor(batch, [inputs.length, 1, MNIST_CANVAS, MNIST_CANVAS])), 1),
  );
  const tops = topClasses(probabilities);

  const written = flags.out === undefined ? [] : inputs.map((input) => writeSeen(flags.out!, input));
  if (flags.json) {
    const predictions = inputs.map(({ name, label, steps, seen }, i) => ({
      input: name,
      label,
      top: tops[i],
      // The 28×28 picture the model saw, as a PNG data URL (any browser or notebook shows it).
      seen: `data:image/png;base64,${Buffer.from(grayPng(seen)).toString("base64")}`,
      ...(written[i] !== undefined ? { seenFile: written[i] } : {}),
      ...steps,
    }));
    console.log(JSON.stringify({ weights: flags.weights, arch: choice.arch, predictions }));
    return;
  }
  const m = cliMessages(flags.lang ?? localeLang()).predict;
  inputs.forEach((input, i) => {
    const name = input.mnistIndex === undefined ? input.name : m.mnistImage(input.mnistIndex);
    const label = input.label === undefined ? "" : m.label(input.label);
    console.log(`${name}${label}: ${tops[i][0].digit}`);
    for (const { digit, probability } of tops[i]) {
      console.log(`  ${digit}  ${(100 * probability).toFixed(2).padStart(6)}%`);
    }
    if (written[i] !== undefined) console.log(`  ${m.seen(written[i])}`);
  });
}
