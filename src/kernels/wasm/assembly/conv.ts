// Convolution as im2col + GEMM, per image of the batch (NCHW in, NCHW out):
//
//   col[(ci·kH + m)·kW + n, i·OW + j] = x[ci, i·S + m − P, j·S + n − P]   (0 outside the image)
//   y[co, :] = w[co, :] · col + b[co]                                      (w seen as [C_out, C_in·kH·kW])
//
// Backward reuses the same two pieces: dcol = wᵀ · dy then col2im (the adjoint of im2col) for the input gradient,
// and dw += dy · colᵀ for the weight gradient (dot products along the output positions, contiguous in both).
import { sgemm, sgemmNT, transpose } from "./gemm";
import {
  batch,
  inChannels,
  inHeight,
  inWidth,
  outChannels,
  kernelHeight,
  kernelWidth,
  strideHeight,
  strideWidth,
  padHeight,
  padWidth,
  outHeight,
  outWidth,
  f32At,
} from "./geometry";

function im2col(g: usize, x: usize, col: usize): void {
  const C = inChannels(g),
    H = inHeight(g),
    W = inWidth(g),
    KH = kernelHeight(g),
    KW = kernelWidth(g);
  const SH = strideHeight(g),
    SW = strideWidth(g),
    PH = padHeight(g),
    PW = padWidth(g);
  const OH = outHeight(g),
    OW = outWidth(g);
  let dst = col;
  for (let c = 0; c < C; c++) {
    const xc = f32At(x, c * H * W);
    for (let m = 0; m < KH; m++) {
      for (let n = 0; n < KW; n++) {
        for (let i = 0; i < OH; i++) {
          const iy = i * SH + m - PH;
          if (iy < 0 || iy >= H) {
            memory.fill(dst, 0, (<usize>OW) << 2);
            dst += (<usize>OW) << 2;
            continue;
          }
          const row = f32At(xc, iy * W);
          if (SW == 1 && n - PW >= 0 && OW - 1 + n - PW < W) {
            memory.copy(dst, f32At(row, n - PW), (<usize>OW) << 2);
            dst += (<usize>OW) << 2;
            continue;
          }
          for (let j = 0; j < OW; j++) {
            const ix = j * SW + n - PW;
            store<f32>(dst, ix >= 0 && ix < W ? load<f32>(f32At(row, ix)) : 0);
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
function col2imAdd(g: usize, dcol: usize, dx: usize): void {
  const C = inChannels(g),
    H = inHeight(g),
    W = inWidth(g),
    KH = kernelHeight(g),
    KW = kernelWidth(g);
  const SH = strideHeight(g),
    SW = strideWidth(g),
    PH = padHeight(g),
    PW = padWidth(g);
  const OH = outHeight(g),
    OW = outWidth(g);
  let src = dcol;
  for (let c = 0; c < C; c++) {
    const xc = f32At(dx, c * H * W);
    for (let m = 0; m < KH; m++) {
      for (let n = 0; n < KW; n++) {
        for (let i = 0; i < OH; i++) {
          const iy = i * SH + m - PH;
          if (iy < 0 || iy >= H) {
            src += (<usize>OW) << 2;
            continue;
          }
          const row = f32At(xc, iy * W);
          if (SW == 1 && n - PW >= 0 && OW - 1 + n - PW < W) {
            addRow(f32At(row, n - PW), src, OW);
            src += <usize>OW << 2;
            continue;
          }
          for (let j = 0; j < OW; j++) {
            const ix = j * SW + n - PW;
            if (ix >= 0 && ix < W) {
              const p = f32At(row, ix);
              store<f32>(p, load<f32>(p) + load<f32>(src));
            }
            src += 4;
          }
        }
      }
    }
  }
}

export function conv2dForward(g: usize, x: usize, w: usize, b: usize, col: usize, y: usize): void {
  const N = batch(g),
    C = inChannels(g),
    CO = outChannels(g);
  const K = C * kernelHeight(g) * kernelWidth(g);
  const P = outHeight(g) * outWidth(g);
  for (let n = 0; n < N; n++) {
    const yn = f32At(y, n * CO * P);
    im2col(g, f32At(x, n * C * inHeight(g) * inWidth(g)), col);
    sgemm(CO, P, K, w, K, col, P, yn, P, false);
    if (b != 0) {
      for (let co = 0; co < CO; co++) {
        const bias = f32x4.splat(load<f32>(f32At(b, co)));
        const row = f32At(yn, co * P);
        let j = 0;
        for (; j + 4 <= P; j += 4) v128.store(f32At(row, j), f32x4.add(v128.load(f32At(row, j)), bias));
        for (; j < P; j++) store<f32>(f32At(row, j), load<f32>(f32At(row, j)) + load<f32>(f32At(b, co)));
      }
    }
  }
}

export function conv2dBackwardInput(g: usize, dy: usize, w: usize, wT: usize, dcol: usize, dx: usize): void {
  const N = batch(g),
    C = inChannels(g),
    CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = C * kernelHeight(g) * kernelWidth(g);
  const P = outHeight(g) * outWidth(g);
  transpose(w, CO, K, wT);
  memory.fill(dx, 0, (<usize>N * <usize>C * <usize>HW) << 2);
  for (let n = 0; n < N; n++) {
    sgemm(K, P, CO, wT, CO, f32At(dy, n * CO * P), P, dcol, P, false);
    col2imAdd(g, dcol, f32At(dx, n * C * HW));
  }
}

export function conv2dBackwardWeight(g: usize, dy: usize, x: usize, col: usize, dw: usize): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = C * kernelHeight(g) * kernelWidth(g);
  const P = outHeight(g) * outWidth(g);
  memory.fill(dw, 0, (<usize>CO * <usize>K) << 2);
  for (let n = 0; n < N; n++) {
    im2col(g, f32At(x, n * C * HW), col);
    sgemmNT(CO, K, P, f32At(dy, n * CO * P), P, col, P, dw, K, true);
  }
}

export function conv2dBackwardBias(g: usize, dy: usize, db: usize): void {
  const N = batch(g),
    CO = outChannels(g);
  const P = outHeight(g) * outWidth(g);
  memory.fill(db, 0, (<usize>CO) << 2);
  for (let n = 0; n < N; n++) {
    for (let co = 0; co < CO; co++) {
      const row = f32At(dy, (n * CO + co) * P);
      let s4 = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= P; j += 4) s4 = f32x4.add(s4, v128.load(f32At(row, j)));
      let s =
        f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1) + f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3);
      for (; j < P; j++) s += load<f32>(f32At(row, j));
      store<f32>(f32At(db, co), load<f32>(f32At(db, co)) + s);
    }
  }
}
