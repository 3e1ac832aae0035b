// The Theory part's arithmetic, with no DOM: the learner's numbers in, the library's explanations out. Every number
// the page shows comes from src/explain (conv2d, relu, maxPool2d, linear underneath), never from a loop written here.
import { explainConv } from "../src/explain/conv.js";
import { FC_CLASSES, TUTORIAL } from "../src/explain/examples.js";
import { isCustom, type ExplainInput } from "../src/explain/explain.js";
import { explainFc } from "../src/explain/fc.js";
import { ExplainInputError } from "../src/explain/matrix.js";
import { outputSizeOf } from "../src/explain/padding.js";
import { explainPool } from "../src/explain/pool.js";
import { explainRelu } from "../src/explain/relu.js";
import type { ConvResult, FcResult, Matrix, OutputSize, PoolResult, ReluResult } from "../src/explain/types.js";

/** What the learner edits: the image I, the kernel K, and the convolution's padding P and stride S. */
export interface TheoryInput {
  image: Matrix;
  kernel: Matrix;
  padding: number;
  stride: number;
}

/** The whole chain of §3 on one input: conv → ReLU → 2×2 max pool → fully connected. */
export interface TheoryResult {
  input: TheoryInput;
  conv: ConvResult;
  /** The output-size formula for the height and the width (equal for a square image and kernel). */
  sizes: { height: OutputSize; width: OutputSize };
  relu: ReluResult;
  /** Pooling of ReLU(S), or why there is none (a map smaller than the 2×2 window). */
  pool: PoolResult | ExplainInputError;
  fc: FcResult;
  /** Whether x is the chain's own pooled map (it has W's 4 numbers), else the tutorial's x of §2.4. */
  fcFromChain: boolean;
  /** The tutorial's own numbers: only then do its printed results apply and its misprints get flagged. */
  tutorial: boolean;
}

const copy = (m: Matrix): Matrix => m.map((row) => [...row]);

/** The tutorial's "7", edge kernel, P = 0 and S = 1 (fresh copies, so editing never touches TUTORIAL). */
export function tutorialInput(): TheoryInput {
  const { padding, stride } = TUTORIAL.outputSize;
  return { image: copy(TUTORIAL.image), kernel: copy(TUTORIAL.kernel), padding, stride };
}

function sameMatrix(a: Matrix, b: Matrix): boolean {
  return a.length === b.length && a.every((row, i) => row.length === b[i].length && row.every((v, j) => v === b[i][j]));
}

/**
 * The input as `convlab explain` takes it: only what differs from the tutorial is set, so the library's own
 * {@link isCustom} decides whether the tutorial's printed numbers apply, for the page and the CLI alike.
 */
export function asExplainInput(input: TheoryInput): ExplainInput {
  const t = tutorialInput();
  return {
    image: sameMatrix(input.image, t.image) ? undefined : input.image,
    kernel: sameMatrix(input.kernel, t.kernel) ? undefined : input.kernel,
    padding: input.padding === t.padding ? undefined : input.padding,
    stride: input.stride === t.stride ? undefined : input.stride,
  };
}

/** The fully connected step: on the chain's pooled map when it fits W, else on the tutorial's x, W and b of §2.4. */
function fcOf(pool: PoolResult | ExplainInputError): { fc: FcResult; fcFromChain: boolean } {
  const flat = pool instanceof ExplainInputError ? [] : pool.output.flat();
  const fcFromChain = flat.length === TUTORIAL.weight[0].length;
  const x = fcFromChain ? flat : [...TUTORIAL.x];
  return { fc: explainFc(x, TUTORIAL.weight, [...TUTORIAL.bias], FC_CLASSES), fcFromChain };
}

function poolOf(map: Matrix): PoolResult | ExplainInputError {
  try {
    return explainPool(map);
  } catch (error) {
    if (error instanceof ExplainInputError) return error;
    throw error;
  }
}

/**
 * Runs the chain on `input` through the library.
 *
 * @throws ExplainInputError when the kernel is larger than the padded image (nothing can be computed then).
 */
export function computeTheory(input: TheoryInput): TheoryResult {
  const { image, kernel, padding, stride } = input;
  // explainConv first: it turns a kernel that does not fit into a sentence for the learner, where outputSizeOf
  // would only say that the size is ≤ 0.
  const conv = explainConv(image, kernel, { padding, stride });
  const sizes = {
    height: outputSizeOf(image.length, kernel.length, padding, stride),
    width: outputSizeOf(image[0].length, kernel[0].length, padding, stride),
  };
  const relu = explainRelu(conv.featureMap);
  const pool = poolOf(relu.output);
  return { input, conv, sizes, relu, pool, ...fcOf(pool), tutorial: !isCustom(asExplainInput(input)) };
}

/**
 * A number as a learner types it: digits with an optional sign and decimals, a typographic minus "−" or a decimal
 * comma ("0,5", as Vietnamese writes it) accepted; null for anything else, including an empty cell.
 */
export function parseNumber(text: string): number | null {
  const plain = text.trim().replace(/^[−–]/, "-").replace(",", ".");
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(plain) ? Number(plain) : null;
}

/**
 * A computed value as a cell shows it: integers bare, others rounded to 2 decimals, with the ASCII minus of
 * String(number) so the page's text parses back to the number (−0 shows as 0).
 */
export function cellText(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
}
