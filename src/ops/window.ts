/** A size given once for both spatial dimensions, or as [height, width], as PyTorch's `_pair`. */
export type IntPair = number | readonly [number, number];

export function pair(value: IntPair, op: string, name: string, min: number): [number, number] {
  const [h, w] = typeof value === "number" ? [value, value] : value;
  for (const v of [h, w]) {
    if (!Number.isInteger(v) || v < min) {
      throw new Error(`${op}: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
    }
  }
  return [h, w];
}

/**
 * Output size of a sliding window: ⌊(size + 2·pad − kernel) / stride⌋ + 1, PyTorch's floor mode. The tutorial writes
 * it (H − F + 2P)/S + 1, exact when S divides H − F + 2P; otherwise the last partial window is dropped.
 */
export function outputSize(op: string, dim: string, size: number, kernel: number, stride: number, pad: number): number {
  const out = Math.floor((size + 2 * pad - kernel) / stride) + 1;
  if (out < 1) {
    throw new Error(
      `${op}: the ${dim} ${size} is too small for a window of ${kernel} with padding ${pad}: ` +
        `⌊(${size} + 2·${pad} − ${kernel}) / ${stride}⌋ + 1 = ${out} ≤ 0`,
    );
  }
  return out;
}
