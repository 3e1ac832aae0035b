import { conv2d } from "../ops/conv2d.js";
import { mul } from "../ops/arithmetic.js";
import { sum } from "../ops/reduce.js";
import { Tensor } from "../tensor/tensor.js";
import { ExplainInputError, clean, imageTensor, matrixTensor, pad, sameNumber, slice, toMatrixOf } from "./matrix.js";
import type { ConvResult, ConvWindow, Matrix } from "./types.js";

export interface ConvOptions {
  stride?: number;
  padding?: number;
  /** Added to every sum, as conv1's bias; the tutorial has none (0). */
  bias?: number;
}

/**
 * The tutorial's convolution, computed by the library and taken apart window by window:
 *
 *   S(i, j) = Σ_{m=0}^{F−1} Σ_{n=0}^{F−1} I(i·S + m − P, j·S + n − P) · K(m, n) + b
 *
 * (with stride S = 1, padding P = 0 and no bias, the tutorial's S(i,j) = Σ_m Σ_n I(i+m, j+n)·K(m,n)), on an output of
 * ⌊(H − F + 2P)/S⌋ + 1 × ⌊(W − F + 2P)/S⌋ + 1. The feature map comes from `conv2d`; each window's products from `mul`
 * and their total from `sum`, so the step-by-step view and the map are two computations that must agree.
 *
 * @throws ExplainInputError when the kernel is larger than the padded image.
 */
export function explainConv(image: Matrix, kernel: Matrix, options: ConvOptions = {}): ConvResult {
  const { stride = 1, padding = 0, bias = 0 } = options;
  const [h, w] = [image.length, image[0].length];
  const [kh, kw] = [kernel.length, kernel[0].length];
  if (kh > h + 2 * padding || kw > w + 2 * padding) {
    throw new ExplainInputError(
      `the kernel (${kh}×${kw}) is larger than the padded image (${h + 2 * padding}×${w + 2 * padding}: ` +
        `${h}×${w} with padding ${padding}); use a smaller kernel, a larger image or more padding`,
    );
  }
  const k = matrixTensor(kernel);
  const b = new Tensor(Float64Array.of(bias), [1]);
  const featureMap = toMatrixOf(conv2d(imageTensor(image), imageTensor(kernel), b, { stride, padding }));
  const padded = pad(image, padding);
  const windows: ConvWindow[] = [];
  featureMap.forEach((row, i) =>
    row.forEach((value, j) => {
      const window = slice(padded, i * stride, j * stride, kh, kw);
      const products = mul(matrixTensor(window), k);
      const total = clean(sum(products).item() + bias);
      // Two routes to one number; if they ever part, the explanation would be teaching a wrong sum.
      if (!sameNumber(total, value)) {
        throw new Error(`explainConv: the window sum ${total} at (${i}, ${j}) differs from conv2d's ${value}`);
      }
      windows.push({ i, j, row: i * stride, col: j * stride, window, products: toMatrixOf(products), sum: total });
    }),
  );
  return { image, kernel, bias, stride, padding, padded, featureMap, windows };
}
