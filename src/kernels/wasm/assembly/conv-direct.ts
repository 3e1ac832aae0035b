// Direct convolution for one input channel, a 3×3 kernel and stride 1: the first layer of an image network (the
// tutorial's conv1: 1 → 16 channels, 28×28 → 26×26). With P the padding:
//
//   y[co, i, j]  = b[co] + Σ_{m,n} w[co, m, n] · x[i + m − P, j + n − P]
//   dw[co, m, n] = Σ_images Σ_i Σ_j dy[co, i, j] · x[i + m − P, j + n − P]
//
// Through im2col + GEMM (./conv) such a layer has a depth of K = 9 only: every 4×8 block of the GEMM sets up and
// stores its 8 accumulators for 9 multiply-adds, after im2col has written 9 shifted copies of the image for the GEMM
// to read back. Here the image (3 KB) stays in L1 and a shifted input row is one unaligned v128 load from it.
// Both kernels run along the output columns j, 4 at a time, in loops shaped like the GEMM's: one tap per step, with
// few loads each, because V8 hoists every load of an unrolled step to its top and more than ~14 live v128s spill.
// - the forward computes 4 output channels × 2 output rows per block, 8 accumulators: per tap, 2 loads of x serve
//   the 4 channels and each of the 4 weight splats serves both rows;
// - the weight gradient keeps 2 channels × 3 taps (one kernel row) in accumulators across all of their rows and
//   images (2 loads of dy and 3 of x per 6 multiply-adds) and sums their lanes once at the end.
// Edge blocks (a row's last columns, the last row pair, the last 4 channels) are moved back to overlap the block
// before them instead of running a scalar tail: the forward recomputes the same values there, bit for bit, and the
// weight gradient masks out the lanes already counted. So nothing is written outside the output, and directApplies
// asks for the sizes that one block needs. The multiply-add is acc (./madd): FMA in the relaxed-SIMD build.
// Followed by relu and the tutorial's 2×2 pool (directForwardPooled), a block pools its own 2 rows: its 8 values a
// channel are 2 windows, so the convolution's output is never stored, only a quarter of it. Backward, only a
// window's winner has a gradient: the weight gradient reads each window's 3×3 patch there (directWeightGradPooled),
// one vector a patch row, whose 4th lane reads one float past the row (an input's allocation has slack for it).
import { acc } from "./madd";
import { relu4 } from "./elementwise";
import { liveGradient, liveGradient4, poolWindows4 } from "./pool";
import { copyRow, zeroRow } from "./rows";
import {
  inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
  strideHeight, strideWidth, padHeight, padWidth, outHeight, outWidth, f32At,
} from "./geometry";

/** The bordered input's rows: H + 2P of them, W + 2P floats each. */
@inline function borderedHeight(g: usize): i32 { return inHeight(g) + 2 * padHeight(g); }
@inline function borderedWidth(g: usize): i32 { return inWidth(g) + 2 * padWidth(g); }

/**
 * Whether the direct kernels serve geometry g: one input channel, a 3×3 kernel at stride 1, and at least one block of
 * output (4 channels, 2 rows, 4 columns). Any padding. The output may be cropped (the rows and columns a pool reads:
 * see pooledRegion in kernels.ts) while the bordered images still fit im2col's buffer, 9·OH·OW floats an image.
 */
export function directApplies(g: usize): bool {
  return inChannels(g) == 1 && kernelHeight(g) == 3 && kernelWidth(g) == 3 && strideHeight(g) == 1
    && strideWidth(g) == 1 && outChannels(g) >= 4 && outHeight(g) >= 2 && outWidth(g) >= 4
    && 9 * outHeight(g) * outWidth(g) >= borderedHeight(g) * borderedWidth(g);
}

/**
 * The nb images of x with their zero border, borderedHeight rows of borderedWidth floats each, one after the other:
 * x itself without padding, else a copy in `dst`.
 */
function bordered(g: usize, x: usize, nb: i32, dst: usize): usize {
  const PH = padHeight(g), PW = padWidth(g);
  if (PH == 0 && PW == 0) return x;
  const H = inHeight(g), W = inWidth(g);
  const XW = borderedWidth(g);
  let d = dst;
  for (let n = 0; n < nb; n++) {
    zeroRow(d, PH * XW);
    d = f32At(d, PH * XW);
    for (let r = 0; r < H; r++) {
      zeroRow(d, PW);
      copyRow(f32At(d, PW), f32At(x, (n * H + r) * W), W);
      zeroRow(f32At(d, PW + W), PW);
      d = f32At(d, XW);
    }
    zeroRow(d, PH * XW);
    d = f32At(d, PH * XW);
  }
  return dst;
}

/**
 * y = conv(x, w) + b (b = 0: no bias) for the nb images of x (x points at the first), into `out` as [nb, C_out, P].
 * col: scratch for the padded images (im2col's buffer).
 */
export function directForward(g: usize, x: usize, nb: i32, w: usize, b: usize, col: usize, out: usize): void {
  const CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const XW = borderedWidth(g);
  const xs = bordered(g, x, nb, col);
  for (let n = 0; n < nb; n++) {
    const image = f32At(xs, n * borderedHeight(g) * XW);
    forwardImage(image, XW, w, b, CO, OH, OW, f32At(out, n * CO * OH * OW), false, 0, 0);
  }
}

/**
 * maxPool2d(relu(y)) of the direct convolution y of the nb images of x, for the tutorial's 2×2 pool reading all of y
 * (poolsWhole2x2 in ./pool): the pooled outputs at `pooled` [nb, C_out, OH/2, OW/2] and, unless argmax is 0, the
 * winners' flat indices at `argmax`, counted from `first` for the first image's y[0]. y itself is never stored; each
 * of its values is the sum directForward computes, so the results are bit for bit those of directForward, relu and
 * the pool.
 */
export function directForwardPooled(
  g: usize, x: usize, nb: i32, w: usize, b: usize, col: usize, pooled: usize, argmax: usize, first: i32,
): void {
  const CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const XW = borderedWidth(g);
  const xs = bordered(g, x, nb, col);
  const perImage = CO * (OH >> 1) * (OW >> 1);
  for (let n = 0; n < nb; n++) {
    const image = f32At(xs, n * borderedHeight(g) * XW);
    const o = n * perImage;
    forwardImage(
      image, XW, w, b, CO, OH, OW, f32At(pooled, o), true, argmax != 0 ? f32At(argmax, o) : 0, first + n * CO * OH * OW,
    );
  }
}

/**
 * One bordered image (rows of XW floats) into y [C_out, OH, OW], block by block; or, when `pooled`, into the 2×2 pool
 * of its relu, [C_out, OH/2, OW/2] (OH and OW even), with the winners' indices at argmax (see directForwardPooled).
 */
function forwardImage(
  x: usize, XW: i32, w: usize, b: usize, CO: i32, OH: i32, OW: i32, y: usize, pooled: bool, argmax: usize, first: i32,
): void {
  const xRow = <usize>XW << 2;
  // What a block writes: its rows and channels this many floats apart, whole or pooled.
  const rowFloats = pooled ? OW >> 1 : OW;
  const planeFloats = (pooled ? OH >> 1 : OH) * rowFloats;
  for (let c0 = 0; c0 < CO; c0 += 4) {
    const co = min(c0, CO - 4);
    const wc = f32At(w, co * 9);
    const bc = b != 0 ? f32At(b, co) : 0;
    for (let i0 = 0; i0 < OH; i0 += 2) {
      const i = min(i0, OH - 2);
      const xi = x + <usize>i * xRow;
      for (let j0 = 0; j0 < OW; j0 += 4) {
        const j = min(j0, OW - 4);
        const xj = xi + (<usize>j << 2);
        if (pooled) {
          const o = co * planeFloats + (i >> 1) * rowFloats + (j >> 1);
          block4x2(xj, xRow, wc, bc, f32At(y, o), 0, <usize>planeFloats << 2, true,
            argmax != 0 ? f32At(argmax, o) : 0, first + (co * OH + i) * OW + j, OH * OW, OW);
        } else {
          block4x2(xj, xRow, wc, bc, f32At(y, co * planeFloats + i * OW + j), <usize>OW << 2,
            <usize>planeFloats << 2, false, 0, 0, 0, 0);
        }
      }
    }
  }
}

/**
 * y[c, r, 0..4) for 4 channels c and 2 rows r from the input rows at x (xRow bytes apart) and the channels' weights
 * at w (9 floats each), starting from their biases at b (b = 0: from zero). Output rows are yRow, channels plane
 * bytes apart. When `pooled`: relu and the 2×2 pool of the block's 2 windows a channel instead, channels in pairs
 * (poolPair): 2 outputs a channel at y, and the winners' indices at argmax unless it is 0; `corner` is the flat
 * index of the block's first value, whose channels are `positions` values apart and rows OW.
 */
@inline
function block4x2(
  x: usize, xRow: usize, w: usize, b: usize, y: usize, yRow: usize, plane: usize, pooled: bool, argmax: usize,
  corner: i32, positions: i32, OW: i32,
): void {
  // a<c><r>: channel c, output row r.
  let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0), a30 = f32x4.splat(0);
  if (b != 0) {
    a00 = v128.load32_splat(b);
    a10 = v128.load32_splat(b, 4);
    a20 = v128.load32_splat(b, 8);
    a30 = v128.load32_splat(b, 12);
  }
  let a01 = a00, a11 = a10, a21 = a20, a31 = a30;
  // One tap per step, as the GEMM's block4x8 does one k: 2 loads of x and 4 weight splats (w[c, m, n] at
  // wt + 36c) for 8 multiply-adds. The taps are not unrolled: V8 would hoist all of their loads to the top of the
  // loop body, and 8 accumulators + 27 loaded values spill.
  let r0 = x;
  let wt = w;
  for (let m = 0; m < 3; m++) {
    const end = r0 + 12;
    for (let r = r0; r < end; r += 4) {
      const u = v128.load(r);
      const v = v128.load(r + xRow);
      let s = v128.load32_splat(wt);
      a00 = acc(a00, s, u);
      a01 = acc(a01, s, v);
      s = v128.load32_splat(wt, 36);
      a10 = acc(a10, s, u);
      a11 = acc(a11, s, v);
      s = v128.load32_splat(wt, 72);
      a20 = acc(a20, s, u);
      a21 = acc(a21, s, v);
      s = v128.load32_splat(wt, 108);
      a30 = acc(a30, s, u);
      a31 = acc(a31, s, v);
      wt += 4;
    }
    r0 += xRow;
  }
  if (pooled) {
    // Lanes [channel c: windows 0, 1 | channel c + 1: windows 0, 1].
    const lanes = i32x4(0, 2, positions, positions + 2);
    poolPair(a00, a01, a10, a11, i32x4.add(i32x4.splat(corner), lanes), OW, y, plane, argmax);
    poolPair(a20, a21, a30, a31, i32x4.add(i32x4.splat(corner + 2 * positions), lanes), OW, y + 2 * plane, plane,
      argmax != 0 ? argmax + 2 * plane : 0);
    return;
  }
  v128.store(y, a00);
  v128.store(y + yRow, a01);
  v128.store(y + plane, a10);
  v128.store(y + plane + yRow, a11);
  v128.store(y + 2 * plane, a20);
  v128.store(y + 2 * plane + yRow, a21);
  v128.store(y + 3 * plane, a30);
  v128.store(y + 3 * plane + yRow, a31);
}

/**
 * relu and the 2×2 pool of two channels' 2×4 blocks (rows r0 and r1 of a channel, next0 and next1 of the next one):
 * each block's columns 0 and 2 are its 2 windows' top-left, columns 1 and 3 their top-right. The 4 results go to
 * poolWindows4's lanes and then 2 to y (argmax) and 2 to y + plane (argmax + plane), the next channel's.
 */
@inline
function poolPair(
  r0: v128, r1: v128, next0: v128, next1: v128, corner: v128, OW: i32, y: usize, plane: usize, argmax: usize,
): void {
  poolWindows4(
    relu4(v128.shuffle<f32>(r0, next0, 0, 2, 4, 6)), relu4(v128.shuffle<f32>(r0, next0, 1, 3, 5, 7)),
    relu4(v128.shuffle<f32>(r1, next1, 0, 2, 4, 6)), relu4(v128.shuffle<f32>(r1, next1, 1, 3, 5, 7)),
    corner, OW, y, argmax, plane,
  );
}

/**
 * dw (+)= the weight gradient of the nb images of x (x points at the first) from dY as rows [C_out, NP] (image n's
 * positions at n·P in each row), as sgemmNT(dY, colᵀ) would give it: dw is overwritten unless `accumulate`.
 * col: scratch for the padded images (im2col's buffer).
 */
export function directWeightGrad(
  g: usize, x: usize, nb: i32, dyRows: usize, NP: i32, col: usize, dw: usize, accumulate: bool,
): void {
  const CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const xs = bordered(g, x, nb, col);
  // Channels in pairs; an odd last one pairs with itself and is stored once.
  for (let c0 = 0; c0 < CO; c0 += 2) {
    const c1 = min(c0 + 1, CO - 1);
    for (let m = 0; m < 3; m++) {
      weightGradRow(xs, borderedHeight(g), borderedWidth(g), m, nb, f32At(dyRows, c0 * NP), f32At(dyRows, c1 * NP),
        OH, OW, f32At(dw, c0 * 9 + m * 3), c1 != c0 ? f32At(dw, c1 * 9 + m * 3) : 0, accumulate);
    }
  }
}

/**
 * The 3 taps (m, 0..3) of two channels over nb bordered images (XH rows of XW floats each):
 * dw0[n] (+)= Σ dy0[i, j] · x[i + m, j + n], and the same for dy1 into dw1 unless dw1 = 0. Each step loads 2 vectors
 * of dy and 3 of x for 6 multiply-adds, 11 live v128s, whatever order V8 schedules them in (9 taps of one channel
 * would be 19 and spill).
 */
function weightGradRow(
  x: usize, XH: i32, XW: i32, m: i32, nb: i32, dy0: usize, dy1: usize, OH: i32, OW: i32, dw0: usize, dw1: usize,
  accumulate: bool,
): void {
  const xRow = <usize>XW << 2;
  const yRow = <usize>OW << 2;
  const full = <usize>(OW & ~3) << 2;
  // A row's last 4 columns, OW − 4…OW − 1, overlap the full vectors by 4 − OW mod 4 lanes: those are zeroed in both
  // factors (zeroing dy alone would turn an infinite x into NaN there).
  const tail = OW & 3;
  const last = <usize>(OW - 4) << 2;
  const keep = i32x4.ge_s(i32x4(0, 1, 2, 3), i32x4.splat(4 - tail));
  // a<c><n>: channel c, tap (m, n).
  let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0);
  let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0);
  for (let n = 0; n < nb; n++) {
    let r = f32At(x, (n * XH + m) * XW);
    let d = <usize>(n * OH * OW) << 2;
    for (let i = 0; i < OH; i++) {
      const rowEnd = d + full;
      let q = r;
      for (let e = d; e < rowEnd; e += 16) {
        const e0 = v128.load(dy0 + e);
        const e1 = v128.load(dy1 + e);
        let u = v128.load(q);
        a00 = acc(a00, e0, u);
        a10 = acc(a10, e1, u);
        u = v128.load(q, 4);
        a01 = acc(a01, e0, u);
        a11 = acc(a11, e1, u);
        u = v128.load(q, 8);
        a02 = acc(a02, e0, u);
        a12 = acc(a12, e1, u);
        q += 16;
      }
      if (tail != 0) {
        const e0 = v128.and(v128.load(dy0 + d + last), keep);
        const e1 = v128.and(v128.load(dy1 + d + last), keep);
        q = r + last;
        let u = v128.and(v128.load(q), keep);
        a00 = acc(a00, e0, u);
        a10 = acc(a10, e1, u);
        u = v128.and(v128.load(q, 4), keep);
        a01 = acc(a01, e0, u);
        a11 = acc(a11, e1, u);
        u = v128.and(v128.load(q, 8), keep);
        a02 = acc(a02, e0, u);
        a12 = acc(a12, e1, u);
      }
      r += xRow;
      d += yRow;
    }
  }
  storeTap(dw0, 0, a00, accumulate);
  storeTap(dw0, 1, a01, accumulate);
  storeTap(dw0, 2, a02, accumulate);
  if (dw1 == 0) return;
  storeTap(dw1, 0, a10, accumulate);
  storeTap(dw1, 1, a11, accumulate);
  storeTap(dw1, 2, a12, accumulate);
}

/**
 * dw (+)= the weight gradient of the nb images of x (x points at the first) from their pooled output's gradient, for
 * the tutorial's 2×2 pool over the whole convolution (poolsWhole2x2): a window's gradient reaches its winner alone,
 * g = dy where the pooled value is live (as maxUnpool2x2Live writes it), so
 *
 *   dw[co, m, n] (+)= Σ_windows g · x[winner + (m, n)]
 *
 * takes 9 multiply-adds a window, one 3-float row of its patch per vector, in place of 36 over its 4 positions, and
 * the convolution's gradient is never written. dy, argmax and pooled: the images' [C_out, OH/2, OW/2] each; `first`:
 * the whole output's flat index of the first image's first value; dw is overwritten unless `accumulate`. Unless
 * biasSums is 0, adds every window's g to its channel's sums there (biasScratch in ./conv). The sums are those of
 * directWeightGrad's without its zero terms, grouped otherwise, so they differ only by rounding where x is finite (the
 * caller sends images holding a NaN or an infinity the dense way: there the dense sum's 0·∞ and 0·NaN terms count).
 */
export function directWeightGradPooled(
  g: usize, x: usize, nb: i32, dy: usize, argmax: usize, pooled: usize, first: i32, col: usize, dw: usize,
  accumulate: bool, biasSums: usize,
): void {
  const CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const PH = OH >> 1, PW = OW >> 1, PW4 = PW & ~3;
  const XW = borderedWidth(g);
  const xRow = <usize>XW << 2;
  const xs = bordered(g, x, nb, col);
  const zero = f32x4.splat(0);
  const columns = i32x4(0, 2, 4, 6);
  const tails = biasSums + (<usize>CO << 4);
  for (let co = 0; co < CO; co++) {
    let a0 = zero, a1 = zero, a2 = zero, bias = zero;
    let tail: f32 = 0;
    for (let n = 0; n < nb; n++) {
      const image = f32At(xs, n * borderedHeight(g) * XW);
      const planeFirst = first + (n * CO + co) * OH * OW;
      let o = (n * CO + co) * PH * PW;
      for (let i = 0; i < PH; i++) {
        const top = image + <usize>(2 * i) * xRow;
        let j = 0;
        for (; j < PW4; j += 4) {
          const d = liveGradient4(f32At(pooled, o), f32At(dy, o));
          // The windows' columns in their rows; the winner's offset in its window, r·OW + c, becomes r·XW + c in the
          // bordered image.
          const column = i32x4.add(i32x4.splat(2 * j), columns);
          const at = i32x4.sub(v128.load(f32At(argmax, o)), i32x4.add(i32x4.splat(planeFirst + 2 * i * OW), column));
          const down = i32x4.ge_s(at, i32x4.splat(OW));
          const offset = i32x4.add(i32x4.add(at, v128.and(down, i32x4.splat(XW - OW))), column);
          bias = f32x4.add(bias, d);
          let p = top + (<usize>i32x4.extract_lane(offset, 0) << 2);
          let s = v128.shuffle<f32>(d, d, 0, 0, 0, 0);
          a0 = acc(a0, s, v128.load(p)); a1 = acc(a1, s, v128.load(p + xRow)); a2 = acc(a2, s, v128.load(p + 2 * xRow));
          p = top + (<usize>i32x4.extract_lane(offset, 1) << 2);
          s = v128.shuffle<f32>(d, d, 1, 1, 1, 1);
          a0 = acc(a0, s, v128.load(p)); a1 = acc(a1, s, v128.load(p + xRow)); a2 = acc(a2, s, v128.load(p + 2 * xRow));
          p = top + (<usize>i32x4.extract_lane(offset, 2) << 2);
          s = v128.shuffle<f32>(d, d, 2, 2, 2, 2);
          a0 = acc(a0, s, v128.load(p)); a1 = acc(a1, s, v128.load(p + xRow)); a2 = acc(a2, s, v128.load(p + 2 * xRow));
          p = top + (<usize>i32x4.extract_lane(offset, 3) << 2);
          s = v128.shuffle<f32>(d, d, 3, 3, 3, 3);
          a0 = acc(a0, s, v128.load(p)); a1 = acc(a1, s, v128.load(p + xRow)); a2 = acc(a2, s, v128.load(p + 2 * xRow));
          o += 4;
        }
        for (; j < PW; j++) {
          const d = liveGradient(f32At(pooled, o), f32At(dy, o));
          const at = load<i32>(f32At(argmax, o)) - (planeFirst + 2 * i * OW + 2 * j);
          const p = top + (<usize>(2 * j + (at >= OW ? at + XW - OW : at)) << 2);
          const s = f32x4.splat(d);
          a0 = acc(a0, s, v128.load(p)); a1 = acc(a1, s, v128.load(p + xRow)); a2 = acc(a2, s, v128.load(p + 2 * xRow));
          tail += d;
          o++;
        }
      }
    }
    if (dw != 0) {
      // Lanes 0…2 of a_m are the taps (m, 0…2); lane 3 read the patch's 4th column and is left.
      const w = f32At(dw, co * 9);
      storeRow3(w, a0, accumulate);
      storeRow3(w + 12, a1, accumulate);
      storeRow3(w + 24, a2, accumulate);
    }
    if (biasSums != 0) {
      const sums = biasSums + (<usize>co << 4);
      v128.store(sums, f32x4.add(v128.load(sums), bias));
      store<f32>(f32At(tails, co), load<f32>(f32At(tails, co)) + tail);
    }
  }
}

/** w[0..3) (+)= lanes 0…2 of v. */
@inline
function storeRow3(w: usize, v: v128, accumulate: bool): void {
  store<f32>(w, f32x4.extract_lane(v, 0) + (accumulate ? load<f32>(w) : 0));
  store<f32>(w, f32x4.extract_lane(v, 1) + (accumulate ? load<f32>(w, 4) : 0), 4);
  store<f32>(w, f32x4.extract_lane(v, 2) + (accumulate ? load<f32>(w, 8) : 0), 8);
}

/** dw[t] (+)= the sum of s's lanes. */
@inline
function storeTap(dw: usize, t: i32, s: v128, accumulate: bool): void {
  const p = f32At(dw, t);
  const sum = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  store<f32>(p, accumulate ? load<f32>(p) + sum : sum);
}
