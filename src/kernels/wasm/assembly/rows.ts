// Short row operations, inline. A convolution moves rows of a few dozen floats (an 11-wide output row of conv2,
// 9 positions of conv3) thousands of times a batch; memory.copy and memory.fill cost a call into the engine's
// runtime each, more than the move itself at that length, so short rows go through v128 loads and stores here.
import { f32At } from "./geometry";

/** Rows from this many floats go to memory.copy / memory.fill, whose per-call cost is then amortised. */
const BULK: i32 = 256;

/** dst[0..n) = src[0..n); the ranges do not overlap. */
@inline
export function copyRow(dst: usize, src: usize, n: i32): void {
  if (n >= BULK) {
    memory.copy(dst, src, <usize>n << 2);
    return;
  }
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(f32At(dst, j), v128.load(f32At(src, j)));
  for (; j < n; j++) store<f32>(f32At(dst, j), load<f32>(f32At(src, j)));
}

/**
 * dst[0..n) = src[0..n) in whole v128s: it reads and writes up to 3 floats past n. For rows followed by another
 * row that is written later (the caller's order guarantees it), and by readable memory (the host leaves 16 bytes of
 * slack after every buffer). One load and one store per 4 floats, with no tail.
 */
@inline
export function copyRowOver(dst: usize, src: usize, n: i32): void {
  for (let j = 0; j < n; j += 4) v128.store(f32At(dst, j), v128.load(f32At(src, j)));
}

/** dst[0..n) = 0 */
@inline
export function zeroRow(dst: usize, n: i32): void {
  if (n >= BULK) {
    memory.fill(dst, 0, <usize>n << 2);
    return;
  }
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(f32At(dst, j), zero);
  for (; j < n; j++) store<f32>(f32At(dst, j), 0);
}

/** dst[0..n) += src[0..n) */
@inline
export function addRow(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(f32At(dst, j), f32x4.add(v128.load(f32At(dst, j)), v128.load(f32At(src, j))));
  for (; j < n; j++) store<f32>(f32At(dst, j), load<f32>(f32At(dst, j)) + load<f32>(f32At(src, j)));
}

/**
 * dst[0..n) += src[0..n) in whole v128s, the last one masked: it reads up to 3 floats past n in both rows and writes
 * those of dst back unchanged. Only for a dst row that no other thread writes within 3 floats after it.
 */
@inline
export function addRowMasked(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(f32At(dst, j), f32x4.add(v128.load(f32At(dst, j)), v128.load(f32At(src, j))));
  if (j < n) {
    const keep = i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n - j));
    const old = v128.load(f32At(dst, j));
    v128.store(f32At(dst, j), v128.bitselect(f32x4.add(old, v128.load(f32At(src, j))), old, keep));
  }
}
