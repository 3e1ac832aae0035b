import { allocLike, type FloatStorage } from "../../tensor/tensor.js";
import type { AxisSplit } from "../types.js";

/**
 * log softmax(x)_s = x_s − max − log Σ_s' exp(x_s' − max). Subtracting the max first keeps exp from overflowing
 * for large logits (the answer is the same for any shift).
 */
export function logSoftmax(x: FloatStorage, { outer, size, inner }: AxisSplit): FloatStorage {
  const y = allocLike(x, x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let max = -Infinity;
      for (let s = 0; s < size; s++) max = Math.max(max, x[base + s * inner]);
      let sum = 0;
      for (let s = 0; s < size; s++) sum += Math.exp(x[base + s * inner] - max);
      const logSum = max + Math.log(sum);
      for (let s = 0; s < size; s++) y[base + s * inner] = x[base + s * inner] - logSum;
    }
  }
  return y;
}

/** d/dx of log softmax: dx_s = dy_s − softmax_s · Σ_s' dy_s', with softmax = exp(y). */
export function logSoftmaxBackward(dy: FloatStorage, y: FloatStorage, { outer, size, inner }: AxisSplit): FloatStorage {
  const dx = allocLike(dy, dy.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let sum = 0;
      for (let s = 0; s < size; s++) sum += dy[base + s * inner];
      for (let s = 0; s < size; s++) dx[base + s * inner] = dy[base + s * inner] - Math.exp(y[base + s * inner]) * sum;
    }
  }
  return dx;
}

/** softmax(x)_s = exp(x_s − max) / Σ_s' exp(x_s' − max) */
export function softmax(x: FloatStorage, split: AxisSplit): FloatStorage {
  const y = logSoftmax(x, split);
  for (let i = 0; i < y.length; i++) y[i] = Math.exp(y[i]);
  return y;
}

/** d/dx of softmax: dx_s = y_s · (dy_s − Σ_s' dy_s' · y_s') */
export function softmaxBackward(dy: FloatStorage, y: FloatStorage, { outer, size, inner }: AxisSplit): FloatStorage {
  const dx = allocLike(dy, dy.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      let dot = 0;
      for (let s = 0; s < size; s++) dot += dy[base + s * inner] * y[base + s * inner];
      for (let s = 0; s < size; s++) dx[base + s * inner] = y[base + s * inner] * (dy[base + s * inner] - dot);
    }
  }
  return dx;
}
