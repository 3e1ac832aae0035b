import { maxPool2d } from "../ops/pool.js";
import { ExplainInputError, imageTensor, slice, toMatrixOf } from "./matrix.js";
import type { Matrix, PoolResult } from "./types.js";

/**
 * Max pooling, P(i, j) = max(I(i·S : i·S + F, j·S : j·S + F)), the tutorial's P(i,j) = max(I(2i:2i+2, 2j:2j+2)) for
 * F = S = 2, computed by the library's `maxPool2d` on an output of ⌊(H − F)/S⌋ + 1 × ⌊(W − F)/S⌋ + 1: a partial
 * window at the edge is dropped, as PyTorch does, so a 5×5 map pools to 2×2.
 *
 * @throws ExplainInputError when the map is smaller than the window.
 */
export function explainPool(input: Matrix, size = 2, stride = size): PoolResult {
  if (input.length < size || input[0].length < size) {
    throw new ExplainInputError(
      `max pooling needs a map of at least ${size}×${size}, got ${input.length}×${input[0].length}`,
    );
  }
  const output = toMatrixOf(maxPool2d(imageTensor(input), size, { stride }));
  const windows = output.flatMap((row, i) =>
    row.map((max, j) => ({
      i,
      j,
      row: i * stride,
      col: j * stride,
      window: slice(input, i * stride, j * stride, size, size),
      max,
    })),
  );
  return { input, size, stride, output, windows };
}
