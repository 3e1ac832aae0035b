import { allocLike, type FloatStorage } from "../../tensor/tensor.js";
import type { AxisSplit } from "../types.js";

/** out[o,i] = Σ_s x[o,s,i]: the sum along one axis of a tensor seen as [outer, size, inner]. */
export function sumAxis(x: FloatStorage, { outer, size, inner }: AxisSplit): FloatStorage {
  const out = allocLike(x, outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let s = 0; s < size; s++) acc += x[(o * size + s) * inner + i];
      out[o * inner + i] = acc;
    }
  }
  return out;
}

/** The index s of the largest x[o,s,i], first on ties; a NaN counts as the largest, as torch.argmax. */
export function argmax(x: FloatStorage, { outer, size, inner }: AxisSplit): Int32Array {
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      let bestValue = x[o * size * inner + i];
      for (let s = 1; s < size && bestValue === bestValue; s++) {
        const v = x[(o * size + s) * inner + i];
        if (v > bestValue || v !== v) {
          best = s;
          bestValue = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return out;
}
