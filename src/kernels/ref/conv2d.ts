import { allocLike, type FloatStorage } from "../../tensor/tensor.js";
import type { Conv2dGeometry } from "../types.js";

/*
 * The tutorial's formula, S(i,j) = Σ_m Σ_n I(i+m, j+n)·K(m,n), generalised to channels, stride S and padding P:
 *
 *   y[b,co,i,j] = bias[co] + Σ_ci Σ_m Σ_n x[b, ci, i·S + m − P, j·S + n − P] · w[co, ci, m, n]
 *
 * where x is zero outside the image. The loops run over (m, n) outside and over the output row inside, so the
 * innermost loop walks memory contiguously; the valid output range per (m, n) is precomputed instead of testing
 * every element against the padding.
 */

/**
 * For each kernel offset k, the output indices o in [lo[k], hi[k]) whose input index o·stride + k − pad falls inside
 * [0, inSize): o ≥ (pad − k)/stride and o ≤ (inSize − 1 + pad − k)/stride.
 */
function validRanges(kernel: number, pad: number, stride: number, inSize: number, outSize: number) {
  const lo = new Int32Array(kernel);
  const hi = new Int32Array(kernel);
  for (let k = 0; k < kernel; k++) {
    lo[k] = Math.max(0, Math.ceil((pad - k) / stride));
    hi[k] = Math.max(lo[k], Math.min(outSize, Math.floor((inSize - 1 + pad - k) / stride) + 1));
  }
  return { lo, hi };
}

export function conv2dForward(
  x: FloatStorage,
  w: FloatStorage,
  b: FloatStorage | null,
  g: Conv2dGeometry,
): FloatStorage {
  const { batch, inChannels: C, inHeight: H, inWidth: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW } = g;
  const { strideHeight: SH, strideWidth: SW, padHeight: PH, padWidth: PW, outHeight: OH, outWidth: OW } = g;
  const rows = validRanges(KH, PH, SH, H, OH);
  const cols = validRanges(KW, PW, SW, W, OW);
  const y = allocLike(x, batch * CO * OH * OW);
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < CO; co++) {
      const yBase = (n * CO + co) * OH * OW;
      if (b !== null) y.fill(b[co], yBase, yBase + OH * OW);
      for (let ci = 0; ci < C; ci++) {
        const xBase = (n * C + ci) * H * W;
        for (let m = 0; m < KH; m++) {
          const i0 = rows.lo[m];
          const i1 = rows.hi[m];
          for (let k = 0; k < KW; k++) {
            const j0 = cols.lo[k];
            const j1 = cols.hi[k];
            const wv = w[((co * C + ci) * KH + m) * KW + k];
            for (let i = i0; i < i1; i++) {
              const xRow = xBase + (i * SH + m - PH) * W + k - PW;
              const yRow = yBase + i * OW;
              for (let j = j0; j < j1; j++) y[yRow + j] += wv * x[xRow + j * SW];
            }
          }
        }
      }
    }
  }
  return y;
}

/** dx[b,ci,i·S+m−P, j·S+n−P] += dy[b,co,i,j] · w[co,ci,m,n]: each output scatters its gradient back over its window. */
export function conv2dBackwardInput(dy: FloatStorage, w: FloatStorage, g: Conv2dGeometry): FloatStorage {
  const { batch, inChannels: C, inHeight: H, inWidth: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW } = g;
  const { strideHeight: SH, strideWidth: SW, padHeight: PH, padWidth: PW, outHeight: OH, outWidth: OW } = g;
  const rows = validRanges(KH, PH, SH, H, OH);
  const cols = validRanges(KW, PW, SW, W, OW);
  const dx = allocLike(dy, batch * C * H * W);
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < CO; co++) {
      const yBase = (n * CO + co) * OH * OW;
      for (let ci = 0; ci < C; ci++) {
        const xBase = (n * C + ci) * H * W;
        for (let m = 0; m < KH; m++) {
          const i0 = rows.lo[m];
          const i1 = rows.hi[m];
          for (let k = 0; k < KW; k++) {
            const j0 = cols.lo[k];
            const j1 = cols.hi[k];
            const wv = w[((co * C + ci) * KH + m) * KW + k];
            for (let i = i0; i < i1; i++) {
              const xRow = xBase + (i * SH + m - PH) * W + k - PW;
              const yRow = yBase + i * OW;
              for (let j = j0; j < j1; j++) dx[xRow + j * SW] += wv * dy[yRow + j];
            }
          }
        }
      }
    }
  }
  return dx;
}

/** dw[co,ci,m,n] = Σ_b Σ_i Σ_j dy[b,co,i,j] · x[b, ci, i·S+m−P, j·S+n−P] */
export function conv2dBackwardWeight(dy: FloatStorage, x: FloatStorage, g: Conv2dGeometry): FloatStorage {
  const { batch, inChannels: C, inHeight: H, inWidth: W, outChannels: CO, kernelHeight: KH, kernelWidth: KW } = g;
  const { strideHeight: SH, strideWidth: SW, padHeight: PH, padWidth: PW, outHeight: OH, outWidth: OW } = g;
  const rows = validRanges(KH, PH, SH, H, OH);
  const cols = validRanges(KW, PW, SW, W, OW);
  const dw = allocLike(dy, CO * C * KH * KW);
  for (let n = 0; n < batch; n++) {
    for (let co = 0; co < CO; co++) {
      const yBase = (n * CO + co) * OH * OW;
      for (let ci = 0; ci < C; ci++) {
        const xBase = (n * C + ci) * H * W;
        for (let m = 0; m < KH; m++) {
          const i0 = rows.lo[m];
          const i1 = rows.hi[m];
          for (let k = 0; k < KW; k++) {
            const j0 = cols.lo[k];
            const j1 = cols.hi[k];
            let acc = 0;
            for (let i = i0; i < i1; i++) {
              const xRow = xBase + (i * SH + m - PH) * W + k - PW;
              const yRow = yBase + i * OW;
              for (let j = j0; j < j1; j++) acc += dy[yRow + j] * x[xRow + j * SW];
            }
            dw[((co * C + ci) * KH + m) * KW + k] += acc;
          }
        }
      }
    }
  }
  return dw;
}

/** db[co] = Σ_b Σ_i Σ_j dy[b,co,i,j] */
export function conv2dBackwardBias(dy: FloatStorage, g: Conv2dGeometry): FloatStorage {
  const plane = g.outHeight * g.outWidth;
  const db = allocLike(dy, g.outChannels);
  for (let n = 0; n < g.batch; n++) {
    for (let co = 0; co < g.outChannels; co++) {
      const base = (n * g.outChannels + co) * plane;
      let acc = 0;
      for (let p = 0; p < plane; p++) acc += dy[base + p];
      db[co] += acc;
    }
  }
  return db;
}
