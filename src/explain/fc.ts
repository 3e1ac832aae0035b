import { mul } from "../ops/arithmetic.js";
import { linear } from "../ops/matmul.js";
import { argmax } from "../ops/reduce.js";
import { Tensor } from "../tensor/tensor.js";
import { clean, matrixTensor, toMatrixOf, vectorTensor } from "./matrix.js";
import type { FcResult, Matrix } from "./types.js";

/**
 * The fully connected layer y = Wx + b, i.e. y_o = Σ_k W[o][k]·x[k] + b[o], computed by the library's `linear`; the
 * terms W[o][k]·x[k] by `mul` (x broadcast over W's rows), and the decision by `argmax`: the class with the largest y.
 */
export function explainFc(x: number[], weight: Matrix, bias: number[], classes: string[]): FcResult {
  const y = linear(vectorTensor(x), matrixTensor(weight), new Tensor(Float64Array.from(bias), [bias.length]));
  const products = toMatrixOf(mul(matrixTensor(weight), vectorTensor(x)));
  const values = Array.from(y.data, clean);
  return { x, weight, bias, products, y: values, classes, decision: argmax(y).item() };
}
