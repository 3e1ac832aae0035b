import { f32At } from "./geometry";

/**
 * relu(v) lane by lane: v where it is not ≤ 0 (so a NaN passes, bits and all, as in the reference kernel), else +0
 * (−0 included). A compare and a mask: V8 spends 8 instructions on an f32x4.max, for its NaN and ±0 rules.
 */
@inline
export function relu4(v: v128): v128 {
  return v128.andnot(v, f32x4.le(v, f32x4.splat(0)));
}

/** Whether the n floats at x are all finite: x − x is 0 for each, and NaN for an infinity or a NaN. */
export function allFinite(x: usize, n: i32): bool {
  let s = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(f32At(x, i));
    s = f32x4.add(s, f32x4.sub(v, v));
  }
  let t: f32 = 0;
  for (; i < n; i++) {
    const v = load<f32>(f32At(x, i));
    t += v - v;
  }
  return v128.all_true<i32>(f32x4.eq(s, s)) && t == t;
}

/** y = relu(x) = max(x, 0), with NaN propagated as in the reference kernel. */
export function relu(x: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(f32At(y, i), relu4(v128.load(f32At(x, i))));
  for (; i < n; i++) {
    const v = load<f32>(f32At(x, i));
    store<f32>(f32At(y, i), v > 0 || v != v ? v : 0);
  }
}

/** dx = 0 where x ≤ 0, else dy: relu′(0) = 0, and a NaN passes its gradient, as PyTorch's threshold_backward. */
export function reluBackward(dy: usize, x: usize, dx: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const blocked = f32x4.le(v128.load(f32At(x, i)), zero);
    v128.store(f32At(dx, i), v128.andnot(v128.load(f32At(dy, i)), blocked));
  }
  for (; i < n; i++) store<f32>(f32At(dx, i), load<f32>(f32At(x, i)) <= 0 ? 0 : load<f32>(f32At(dy, i)));
}

/**
 * out[i] = Σ_k parts[k][i] over the `count` buffers whose addresses are at `pointers` (i32 each), added in k order:
 * the jobs' partial weight and bias gradients, summed in the order of their ranges.
 */
export function sumParts(pointers: usize, count: i32, n: i32, out: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let s = v128.load(f32At(part(pointers, 0), i));
    for (let k = 1; k < count; k++) s = f32x4.add(s, v128.load(f32At(part(pointers, k), i)));
    v128.store(f32At(out, i), s);
  }
  for (; i < n; i++) {
    let s = load<f32>(f32At(part(pointers, 0), i));
    for (let k = 1; k < count; k++) s += load<f32>(f32At(part(pointers, k), i));
    store<f32>(f32At(out, i), s);
  }
}

/** The address of part k: the k-th i32 at `pointers`. */
@inline
function part(pointers: usize, k: i32): usize {
  return <usize>load<i32>(pointers + (<usize>k << 2));
}

/**
 * y[i] = x[i] / 255 for the n bytes at x, as float32: torchvision's ToTensor. A float32 division of an integer is
 * rounded once, exactly as PyTorch's; a multiplication by 1/255 would differ in the last bit for about half the bytes.
 */
export function bytesToUnit(x: usize, y: usize, n: i32): void {
  const scale = f32x4.splat(255);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const bytes = v128.load(x + <usize>i);
    const low = i16x8.extend_low_i8x16_u(bytes);
    const high = i16x8.extend_high_i8x16_u(bytes);
    v128.store(f32At(y, i), f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(low)), scale));
    v128.store(f32At(y, i + 4), f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(low)), scale));
    v128.store(f32At(y, i + 8), f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(high)), scale));
    v128.store(f32At(y, i + 12), f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(high)), scale));
  }
  for (; i < n; i++) store<f32>(f32At(y, i), <f32>load<u8>(x + <usize>i) / 255);
}
