import { relu } from "../ops/relu.js";
import { imageTensor, toMatrixOf } from "./matrix.js";
import type { Matrix, ReluResult } from "./types.js";

/**
 * ReLU(x) = max(0, x) on every cell of a feature map, computed by the library's `relu`; the cells it changed are
 * the negative ones (0 stays 0).
 */
export function explainRelu(input: Matrix): ReluResult {
  const output = toMatrixOf(relu(imageTensor(input)));
  const zeroed: ReluResult["zeroed"] = [];
  input.forEach((row, i) => row.forEach((value, j) => value !== output[i][j] && zeroed.push({ i, j, value })));
  return { input, output, zeroed };
}
