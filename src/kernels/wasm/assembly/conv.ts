// Convolution as im2col + GEMM over a whole batch (NCHW in, NCHW out). With P = OH·OW output positions per image
// and K = C_in·kH·kW taps, the columns of every image sit side by side in one matrix of N·P columns:
//
//   col[(ci·kH + m)·kW + n, b·P + i·OW + j] = x[b, ci, i·S + m − P, j·S + n − P]   (0 outside the image)
//   Y[co, b·P + p] = Σ_k w[co, k] · col[k, b·P + p]                                 (w seen as [C_out, K])
//
// Images go through in groups of `group` (the host picks about a thousand columns' worth): enough columns to keep
// the SIMD blocks full where an image has few positions (conv3 has P = 9), few enough that the column matrix stays
// in the L2 cache while the GEMM sweeps it once per 4 output channels.
// Backward reuses the pieces: dcol = wᵀ · dY, then col2im (the adjoint of im2col), for the input gradient; and
// dw = dY · colᵀ (dot products along the N·P positions, contiguous in both) for the weight gradient.
// dY is the output gradient regrouped from [N, C_out, P] to [C_out, N·P].
import { sgemm, sgemmNT, transpose } from "./gemm";
import {
  batch, inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
  strideHeight, strideWidth, padHeight, padWidth, outHeight, outWidth, f32At,
} from "./geometry";

/** Writes image x's columns into col, whose rows are `ld` floats apart. */
function im2col(g: usize, x: usize, col: usize, ld: i32): void {
  const C = inChannels(g), H = inHeight(g), W = inWidth(g), KH = kernelHeight(g), KW = kernelWidth(g);
  const SH = strideHeight(g), SW = strideWidth(g), PH = padHeight(g), PW = padWidth(g);
  const OH = outHeight(g), OW = outWidth(g);
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = f32At(x, c * H * W);
    for (let m = 0; m < KH; m++) {
      for (let n = 0; n < KW; n++) {
        let dst = f32At(col, row * ld);
        row++;
        for (let i = 0; i < OH; i++) {
          const iy = i * SH + m - PH;
          if (iy < 0 || iy >= H) {
            memory.fill(dst, 0, <usize>OW << 2);
            dst += <usize>OW << 2;
            continue;
          }
          const src = f32At(xc, iy * W);
          if (SW == 1 && n - PW >= 0 && OW - 1 + n - PW < W) {
            memory.copy(dst, f32At(src, n - PW), <usize>OW << 2);
            dst += <usize>OW << 2;
            continue;
          }
          for (let j = 0; j < OW; j++) {
            const ix = j * SW + n - PW;
            store<f32>(dst, ix >= 0 && ix < W ? load<f32>(f32At(src, ix)) : 0);
            dst += 4;
          }
        }
      }
    }
  }
}

/** dst[0..n) += src[0..n) */
function addRow(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(f32At(dst, j), f32x4.add(v128.load(f32At(dst, j)), v128.load(f32At(src, j))));
  for (; j < n; j++) store<f32>(f32At(dst, j), load<f32>(f32At(dst, j)) + load<f32>(f32At(src, j)));
}

/** dx[ci, i·S + m − P, j·S + n − P] += dcol[(ci·kH + m)·kW + n, i·OW + j]: the transpose of im2col. */
function col2imAdd(g: usize, dcol: usize, ld: i32, dx: usize): void {
  const C = inChannels(g), H = inHeight(g), W = inWidth(g), KH = kernelHeight(g), KW = kernelWidth(g);
  const SH = strideHeight(g), SW = strideWidth(g), PH = padHeight(g), PW = padWidth(g);
  const OH = outHeight(g), OW = outWidth(g);
  let row = 0;
  for (let c = 0; c < C; c++) {
    const xc = f32At(dx, c * H * W);
    for (let m = 0; m < KH; m++) {
      for (let n = 0; n < KW; n++) {
        let src = f32At(dcol, row * ld);
        row++;
        for (let i = 0; i < OH; i++) {
          const iy = i * SH + m - PH;
          if (iy < 0 || iy >= H) {
            src += <usize>OW << 2;
            continue;
          }
          const dst = f32At(xc, iy * W);
          if (SW == 1 && n - PW >= 0 && OW - 1 + n - PW < W) {
            addRow(f32At(dst, n - PW), src, OW);
            src += <usize>OW << 2;
            continue;
          }
          for (let j = 0; j < OW; j++) {
            const ix = j * SW + n - PW;
            if (ix >= 0 && ix < W) {
              const p = f32At(dst, ix);
              store<f32>(p, load<f32>(p) + load<f32>(src));
            }
            src += 4;
          }
        }
      }
    }
  }
}

/** [N, C, P] → [C, N·P]: each image's channel rows side by side. */
function toChannelMajor(from: usize, to: usize, N: i32, C: i32, P: i32): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) memory.copy(f32At(to, (c * N + n) * P), f32At(from, (n * C + c) * P), <usize>P << 2);
  }
}

/** [C, N·P] → [N, C, P], the inverse of toChannelMajor. */
function toBatchMajor(from: usize, to: usize, N: i32, C: i32, P: i32): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) memory.copy(f32At(to, (n * C + c) * P), f32At(from, (c * N + n) * P), <usize>P << 2);
  }
}

/** y = conv(x, w) + b for this call's N images. col: K·group·P floats; grouped: C_out·group·P floats. */
export function conv2dForward(
  g: usize, x: usize, w: usize, b: usize, col: usize, grouped: usize, y: usize, group: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = C * kernelHeight(g) * kernelWidth(g);
  const P = outHeight(g) * outWidth(g);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    const NP = nb * P;
    for (let n = 0; n < nb; n++) im2col(g, f32At(x, (n0 + n) * C * HW), f32At(col, n * P), NP);
    sgemm(CO, NP, K, w, K, col, NP, grouped, NP, false);
    if (b != 0) {
      for (let co = 0; co < CO; co++) {
        const row = f32At(grouped, co * NP);
        const bias = load<f32>(f32At(b, co));
        const bias4 = f32x4.splat(bias);
        let j = 0;
        for (; j + 4 <= NP; j += 4) v128.store(f32At(row, j), f32x4.add(v128.load(f32At(row, j)), bias4));
        for (; j < NP; j++) store<f32>(f32At(row, j), load<f32>(f32At(row, j)) + bias);
      }
    }
    toBatchMajor(grouped, f32At(y, n0 * CO * P), nb, CO, P);
  }
}

/** dx for this call's N images. wT: K·C_out; grouped: C_out·group·P; dcol: K·group·P floats. */
export function conv2dBackwardInput(
  g: usize, dy: usize, w: usize, wT: usize, grouped: usize, dcol: usize, dx: usize, group: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = C * kernelHeight(g) * kernelWidth(g);
  const P = outHeight(g) * outWidth(g);
  transpose(w, CO, K, wT);
  memory.fill(dx, 0, (<usize>N * <usize>C * <usize>HW) << 2);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    const NP = nb * P;
    toChannelMajor(f32At(dy, n0 * CO * P), grouped, nb, CO, P);
    sgemm(K, NP, CO, wT, CO, grouped, NP, dcol, NP, false);
    for (let n = 0; n < nb; n++) col2imAdd(g, f32At(dcol, n * P), NP, f32At(dx, (n0 + n) * C * HW));
  }
}

/** dw (C_out·K floats) for this call's N images. col: K·group·P; grouped: C_out·group·P floats. */
export function conv2dBackwardWeight(
  g: usize, dy: usize, x: usize, col: usize, grouped: usize, dw: usize, group: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = C * kernelHeight(g) * kernelWidth(g);
  const P = outHeight(g) * outWidth(g);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    const NP = nb * P;
    for (let n = 0; n < nb; n++) im2col(g, f32At(x, (n0 + n) * C * HW), f32At(col, n * P), NP);
    toChannelMajor(f32At(dy, n0 * CO * P), grouped, nb, CO, P);
    sgemmNT(CO, K, NP, grouped, NP, col, NP, dw, K, n0 > 0);
  }
}

export function conv2dBackwardBias(g: usize, dy: usize, db: usize): void {
  const N = batch(g), CO = outChannels(g);
  const P = outHeight(g) * outWidth(g);
  memory.fill(db, 0, <usize>CO << 2);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      const row = f32At(dy, (n * CO + co) * P);
      let s4 = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= P; j += 4) s4 = f32x4.add(s4, v128.load(f32At(row, j)));
      let s = f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1) + f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3);
      for (; j < P; j++) s += load<f32>(f32At(row, j));
      store<f32>(f32At(db, co), load<f32>(f32At(db, co)) + s);
    }
  }
}
