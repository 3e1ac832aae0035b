import { f32At } from "./geometry";

/** y = max(x, 0); f32x4.max propagates NaN, as the reference kernel does. */
export function relu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(f32At(y, i), f32x4.max(v128.load(f32At(x, i)), zero));
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
