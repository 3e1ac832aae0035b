/** A 2-D grid of numbers, row by row: m[i][j] is row i, column j. */
export type Matrix = number[][];

/** Languages of the explanations: the tutorial's Vietnamese, and English. */
export const LANGS = ["en", "vi"] as const;
export type Lang = (typeof LANGS)[number];

/** The worked examples of the tutorial's theory part, in its order (sections 2.1–3). */
export const TOPICS = ["conv", "padding", "relu", "pool", "fc", "pipeline"] as const;
export type Topic = (typeof TOPICS)[number];

/** A rectangle of cells: top-left (row, col) and its size; the window being explained. */
export interface Rect {
  row: number;
  col: number;
  height: number;
  width: number;
}

/** One position (i, j) of a convolution: the window it reads, the products with the kernel and their sum. */
export interface ConvWindow {
  /** Position in the feature map. */
  i: number;
  j: number;
  /** Top-left corner of the window in the padded image: (i·S, j·S). */
  row: number;
  col: number;
  /** The F×F cells of the padded image under the kernel. */
  window: Matrix;
  /** window ⊙ K, element by element (the library's `mul`). */
  products: Matrix;
  /** Σ of the products plus the bias (the library's `sum`); equal to featureMap[i][j]. */
  sum: number;
}

export interface ConvResult {
  image: Matrix;
  kernel: Matrix;
  bias: number;
  stride: number;
  padding: number;
  /** The image with `padding` zeros on every side: what the kernel actually slides over. */
  padded: Matrix;
  /** S, computed by the library's `conv2d`. */
  featureMap: Matrix;
  /** Every window, row by row (featureMap[i][j] = windows[i·W_out + j].sum). */
  windows: ConvWindow[];
}

/** One use of the output-size formula: the tutorial's unfloored value next to PyTorch's floored one. */
export interface OutputSize {
  size: number;
  kernel: number;
  padding: number;
  stride: number;
  /** (H − F + 2P)/S + 1, as the tutorial writes it. */
  unfloored: number;
  /** ⌊(H − F + 2P)/S⌋ + 1, as PyTorch (and conv2d) compute it. */
  floored: number;
}

export interface PaddingResult {
  sizes: OutputSize[];
  /** The convolutions that show each size, computed by conv2d (their feature maps have the floored size). */
  convs: ConvResult[];
}

export interface ReluResult {
  input: Matrix;
  /** ReLU(input), computed by the library's `relu`. */
  output: Matrix;
  /** The cells ReLU changed: the negative ones. */
  zeroed: { i: number; j: number; value: number }[];
}

export interface PoolWindow {
  i: number;
  j: number;
  row: number;
  col: number;
  window: Matrix;
  /** output[i][j] of the library's `maxPool2d`. */
  max: number;
}

export interface PoolResult {
  input: Matrix;
  size: number;
  stride: number;
  /** Computed by the library's `maxPool2d`. */
  output: Matrix;
  windows: PoolWindow[];
}

export interface FcResult {
  x: number[];
  weight: Matrix;
  bias: number[];
  /** products[o][k] = W[o][k]·x[k] (the library's `mul`). */
  products: Matrix;
  /** y = Wx + b, computed by the library's `linear`. */
  y: number[];
  classes: string[];
  /** Index of the largest y (the library's `argmax`): the predicted class. */
  decision: number;
}

export interface PipelineResult {
  conv: ConvResult;
  relu: ReluResult;
  pool: PoolResult;
  /** The pooled map flattened row by row ("duỗi"). */
  flat: number[];
  /** Only when the flattened vector fits the tutorial's W (4 numbers). */
  fc: FcResult | null;
  /** The pooled size had the convolution used no padding: why the tutorial's chain needs P = 1. */
  unpaddedPoolSize: number | null;
}

/** One printed value of the tutorial set against the computation. */
export interface Check {
  /** Stable id, e.g. "conv.featureMap". */
  id: string;
  /** Section of the tutorial where it is printed. */
  section: string;
  printed: Matrix | number | string;
  computed: Matrix | number;
  agrees: boolean;
  /** Cells where printed and computed differ (matrices only). */
  mismatches: { i: number; j: number; printed: number; computed: number }[];
  /** The computed cells the check is about, where it counts them (e.g. the negative values of a map). */
  cells?: { i: number; j: number; value: number }[];
}
