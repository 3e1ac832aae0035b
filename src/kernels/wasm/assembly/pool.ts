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
 * the values are computed (inference).
 */
export function maxPool2dForward(g: usize, x: usize, y: usize, argmax: usize, firstIndex: i32): void {
  if (padHeight(g) == 0 && padWidth(g) == 0) {
    if (isPool2x2(g)) {
      if (argmax == 0) maxPool2x2Values(g, x, y);
      else maxPool2x2(g, x, y, argmax, firstIndex);
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
 * The tutorial's 2×2, stride 2 pooling, four outputs at a time without branches: a candidate replaces the best so
 * far when it is larger or NaN, and only while the best is not NaN, which is exactly the sequential rule above.
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
        const iE0 = i32x4.add(i32x4.splat(r0 + 2 * j), lanes);
        let best = v128.shuffle<f32>(a0, b0, 0, 2, 4, 6);
        let bestIndex = iE0;
        // Window order: top-left, top-right, bottom-left, bottom-right.
        let v = v128.shuffle<f32>(a0, b0, 1, 3, 5, 7);
        let take = v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(v, best), f32x4.ne(v, v)));
        best = v128.bitselect(v, best, take);
        bestIndex = v128.bitselect(i32x4.add(iE0, i32x4.splat(1)), bestIndex, take);
        v = v128.shuffle<f32>(a1, b1, 0, 2, 4, 6);
        take = v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(v, best), f32x4.ne(v, v)));
        best = v128.bitselect(v, best, take);
        bestIndex = v128.bitselect(i32x4.add(iE0, i32x4.splat(W)), bestIndex, take);
        v = v128.shuffle<f32>(a1, b1, 1, 3, 5, 7);
        take = v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(v, best), f32x4.ne(v, v)));
        best = v128.bitselect(v, best, take);
        bestIndex = v128.bitselect(i32x4.add(iE0, i32x4.splat(W + 1)), bestIndex, take);
        v128.store(f32At(y, o), best);
        v128.store(f32At(argmax, o), i32x4.add(bestIndex, i32x4.splat(firstIndex)));
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
        store<i32>(f32At(argmax, o), bestIndex + firstIndex);
        o++;
      }
    }
  }
}

/**
 * maxPool2x2's values without the winners' indices: f32x4.max of the 4 window positions. The same values as the
 * sequential rule, NaN included (f32x4.max propagates it), except that it takes +0 over −0 where they tie, which
 * relu's output never holds (relu gives +0): the values-only kernel serves relu's output only (inference through
 * conv2dReluMaxPool2d).
 */
function maxPool2x2Values(g: usize, x: usize, y: usize): void {
  const planes = batch(g) * inChannels(g), H = inHeight(g), W = inWidth(g);
  const OH = outHeight(g), OW = outWidth(g);
  const OW4 = OW & ~3;
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
        const top = f32x4.max(v128.shuffle<f32>(a0, b0, 0, 2, 4, 6), v128.shuffle<f32>(a0, b0, 1, 3, 5, 7));
        const bottom = f32x4.max(v128.shuffle<f32>(a1, b1, 0, 2, 4, 6), v128.shuffle<f32>(a1, b1, 1, 3, 5, 7));
        v128.store(f32At(y, o), f32x4.max(top, bottom));
        o += 4;
      }
      for (; j < OW; j++) {
        const corner = r0 + 2 * j;
        let best = load<f32>(f32At(x, corner));
        for (let k = 1; k < 4 && best == best; k++) {
          const v = load<f32>(f32At(x, corner + (k >> 1) * W + (k & 1)));
          if (v > best || v != v) best = v;
        }
        store<f32>(f32At(y, o), best);
        o++;
      }
    }
  }
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
  const zero = f32x4.splat(0);
  const lanes = i32x4(0, 2, 4, 6);
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W;
    for (let i = 0; i < OH; i++) {
      const r0 = base + 2 * i * W;
      const row0 = f32At(dx, r0), row1 = f32At(dx, r0 + W);
      let j = 0;
      for (; j < OW4; j += 4) {
        const live = v128.not(f32x4.le(v128.load(f32At(pooled, o)), zero));
        // 0 + dy, as the scatter of maxPool2dBackward adds it: a −0 becomes +0 there too.
        const d = f32x4.add(zero, v128.and(v128.load(f32At(dy, o)), live));
        // The winner's offset in its window: 0, 1, W or W + 1.
        const at = i32x4.sub(v128.load(f32At(argmax, o)), i32x4.add(i32x4.splat(first + r0 + 2 * j), lanes));
        const tl = v128.and(d, i32x4.eq(at, i32x4.splat(0)));
        const tr = v128.and(d, i32x4.eq(at, i32x4.splat(1)));
        const bl = v128.and(d, i32x4.eq(at, i32x4.splat(W)));
        const br = v128.and(d, i32x4.eq(at, i32x4.splat(W + 1)));
        v128.store(f32At(row0, 2 * j), v128.shuffle<f32>(tl, tr, 0, 4, 1, 5));
        v128.store(f32At(row0, 2 * j + 4), v128.shuffle<f32>(tl, tr, 2, 6, 3, 7));
        v128.store(f32At(row1, 2 * j), v128.shuffle<f32>(bl, br, 0, 4, 1, 5));
        v128.store(f32At(row1, 2 * j + 4), v128.shuffle<f32>(bl, br, 2, 6, 3, 7));
        o += 4;
      }
      for (; j < OW; j++) {
        const p = load<f32>(f32At(pooled, o));
        const d = p <= 0 ? <f32>0 : <f32>0 + load<f32>(f32At(dy, o));
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
