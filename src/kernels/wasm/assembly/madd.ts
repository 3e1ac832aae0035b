// acc is the multiply-add of every inner loop of the kernels. The relaxed-SIMD build (scripts/build-wasm.mjs) makes
// it one f32x4.relaxed_madd, which the engine may run as a fused multiply-add (vfmadd on x86 with FMA3): one rounding
// instead of two, so its sums differ from the plain build's in the last bits. The plain build keeps a separate
// multiply and add, for engines without relaxed SIMD.

/** c + a·b, lane by lane. */
@inline
export function acc(c: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
