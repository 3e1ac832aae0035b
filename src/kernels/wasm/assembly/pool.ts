// Max pooling over NCHW, the same rule as the reference kernel: −∞ padding, the first maximum in row-major window
// order wins ties, a NaN wins and propagates. argmax holds the flat input index of each winner.
import {
  batch,
  inChannels,
  inHeight,
  inWidth,
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
import { zeroRow } from "./rows";

/** Whether pooling g is the tutorial's: 2×2 windows at stride 2, without padding (maxPool2x2, maxUnpool2x2Live). */
@inline
export function isPool2x2(g: usize): bool {
  return kernelHeight(g) == 2 && kernelWidth(g) == 2 && strideHeight(g) == 2 && strideWidth(g) == 2 &&
    padHeight(g) == 0 && padWidth(g) == 0;
}

/**
 * Pools this call's images. `firstIndex` is the flat index of x[0] in the whole input (non-zero when the batch is split
 * across threads), so argmax holds indices into the whole input, as the reference kernel's do. With argmax 0 only
 * the values are computed, and x must be relu's output (inference through conv2dReluMaxPool2d: see poolWindows4).
 */
export function maxPool2dForward(g: usize, x: usize, y: usize, argmax: usize, firstIndex: i32): void {
  if (padHeight(g) == 0 && padWidth(g) == 0) {
    if (isPool2x2(g)) {
      maxPool2x2(g, x, y, argmax, firstIndex);
    } else {
      maxPoolNoPadding(g, x, y, argmax, firstIndex);
    }
    return;
  }
  const planes = batch(g) * inChannels(g),
    H = inHeight(g),
    W = inWidth(g);
  const KH = kernelHeight(g),
    KW = kernelWidth(g),
    SH = strideHeight(g),
    SW = strideWidth(g);
  const PH = padHeight(g),
    PW = padWidth(g),
    OH = outHeight(g),
    OW = outWidth(g);
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let best: f32 = -Infinity;
        let bestIndex = -1;
        for (let m = 0; m < KH; m++) {
          const r = i * SH + m - PH;
          if (r < 0 || r >= H) continue;
          for (let n = 0; n < KW; n++) {
            const c = j * SW + n - PW;
            if (c < 0 || c >= W) continue;
            const index = base + r * W + c;
            const v = load<f32>(f32At(x, index));
            if (v > best || v != v || bestIndex < 0) {
              best = v;
              bestIndex = index;
              if (v != v) break;
            }
          }
          if (best != best) break;
        }
        store<f32>(f32At(y, o), best);
        if (argmax != 0) store<i32>(f32At(argmax, o), bestIndex + firstIndex);
        o++;
      }
    }
  }
}

/**
 * dx[argmax[o]] += dy[o] for this call's outputs, after zeroing dx[zeroFrom, zeroFrom + zeroCount): the inputs of
 * the same images, so threads that split the batch never write each other's part.
 */
export function maxPool2dBackward(dy: usize, argmax: usize, outputs: i32, dx: usize, zeroFrom: i32, zeroCount: i32): void {
  memory.fill(f32At(dx, zeroFrom), 0, (<usize>zeroCount) << 2);
  for (let o = 0; o < outputs; o++) {
    const p = f32At(dx, load<i32>(f32At(argmax, o)));
    store<f32>(p, load<f32>(p) + load<f32>(f32At(dy, o)));
  }
}

/** Without padding every window lies inside the image, so the loops need no bounds tests. */
function maxPoolNoPadding(g: usize, x: usize, y: usize, argmax: usize, firstIndex: i32): void {
  const planes = batch(g) * inChannels(g), H = inHeight(g), W = inWidth(g);
  const KH = kernelHeight(g), KW = kernelWidth(g), SH = strideHeight(g), SW = strideWidth(g);
  const OH = outHeight(g), OW = outWidth(g);
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const corner = base + i * SH * W + j * SW;
        let bestIndex = corner;
        let best = load<f32>(f32At(x, corner));
        for (let m = 0; m < KH && best == best; m++) {
          const row = corner + m * W;
          for (let n = m == 0 ? 1 : 0; n < KW; n++) {
            const v = load<f32>(f32At(x, row + n));
            if (v > best || v != v) {
              best = v;
              bestIndex = row + n;
              if (v != v) break;
            }
          }
        }
        store<f32>(f32At(y, o), best);
        if (argmax != 0) store<i32>(f32At(argmax, o), bestIndex + firstIndex);
        o++;
      }
    }
  }
}

/**
 * Whether pooling pg is the tutorial's 2×2 pool and reads all of the convolution g's output: an even number of rows
 * and columns, as the fused kernels crop it to (pooledRegion in kernels.ts). Then they pool each 2×2 block of the
 * convolution as it is computed (poolWindows4), instead of storing the output and pooling it after.
 */
export function poolsWhole2x2(g: usize, pg: usize): bool {
  return isPool2x2(pg) && outHeight(g) == 2 * outHeight(pg) && outWidth(g) == 2 * outWidth(pg);
}

/**
 * Four windows of the tutorial's 2×2 pool side by side: lane k holds window k's positions in window order (top-left
 * tl, top-right tr, bottom-left bl, bottom-right br), and `corner` the flat index of its top-left in the whole input
 * (the top-right's is corner + 1, the bottom row's corner + W and corner + W + 1). Stores the 4 maxima at y and the
 * winners' indices at argmax, by the sequential rule without branches: a candidate replaces the best so far when it
 * is larger or NaN, and only while the best is not NaN. With `split`, lanes 2 and 3 go `split` bytes past y and
 * argmax (two channels' windows, 2 each: see ./conv-direct).
 * With argmax 0, only the maxima, for relu's output only (inference through conv2dReluMaxPool2d): there every value
 * is +0, positive or NaN, and such floats order as unsigned integers as they do as floats, with any NaN (either sign
 * bit) above the rest. So i32x4.max_u gives the rule's values, one instruction where V8 spends 8 on an f32x4.max; of
 * two NaNs in a window it may keep the other one's bits.
 */
@inline
export function poolWindows4(
  tl: v128, tr: v128, bl: v128, br: v128, corner: v128, W: i32, y: usize, argmax: usize, split: usize = 0,
): void {
  if (argmax == 0) {
    store4(y, i32x4.max_u(i32x4.max_u(tl, tr), i32x4.max_u(bl, br)), split);
    return;
  }
  let best = tl;
  let bestIndex = corner;
  let take = v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(tr, best), f32x4.ne(tr, tr)));
  best = v128.bitselect(tr, best, take);
  bestIndex = v128.bitselect(i32x4.add(corner, i32x4.splat(1)), bestIndex, take);
  take = v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(bl, best), f32x4.ne(bl, bl)));
  best = v128.bitselect(bl, best, take);
  bestIndex = v128.bitselect(i32x4.add(corner, i32x4.splat(W)), bestIndex, take);
  take = v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(br, best), f32x4.ne(br, br)));
  best = v128.bitselect(br, best, take);
  bestIndex = v128.bitselect(i32x4.add(corner, i32x4.splat(W + 1)), bestIndex, take);
  store4(y, best, split);
  store4(argmax, bestIndex, split);
}

/** The 4 lanes of v at p; or, with `split` bytes, lanes 0 and 1 at p and lanes 2 and 3 at p + split. */
@inline
function store4(p: usize, v: v128, split: usize): void {
  if (split == 0) {
    v128.store(p, v);
  } else {
    v128.store64_lane(p, v, 0);
    v128.store64_lane(p + split, v, 1);
  }
}

/**
 * The tutorial's 2×2, stride 2 pooling, four outputs at a time (poolWindows4), with the sequential rule's scalar loop
 * for a row's last OW mod 4. argmax 0: the values only.
 */
function maxPool2x2(g: usize, x: usize, y: usize, argmax: usize, firstIndex: i32): void {
  const planes = batch(g) * inChannels(g), H = inHeight(g), W = inWidth(g);
  const OH = outHeight(g), OW = outWidth(g);
  const OW4 = OW & ~3;
  const lanes = i32x4(0, 2, 4, 6);
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let i = 0; i < OH; i++) {
      const r0 = base + 2 * i * W;
      let j = 0;
      for (; j < OW4; j += 4) {
        const p0 = f32At(x, r0 + 2 * j);
        const p1 = f32At(x, r0 + W + 2 * j);
        const a0 = v128.load(p0), b0 = v128.load(p0, 16);
        const a1 = v128.load(p1), b1 = v128.load(p1, 16);
        const corner = i32x4.add(i32x4.splat(firstIndex + r0 + 2 * j), lanes);
        poolWindows4(
          v128.shuffle<f32>(a0, b0, 0, 2, 4, 6), v128.shuffle<f32>(a0, b0, 1, 3, 5, 7),
          v128.shuffle<f32>(a1, b1, 0, 2, 4, 6), v128.shuffle<f32>(a1, b1, 1, 3, 5, 7),
          corner, W, f32At(y, o), argmax != 0 ? f32At(argmax, o) : 0,
        );
        o += 4;
      }
      for (; j < OW; j++) {
        const corner = r0 + 2 * j;
        let bestIndex = corner;
        let best = load<f32>(f32At(x, corner));
        for (let k = 1; k < 4 && best == best; k++) {
          const index = corner + (k >> 1) * W + (k & 1);
          const v = load<f32>(f32At(x, index));
          if (v > best || v != v) {
            best = v;
            bestIndex = index;
          }
        }
        store<f32>(f32At(y, o), best);
        if (argmax != 0) store<i32>(f32At(argmax, o), bestIndex + firstIndex);
        o++;
      }
    }
  }
}

/**
 * The gradient that reaches 4 windows' winners through relu and the pool: dy where the pooled value is not ≤ 0 (a
 * NaN passes, as reluBackward's), else 0; and 0 + dy, as the scatter of maxPool2dBackward adds it, so a −0 becomes
 * +0 there too. `pooled` and `dy` point at the 4 windows' values.
 */
@inline
export function liveGradient4(pooled: usize, dy: usize): v128 {
  const zero = f32x4.splat(0);
  return f32x4.add(zero, v128.and(v128.load(dy), v128.not(f32x4.le(v128.load(pooled), zero))));
}

/** liveGradient4 for one window. */
@inline
export function liveGradient(pooled: usize, dy: usize): f32 {
  return load<f32>(pooled) <= 0 ? <f32>0 : <f32>0 + load<f32>(dy);
}

/** The lanes of g whose winner lies `offset` from its window's top-left (`at`: each lane's winner's offset), else 0. */
@inline
export function atWinner(g: v128, at: v128, offset: i32): v128 {
  return v128.and(g, i32x4.eq(at, i32x4.splat(offset)));
}

/**
 * The input gradient of maxPool2x2 for one image of `planes` planes of H × W, with relu′ at each window's winner
 * folded in: dx[winner] = dy where the pooled value is not ≤ 0 (a NaN passes, as reluBackward's), every other
 * position 0, the odd last row and column (outside every window) included. Writes all of dx, so it needs no zeroing
 * and no scatter: 4 windows at a time, each of the 4 positions takes dy where the window's argmax is that position.
 * `first` is the whole input's flat index of this image's dx[0] (argmax holds whole-input indices).
 */
export function maxUnpool2x2Live(
  planes: i32, H: i32, W: i32, dy: usize, argmax: usize, pooled: usize, dx: usize, first: i32,
): void {
  const OH = H >> 1, OW = W >> 1;
  const OW4 = OW & ~3;
  const lanes = i32x4(0, 2, 4, 6);
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let i = 0; i < OH; i++) {
      const r0 = base + 2 * i * W;
      const row0 = f32At(dx, r0), row1 = f32At(dx, r0 + W);
      let j = 0;
      for (; j < OW4; j += 4) {
        const d = liveGradient4(f32At(pooled, o), f32At(dy, o));
        // The winner's offset in its window: 0, 1, W or W + 1.
        const at = i32x4.sub(v128.load(f32At(argmax, o)), i32x4.add(i32x4.splat(first + r0 + 2 * j), lanes));
        const tl = atWinner(d, at, 0), tr = atWinner(d, at, 1), bl = atWinner(d, at, W), br = atWinner(d, at, W + 1);
        v128.store(f32At(row0, 2 * j), v128.shuffle<f32>(tl, tr, 0, 4, 1, 5));
        v128.store(f32At(row0, 2 * j + 4), v128.shuffle<f32>(tl, tr, 2, 6, 3, 7));
        v128.store(f32At(row1, 2 * j), v128.shuffle<f32>(bl, br, 0, 4, 1, 5));
        v128.store(f32At(row1, 2 * j + 4), v128.shuffle<f32>(bl, br, 2, 6, 3, 7));
        o += 4;
      }
      for (; j < OW; j++) {
        const d = liveGradient(f32At(pooled, o), f32At(dy, o));
        const at = load<i32>(f32At(argmax, o)) - first - r0 - 2 * j;
        store<f32>(f32At(row0, 2 * j), at == 0 ? d : 0);
        store<f32>(f32At(row0, 2 * j + 1), at == 1 ? d : 0);
        store<f32>(f32At(row1, 2 * j), at == W ? d : 0);
        store<f32>(f32At(row1, 2 * j + 1), at == W + 1 ? d : 0);
        o++;
      }
      if (W & 1) {
        store<f32>(f32At(row0, W - 1), 0);
        store<f32>(f32At(row1, W - 1), 0);
      }
    }
    if (H & 1) zeroRow(f32At(dx, base + (H - 1) * W), W);
  }
}
