// Convolution as im2col + GEMM over a whole batch (NCHW in, NCHW out). With P = OH·OW output positions per image
// and K = C_in·kH·kW taps, the columns of every image sit side by side in one matrix of N·P columns:
//
//   col[(ci·kH + m)·kW + n, b·P + i·OW + j] = x[b, ci, i·S + m − P, j·S + n − P]   (0 outside the image)
//   Y[co, b·P + p] = Σ_k w[co, k] · col[k, b·P + p]                                 (w seen as [C_out, K])
//
// Images go through in groups of `group`. An image with many positions (conv1: P = 676, conv2: 121) goes alone: its
// [C_out, P] output is its NCHW slice, so the GEMM reads and writes the tensors in place, with its columns in the
// L2 cache. Images with few positions (conv3: P = 9) are grouped to about a thousand columns, to keep the SIMD
// blocks full, at the price of regrouping dY and Y between [N, C_out, P] and [C_out, N·P].
// Backward reuses the pieces: dcol = wᵀ · dY, then col2im (the adjoint of im2col), for the input gradient; and
// dw = dY · colᵀ (dot products along the N·P positions, contiguous in both) for the weight gradient. dY is the
// output gradient as rows [C_out, N·P]: an image's own [C_out, P] slice, or regrouped for a group of images.
import { packPanels, sgemmNT, sgemmPacked, transpose } from "./gemm";
import { allFinite, relu } from "./elementwise";
import { isPool2x2, maxPool2dForward, maxUnpool2x2Live, poolsWhole2x2 } from "./pool";
import { addRow, addRowMasked, copyRow, copyRowOver, zeroRow } from "./rows";
import {
  directApplies, directForward, directForwardPooled, directWeightGrad, directWeightGradPooled,
} from "./conv-direct";
import {
  batch, inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
  strideHeight, strideWidth, padHeight, padWidth, outHeight, outWidth, f32At,
} from "./geometry";

// The weights as the GEMMs take them, prepared once per call by im2colWeights and shared by its jobs, in
// im2colWeightsFloats floats:
//   W    C_out·K     w itself, [C_out, K] (the direct kernels and the GEMM's edge rows read it)
//   PW   C_out₄·K    W packed for sgemmPacked (C_out₄ = C_out − C_out mod 4: its 4-row panels), for the forward
//   WT   K·C_out     Wᵀ, for the input gradient dcol = Wᵀ · dY
//   PWT  K₄·C_out    WT packed (K₄ = K − K mod 4)
// The forward reads W and PW, the input gradient WT and PWT; the weight gradient needs no weights.
@inline function taps(g: usize): i32 { return inChannels(g) * kernelHeight(g) * kernelWidth(g); }
@inline function offsetPW(g: usize): i32 { return outChannels(g) * taps(g); }
@inline function offsetWT(g: usize): i32 { return offsetPW(g) + (outChannels(g) & ~3) * taps(g); }
@inline function offsetPWT(g: usize): i32 { return offsetWT(g) + taps(g) * outChannels(g); }

/** Floats of the prepared weights (exported: the host allocates them). */
export function im2colWeightsFloats(g: usize): i32 {
  return offsetPWT(g) + (taps(g) & ~3) * outChannels(g);
}

/** Prepares w [C_out, K] at out: W and PW for the forward, WT and PWT for the input gradient (see above). */
export function im2colWeights(g: usize, w: usize, out: usize, forward: bool, inputGradient: bool): void {
  const CO = outChannels(g), K = taps(g);
  memory.copy(out, w, (<usize>CO * <usize>K) << 2);
  if (forward) packPanels(CO, K, out, K, f32At(out, offsetPW(g)));
  if (inputGradient) {
    transpose(out, CO, K, f32At(out, offsetWT(g)));
    packPanels(K, CO, f32At(out, offsetWT(g)), CO, f32At(out, offsetPWT(g)));
  }
}

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
            zeroRow(dst, OW);
            dst += <usize>OW << 2;
            continue;
          }
          const src = f32At(xc, iy * W);
          if (SW == 1 && n - PW >= 0 && OW - 1 + n - PW < W) {
            // Every segment but a tap row's last is followed by the next one, which overwrites the spill.
            if (i < OH - 1) copyRowOver(dst, f32At(src, n - PW), OW);
            else copyRow(dst, f32At(src, n - PW), OW);
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
            // A masked last v128 may touch the 3 floats after the row: this image's own, except after its last row.
            if (c < C - 1 || iy < H - 1) addRowMasked(f32At(dst, n - PW), src, OW);
            else addRow(f32At(dst, n - PW), src, OW);
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
    for (let c = 0; c < C; c++) copyRow(f32At(to, (c * N + n) * P), f32At(from, (n * C + c) * P), P);
  }
}

/** [C, N·P] → [N, C, P], the inverse of toChannelMajor. */
function toBatchMajor(from: usize, to: usize, N: i32, C: i32, P: i32): void {
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) copyRow(f32At(to, (n * C + c) * P), f32At(from, (c * N + n) * P), P);
  }
}

/** Adds b[co] to each of the CO rows of `rows` (NP floats each, `ld` apart). */
function addBias(rows: usize, b: usize, CO: i32, NP: i32, ld: i32): void {
  for (let co = 0; co < CO; co++) {
    const row = f32At(rows, co * ld);
    const bias = load<f32>(f32At(b, co));
    const bias4 = f32x4.splat(bias);
    let j = 0;
    for (; j + 4 <= NP; j += 4) v128.store(f32At(row, j), f32x4.add(v128.load(f32At(row, j)), bias4));
    for (; j < NP; j++) store<f32>(f32At(row, j), load<f32>(f32At(row, j)) + bias);
  }
}

/**
 * One group's y = conv(x, w) + b, for its nb images of x (x points at the first), into `out` as [nb, C_out, P]:
 * im2col, the GEMM (into `out` itself for one image, else into `grouped` and then regrouped) and the bias.
 */
function forwardGroup(
  g: usize, x: usize, nb: i32, packed: usize, w: usize, b: usize, col: usize, grouped: usize, out: usize,
): void {
  // One input channel (conv1): the GEMM's depth would be 9 only, so the direct kernel (./conv-direct) runs instead.
  if (directApplies(g)) {
    directForward(g, x, nb, w, b, col, out);
    return;
  }
  const C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = taps(g);
  const P = outHeight(g) * outWidth(g);
  const NP = nb * P;
  for (let n = 0; n < nb; n++) im2col(g, f32At(x, n * C * HW), f32At(col, n * P), NP);
  const rows = nb == 1 ? out : grouped;
  sgemmPacked(CO, NP, K, packed, w, K, col, NP, rows, NP, false);
  if (b != 0) addBias(rows, b, CO, NP, NP);
  if (nb > 1) toBatchMajor(grouped, out, nb, CO, P);
}

/**
 * y = conv(x, w) + b for this call's N images, w prepared by im2colWeights (forward). col: K·group·P floats;
 * grouped: C_out·group·P floats.
 */
export function conv2dForward(
  g: usize, x: usize, w: usize, b: usize, col: usize, grouped: usize, y: usize, group: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const P = outHeight(g) * outWidth(g);
  const packed = f32At(w, offsetPW(g));
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    forwardGroup(g, f32At(x, n0 * C * HW), nb, packed, w, b, col, grouped, f32At(y, n0 * CO * P));
  }
}

/**
 * maxPool2d(relu(conv2d(x, w) + b)) for this call's N images, each group's convolution pooled while it is in cache;
 * w prepared by im2colWeights (forward). pg: the pooling geometry for one image (batch 1, C_out channels). convOut:
 * C_out·group·P floats. argmax indexes the whole batch's convolution output, whose first image here is `firstImage`.
 */
export function conv2dReluMaxPool2dForward(
  g: usize, pg: usize, x: usize, w: usize, b: usize, col: usize, grouped: usize, convOut: usize,
  y: usize, argmax: usize, group: i32, firstImage: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  if (directApplies(g) && poolsWhole2x2(g, pg)) {
    // One input channel (conv1's block): pooled as it is computed (./conv-direct), the convolution never stored.
    const P = outHeight(g) * outWidth(g), pooled = CO * outHeight(pg) * outWidth(pg);
    for (let n0 = 0; n0 < N; n0 += group) {
      const o = n0 * pooled;
      directForwardPooled(g, f32At(x, n0 * C * HW), min(group, N - n0), w, b, col, f32At(y, o),
        argmax != 0 ? f32At(argmax, o) : 0, (firstImage + n0) * CO * P);
    }
    return;
  }
  const packed = f32At(w, offsetPW(g));
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    forwardGroup(g, f32At(x, n0 * C * HW), nb, packed, w, b, col, grouped, convOut);
    reluMaxPoolGroup(g, pg, convOut, nb, n0, y, argmax, firstImage);
  }
}

/**
 * relu then max-pool of one group's convolution output convOut ([nb, C_out, P]), images n0… of this call, into y
 * and argmax (the call's whole outputs; argmax 0: the values only).
 */
export function reluMaxPoolGroup(
  g: usize, pg: usize, convOut: usize, nb: i32, n0: i32, y: usize, argmax: usize, firstImage: i32,
): void {
  const CO = outChannels(g);
  const P = outHeight(g) * outWidth(g);
  const pooled = CO * outHeight(pg) * outWidth(pg);
  relu(convOut, convOut, nb * CO * P);
  for (let n = 0; n < nb; n++) {
    const o = (n0 + n) * pooled;
    const winners = argmax != 0 ? f32At(argmax, o) : 0;
    maxPool2dForward(pg, f32At(convOut, n * CO * P), f32At(y, o), winners, (firstImage + n0 + n) * CO * P);
  }
}

/** Adds the input gradient of one group's dY rows [C_out, NP] to its nb images of dx (dx points at the first). */
function inputGradGroup(
  g: usize, dyRows: usize, NP: i32, nb: i32, packed: usize, wT: usize, dcol: usize, dx: usize,
): void {
  const C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = taps(g);
  const P = outHeight(g) * outWidth(g);
  sgemmPacked(K, NP, CO, packed, wT, CO, dyRows, NP, dcol, NP, false);
  for (let n = 0; n < nb; n++) col2imAdd(g, f32At(dcol, n * P), NP, f32At(dx, n * C * HW));
}

/** dw (+)= one group's dY rows [C_out, NP] · colᵀ, for its nb images of x (x points at the first). */
function weightGradGroup(
  g: usize, x: usize, nb: i32, dyRows: usize, NP: i32, col: usize, dw: usize, accumulate: bool,
): void {
  if (directApplies(g)) {
    directWeightGrad(g, x, nb, dyRows, NP, col, dw, accumulate);
    return;
  }
  const C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const K = taps(g);
  const P = outHeight(g) * outWidth(g);
  for (let n = 0; n < nb; n++) im2col(g, f32At(x, n * C * HW), f32At(col, n * P), NP);
  sgemmNT(CO, K, NP, dyRows, NP, col, NP, dw, K, accumulate);
}

/** dY of nb images [nb, C_out, P] as rows [C_out, nb·P]: itself for one image, else regrouped into `grouped`. */
@inline
function channelRows(dy: usize, nb: i32, CO: i32, P: i32, grouped: usize): usize {
  if (nb == 1) return dy;
  toChannelMajor(dy, grouped, nb, CO, P);
  return grouped;
}

// The bias gradient db[co] = Σ_n Σ_p dy[n, co, p] is summed one image at a time, into 4 lanes and a scalar tail per
// channel kept in a buffer after db (biasScratch), so the fused backward, which sees one image's dy at a time, sums
// in exactly the order conv2dBackwardBias does. A buffer holds C_out floats of db, then the scratch: 5·C_out + 4.

@inline
export function biasScratch(db: usize, CO: i32): usize {
  return (db + (<usize>CO << 2) + 15) & ~15;
}

function biasAccumulate(dyImage: usize, CO: i32, P: i32, scratch: usize): void {
  const tails = scratch + (<usize>CO << 4);
  for (let co = 0; co < CO; co++) {
    const row = f32At(dyImage, co * P);
    let s4 = v128.load(scratch + (<usize>co << 4));
    let s = load<f32>(f32At(tails, co));
    let j = 0;
    for (; j + 4 <= P; j += 4) s4 = f32x4.add(s4, v128.load(f32At(row, j)));
    for (; j < P; j++) s += load<f32>(f32At(row, j));
    v128.store(scratch + (<usize>co << 4), s4);
    store<f32>(f32At(tails, co), s);
  }
}

export function biasFinish(db: usize, CO: i32, scratch: usize): void {
  const tails = scratch + (<usize>CO << 4);
  for (let co = 0; co < CO; co++) {
    const s4 = v128.load(scratch + (<usize>co << 4));
    const lanes = f32x4.extract_lane(s4, 0) + f32x4.extract_lane(s4, 1) + f32x4.extract_lane(s4, 2) + f32x4.extract_lane(s4, 3);
    store<f32>(f32At(db, co), load<f32>(f32At(tails, co)) + lanes);
  }
}

/**
 * dx for this call's N images, w prepared by im2colWeights (input gradient). grouped: C_out·group·P; dcol:
 * K·group·P floats.
 */
export function conv2dBackwardInput(
  g: usize, dy: usize, w: usize, grouped: usize, dcol: usize, dx: usize, group: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const P = outHeight(g) * outWidth(g);
  const wT = f32At(w, offsetWT(g)), packed = f32At(w, offsetPWT(g));
  memory.fill(dx, 0, (<usize>N * <usize>C * <usize>HW) << 2);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    const dyRows = channelRows(f32At(dy, n0 * CO * P), nb, CO, P, grouped);
    inputGradGroup(g, dyRows, nb * P, nb, packed, wT, dcol, f32At(dx, n0 * C * HW));
  }
}

/** dw (C_out·K floats) for this call's N images. col: K·group·P; grouped: C_out·group·P floats. */
export function conv2dBackwardWeight(
  g: usize, dy: usize, x: usize, col: usize, grouped: usize, dw: usize, group: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const P = outHeight(g) * outWidth(g);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    const dyRows = channelRows(f32At(dy, n0 * CO * P), nb, CO, P, grouped);
    weightGradGroup(g, f32At(x, n0 * C * HW), nb, dyRows, nb * P, col, dw, n0 > 0);
  }
}

/** db (C_out floats, then its scratch: see biasScratch) for this call's N images. */
export function conv2dBackwardBias(g: usize, dy: usize, db: usize): void {
  const N = batch(g), CO = outChannels(g);
  const P = outHeight(g) * outWidth(g);
  const scratch = biasScratch(db, CO);
  memory.fill(scratch, 0, <usize>CO * 20);
  for (let n = 0; n < N; n++) biasAccumulate(f32At(dy, n * CO * P), CO, P, scratch);
  biasFinish(db, CO, scratch);
}

/**
 * The gradients of conv2dReluMaxPool2dForward for this call's N images, from the pooled output's gradient dy,
 * without the convolution's gradient ever leaving the cache: each group's dConv is scattered from dy where the
 * pooled value is not ≤ 0 (relu′ at the window's winner), then gives dx, dw and db as the three kernels above do,
 * in the same order. A zero dx, dw or db pointer skips that gradient; w, prepared by im2colWeights (input gradient),
 * is read for dx only (0 without it). Scratch: col and dcol K·group·P; dconv and grouped C_out·group·P floats.
 * argmax indexes the whole batch's convolution output, whose first image here is `firstImage`.
 */
export function conv2dReluMaxPool2dBackward(
  g: usize, pg: usize, dy: usize, argmax: usize, pooled: usize, x: usize, w: usize,
  col: usize, grouped: usize, dcol: usize, dconv: usize, dx: usize, dw: usize, db: usize,
  group: i32, firstImage: i32,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const HW = inHeight(g) * inWidth(g);
  const P = outHeight(g) * outWidth(g);
  const wT = dx != 0 ? f32At(w, offsetWT(g)) : 0, packed = dx != 0 ? f32At(w, offsetPWT(g)) : 0;
  if (dx != 0) memory.fill(dx, 0, (<usize>N * <usize>C * <usize>HW) << 2);
  const scratch = db != 0 ? biasScratch(db, CO) : 0;
  if (db != 0) memory.fill(scratch, 0, <usize>CO * 20);
  // conv1's block, whose input needs no gradient: the weights' from each window's winner, no convolution gradient.
  // Images holding a NaN or an infinity go the dense way, whose 0·∞ and 0·NaN terms make PyTorch's NaNs.
  const sparse = dx == 0 && directApplies(g) && poolsWhole2x2(g, pg);
  const pooledPerImage = CO * outHeight(pg) * outWidth(pg);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    if (sparse && allFinite(f32At(x, n0 * C * HW), nb * C * HW)) {
      const o = n0 * pooledPerImage;
      directWeightGradPooled(g, f32At(x, n0 * C * HW), nb, f32At(dy, o), f32At(argmax, o), f32At(pooled, o),
        (firstImage + n0) * CO * P, col, dw, n0 > 0, scratch);
      continue;
    }
    scatterPooledGradient(g, pg, dy, argmax, pooled, dconv, nb, n0, firstImage, scratch);
    const dyRows = channelRows(dconv, nb, CO, P, grouped);
    if (dw != 0) weightGradGroup(g, f32At(x, n0 * C * HW), nb, dyRows, nb * P, col, dw, n0 > 0);
    if (dx != 0) inputGradGroup(g, dyRows, nb * P, nb, packed, wT, dcol, f32At(dx, n0 * C * HW));
  }
  if (db != 0) biasFinish(db, CO, scratch);
}

/**
 * One group's convolution gradient dconv ([nb, C_out, P]), images n0… of this call, scattered from the pooled
 * output's gradient dy where the pooled value is not ≤ 0 (relu′ at the window's winner), and added to the bias
 * gradient's sums where `biasSums` (biasScratch) is not 0.
 */
export function scatterPooledGradient(
  g: usize, pg: usize, dy: usize, argmax: usize, pooled: usize, dconv: usize, nb: i32, n0: i32, firstImage: i32,
  biasSums: usize,
): void {
  const CO = outChannels(g);
  const P = outHeight(g) * outWidth(g);
  const pooledPerImage = CO * outHeight(pg) * outWidth(pg);
  const twoByTwo = isPool2x2(pg);
  if (!twoByTwo) memory.fill(dconv, 0, (<usize>nb * <usize>CO * <usize>P) << 2);
  for (let n = 0; n < nb; n++) {
    const image = f32At(dconv, n * CO * P);
    const first = (firstImage + n0 + n) * CO * P;
    const o0 = (n0 + n) * pooledPerImage;
    if (twoByTwo) {
      // The tutorial's pooling: every position written, 4 windows at a time, instead of zeroing and scattering.
      const H = outHeight(g), W = outWidth(g);
      maxUnpool2x2Live(CO, H, W, f32At(dy, o0), f32At(argmax, o0), f32At(pooled, o0), image, first);
      if (biasSums != 0) biasAccumulate(image, CO, P, biasSums);
      continue;
    }
    for (let o = o0; o < o0 + pooledPerImage; o++) {
      if (load<f32>(f32At(pooled, o)) <= 0) continue;
      const p = f32At(image, load<i32>(f32At(argmax, o)) - first);
      store<f32>(p, load<f32>(p) + load<f32>(f32At(dy, o)));
    }
    if (biasSums != 0) biasAccumulate(image, CO, P, biasSums);
  }
}
