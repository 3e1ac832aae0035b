import { allocLike, type FloatStorage } from "../../tensor/tensor.js";
import type { Broadcast } from "../types.js";

/** ReLU(x) = max(0, x). A NaN stays NaN, as in PyTorch. */
export function relu(x: FloatStorage): FloatStorage {
  const y = allocLike(x, x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : x[i] !== x[i] ? x[i] : 0;
  return y;
}

/**
 * ReLU′(x) = 0 for x ≤ 0 (so 0 at exactly 0), else 1, a NaN included: PyTorch's threshold_backward passes the
 * gradient wherever the value is not ≤ 0.
 */
export function reluBackward(dy: FloatStorage, x: FloatStorage): FloatStorage {
  const dx = allocLike(dy, dy.length);
  for (let i = 0; i < dy.length; i++) dx[i] = x[i] <= 0 ? 0 : dy[i];
  return dx;
}

/** Visits every output index with the matching offsets into a and b (strides 0 along broadcast dims). */
function broadcastBinary(
  a: FloatStorage,
  b: FloatStorage,
  bc: Broadcast,
  f: (x: number, y: number) => number,
): FloatStorage {
  const shape = bc.outShape;
  const rank = shape.length;
  let n = 1;
  for (const s of shape) n *= s;
  const out = allocLike(a, n);
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return out;
  }
  const index = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < n; o++) {
    out[o] = f(a[ia], b[ib]);
    // Odometer increment of the multi-index, keeping the two input offsets in step.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      ia += bc.aStrides[d];
      ib += bc.bStrides[d];
      if (index[d] < shape[d]) break;
      ia -= bc.aStrides[d] * shape[d];
      ib -= bc.bStrides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

export function add(a: FloatStorage, b: FloatStorage, bc: Broadcast): FloatStorage {
  return broadcastBinary(a, b, bc, (x, y) => x + y);
}

export function mul(a: FloatStorage, b: FloatStorage, bc: Broadcast): FloatStorage {
  return broadcastBinary(a, b, bc, (x, y) => x * y);
}

/** Sums a gradient of the broadcast shape back to an operand with `n` elements laid out by `strides`. */
export function reduceBroadcast(
  grad: FloatStorage,
  outShape: readonly number[],
  strides: readonly number[],
  n: number,
): FloatStorage {
  const out = allocLike(grad, n);
  const rank = outShape.length;
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let o = 0; o < grad.length; o++) {
    out[offset] += grad[o];
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      offset += strides[d];
      if (index[d] < outShape[d]) break;
      offset -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}
