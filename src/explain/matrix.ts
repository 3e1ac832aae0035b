import { ConvlabError } from "../errors.js";
import { preview } from "../io/json.js";
import { Tensor } from "../tensor/tensor.js";
import type { Matrix } from "./types.js";

/**
 * Why an input cannot be explained: `E_EXPLAIN_MATRIX` for a matrix that is not rows of numbers (or not JSON),
 * `E_EXPLAIN_INPUT` for inputs that do not fit together (a kernel larger than the padded image, a bad channel).
 */
export type ExplainErrorCode = "E_EXPLAIN_MATRIX" | "E_EXPLAIN_INPUT";

/** A learner's input that cannot be explained: a malformed matrix, a kernel that does not fit, a bad channel. */
export class ExplainInputError extends ConvlabError {
  declare readonly code: ExplainErrorCode;

  constructor(message: string, code: ExplainErrorCode = "E_EXPLAIN_INPUT") {
    super(code, message);
  }
}

/**
 * Checks that `value` is a non-empty rectangular matrix of finite numbers and returns a copy. `name` is how the user
 * knows the input (e.g. "--image"), so each error says which input, which row and column, and what to write instead.
 */
export function toMatrix(value: unknown, name: string): Matrix {
  const example = "write it as rows of numbers, e.g. [[1,0,1],[0,1,0]]";
  if (!Array.isArray(value) || value.length === 0) {
    throw new ExplainInputError(`${name}: expected a non-empty list of rows; ${example}`, "E_EXPLAIN_MATRIX");
  }
  const width = Array.isArray(value[0]) ? value[0].length : -1;
  return value.map((row: unknown, i) => {
    if (!Array.isArray(row) || row.length === 0) {
      throw new ExplainInputError(
        `${name}: row ${i} is not a non-empty list of numbers; ${example}`,
        "E_EXPLAIN_MATRIX",
      );
    }
    if (row.length !== width) {
      throw new ExplainInputError(
        `${name}: the matrix is ragged: row ${i} has ${row.length} numbers but row 0 has ${width}; ` +
          `every row needs the same length`,
        "E_EXPLAIN_MATRIX",
      );
    }
    return row.map((cell: unknown, j) => {
      if (typeof cell !== "number" || !Number.isFinite(cell)) {
        throw new ExplainInputError(
          `${name}: row ${i}, column ${j} is ${preview(cell, 40)}, not a number`,
          "E_EXPLAIN_MATRIX",
        );
      }
      return cell;
    });
  });
}

/** {@link toMatrix} of JSON text, as given on the command line (`--image '[[1,0],[0,1]]'`). */
export function parseMatrix(text: string, name: string): Matrix {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExplainInputError(
      `${name}: not valid JSON (${(error as Error).message}); quote it for the shell: ${name} '[[1,0],[0,1]]'`,
      "E_EXPLAIN_MATRIX",
    );
  }
  return toMatrix(value, name);
}

/**
 * Float64 keeps the tutorial's decimals (0.1, 0.3, …) as exact as JavaScript numbers, so its arithmetic can be checked
 * without float32 rounding noise; float64 runs on the reference kernels, the plain loops that follow the formulas.
 */
export function imageTensor(m: Matrix): Tensor {
  return new Tensor(Float64Array.from(m.flat()), [1, 1, m.length, m[0].length]);
}

export function vectorTensor(v: number[]): Tensor {
  return new Tensor(Float64Array.from(v), [1, v.length]);
}

export function matrixTensor(m: Matrix): Tensor {
  return new Tensor(Float64Array.from(m.flat()), [m.length, m[0].length]);
}

/**
 * Rounds away binary floating-point noise: 0.5·2 + 0.2 + 0.3 + 0.8 + 0.1 is 2.4000000000000004 in float64, and the
 * learner should see the 2.4 it means. 12 significant digits keep every real difference of the examples.
 */
export function clean(x: number): number {
  const r = Number(x.toPrecision(12));
  return r === 0 ? 0 : r;
}

/** The last two dims of a tensor as a matrix of cleaned numbers (an [.., H, W] tensor with one H×W plane). */
export function toMatrixOf(t: Tensor): Matrix {
  const [h, w] = t.shape.slice(-2);
  return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => clean(t.data[i * w + j])));
}

/** Rows row..row+height−1, columns col..col+width−1 of `m`. */
export function slice(m: Matrix, row: number, col: number, height: number, width: number): Matrix {
  return m.slice(row, row + height).map((r) => r.slice(col, col + width));
}

/** `m` with `p` zeros on every side, as conv2d pads it. */
export function pad(m: Matrix, p: number): Matrix {
  const width = m[0].length + 2 * p;
  const zeros = () => new Array<number>(width).fill(0);
  const side = new Array<number>(p).fill(0);
  return [
    ...Array.from({ length: p }, zeros),
    ...m.map((r) => [...side, ...r, ...side]),
    ...Array.from({ length: p }, zeros),
  ];
}

/** |a − b| ≤ 1e-9 + 1e-9·|b|: equal up to float64 rounding, which is all the examples can differ by. */
export function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 + 1e-9 * Math.abs(b);
}

/** The cells where two matrices differ; a shape mismatch counts every cell of `computed`. */
export function diffMatrices(
  printed: Matrix,
  computed: Matrix,
): { i: number; j: number; printed: number; computed: number }[] {
  const out: { i: number; j: number; printed: number; computed: number }[] = [];
  computed.forEach((row, i) =>
    row.forEach((value, j) => {
      const p = printed[i]?.[j] ?? NaN;
      if (!sameNumber(p, value)) out.push({ i, j, printed: p, computed: value });
    }),
  );
  return out;
}
