import { allocLike, type FloatStorage } from "../../tensor/tensor.js";
import type { Window2d } from "../types.js";

/**
 * P(i,j) = max over the window x[b, c, i·S+m−P, j·S+n−P] for 0 ≤ m,n < F, as in the tutorial's
 * P(i,j) = max(I(2i:2i+2, 2j:2j+2)) when F = S = 2. Padding counts as −∞, so it never wins.
 * Ties go to the first maximum in row-major window order, and a NaN wins (it propagates), as PyTorch's CPU kernel.
 */
export function maxPool2dForward(x: FloatStorage, g: Window2d): { y: FloatStorage; argmax: Int32Array } {
  const { batch, inChannels: C, inHeight: H, inWidth: W, kernelHeight: KH, kernelWidth: KW } = g;
  const { strideHeight: SH, strideWidth: SW, padHeight: PH, padWidth: PW, outHeight: OH, outWidth: OW } = g;
  const y = allocLike(x, batch * C * OH * OW);
  const argmax = new Int32Array(y.length);
  for (let plane = 0; plane < batch * C; plane++) {
    const xBase = plane * H * W;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let best = -Infinity;
        let bestIndex = -1;
        for (let m = 0; m < KH; m++) {
          const r = i * SH + m - PH;
          if (r < 0 || r >= H) continue;
          for (let n = 0; n < KW; n++) {
            const c = j * SW + n - PW;
            if (c < 0 || c >= W) continue;
            const v = x[xBase + r * W + c];
            if (v > best || Number.isNaN(v) || bestIndex < 0) {
              best = v;
              bestIndex = xBase + r * W + c;
              if (Number.isNaN(v)) break;
            }
          }
          if (Number.isNaN(best)) break;
        }
        const o = (plane * OH + i) * OW + j;
        y[o] = best;
        argmax[o] = bestIndex;
      }
    }
  }
  return { y, argmax };
}

/** The gradient goes only to the element that won each window: dx[argmax[o]] += dy[o]. */
export function maxPool2dBackward(dy: FloatStorage, argmax: Int32Array, g: Window2d): FloatStorage {
  const dx = allocLike(dy, g.batch * g.inChannels * g.inHeight * g.inWidth);
  for (let o = 0; o < dy.length; o++) dx[argmax[o]] += dy[o];
  return dx;
}
