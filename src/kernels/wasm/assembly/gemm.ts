// Single-precision matrix product on 128-bit SIMD, the hot loop of every convolution and linear layer.
//
//   C[M,N] (+)= A[M,K] · B[K,N]      row-major, leading dimensions lda, ldb, ldc (in elements)
//
// Vectorised along N (contiguous in B and C). The 4×8 block keeps 8 f32x4 accumulators, 2 vectors of B and 4 splats
// of A in registers: 14 of the 16 XMM registers. Wider blocks spill and run at half speed (measured on this CPU).
//
// The multiply-add is acc (./madd): FMA in the relaxed-SIMD build.
import { acc } from "./madd";

@inline
function storeBlock(ptr: usize, v: v128, accumulate: bool): void {
  v128.store(ptr, accumulate ? f32x4.add(v128.load(ptr), v) : v);
}

// A is packed as 4-row panels, interleaved as panel[p·4 + r] = A[r, p], so the inner loop reads one sequential
// v128 per step instead of four strided scalars. A convolution's weights are packed once per call (packPanels, into
// a buffer of the host's: see im2colWeights in ./conv, winogradWeights in ./winograd) and the panels serve every
// image (sgemmPacked); a plain sgemm packs one panel at a time, in chunks of K, into its pack buffer.
// Each instance (thread) over a shared memory needs a pack buffer of its own, which the host places with
// usePackBuffer before the first call.
const KC: i32 = 512;
/** Floats in the pack buffer: one panel of a chunk of K. */
export const PACK_FLOATS: i32 = 4 * KC;
export const PACK_BUFFER_BYTES: i32 = PACK_FLOATS * 4;
let PACKED_A: usize = 0;

export function usePackBuffer(ptr: usize): void {
  PACKED_A = ptr;
}

/**
 * Packs rows [0, m − m mod 4) of A[m, k] at dst, panel i (rows 4i…4i+3) at dst + i·k·16 bytes: (m − m mod 4)·k
 * floats for sgemmPacked.
 */
export function packPanels(m: i32, k: i32, a: usize, lda: i32, dst: usize): void {
  const m4 = m & ~3;
  for (let i = 0; i < m4; i += 4) {
    packA4(a + ((<usize>i * <usize>lda) << 2), lda, k, dst + ((<usize>i * <usize>k) << 2));
  }
}

function packA4(a: usize, lda: i32, k: i32, dst0: usize): void {
  const rowA = <usize>lda << 2;
  let dst = dst0;
  for (let p = 0; p < k; p++) {
    const src = a + (<usize>p << 2);
    store<f32>(dst, load<f32>(src));
    store<f32>(dst, load<f32>(src + rowA), 4);
    store<f32>(dst, load<f32>(src + 2 * rowA), 8);
    store<f32>(dst, load<f32>(src + 3 * rowA), 12);
    dst += 16;
  }
}

/** C[4, 8] (+)= panel · B[k, 8]: 8 f32x4 accumulators, A's values splatted straight from memory. */
function block4x8(k: i32, panel: usize, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pa = panel;
  let pb = b;
  const stepB = <usize>ldb << 2;
  const end = panel + (<usize>k << 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = acc(c00, a, b0);
    c01 = acc(c01, a, b1);
    a = v128.load32_splat(pa, 4);
    c10 = acc(c10, a, b0);
    c11 = acc(c11, a, b1);
    a = v128.load32_splat(pa, 8);
    c20 = acc(c20, a, b0);
    c21 = acc(c21, a, b1);
    a = v128.load32_splat(pa, 12);
    c30 = acc(c30, a, b0);
    c31 = acc(c31, a, b1);
    pa += 16;
    pb += stepB;
  }
  const rowC = <usize>ldc << 2;
  storeBlock(c, c00, accumulate);
  storeBlock(c + 16, c01, accumulate);
  storeBlock(c + rowC, c10, accumulate);
  storeBlock(c + rowC + 16, c11, accumulate);
  storeBlock(c + 2 * rowC, c20, accumulate);
  storeBlock(c + 2 * rowC + 16, c21, accumulate);
  storeBlock(c + 3 * rowC, c30, accumulate);
  storeBlock(c + 3 * rowC + 16, c31, accumulate);
}

/** One row of C against 4 columns: the edge when N is not a multiple of 8, or M not a multiple of 4. */
function row1x4(k: i32, a: usize, b: usize, ldb: i32, c: usize, accumulate: bool): void {
  let c0 = f32x4.splat(0);
  let pb = b;
  const stepB = <usize>ldb << 2;
  for (let p = 0; p < k; p++) {
    c0 = acc(c0, f32x4.splat(load<f32>(a + (<usize>p << 2))), v128.load(pb));
    pb += stepB;
  }
  storeBlock(c, c0, accumulate);
}

function dot1x1(k: i32, a: usize, b: usize, ldb: i32, c: usize, accumulate: bool): void {
  let s: f32 = 0;
  for (let p = 0; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(b + ((<usize>p * <usize>ldb) << 2));
  store<f32>(c, accumulate ? load<f32>(c) + s : s);
}

export function sgemm(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
): void {
  const n8 = n & ~7;
  for (let i = 0; i + 4 <= m; i += 4) {
    const ci = c + ((<usize>i * <usize>ldc) << 2);
    // K in chunks that fit one panel of the pack buffer; every chunk after the first adds to C.
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      packA4(a + ((<usize>i * <usize>lda + <usize>p0) << 2), lda, kc, PACKED_A);
      const bp = b + ((<usize>p0 * <usize>ldb) << 2);
      for (let j = 0; j < n8; j += 8) {
        block4x8(kc, PACKED_A, bp + (<usize>j << 2), ldb, ci + (<usize>j << 2), ldc, accumulate || p0 > 0);
      }
    }
  }
  edges(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

/** sgemm with A already packed at `packed` (packPanels(m, k, a, lda, packed)); `a` itself serves the edges. */
export function sgemmPacked(
  m: i32,
  n: i32,
  k: i32,
  packed: usize,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
): void {
  const m4 = m & ~3;
  const n8 = n & ~7;
  for (let j = 0; j < n8; j += 8) {
    for (let i = 0; i < m4; i += 4) {
      const panel = packed + ((<usize>i * <usize>k) << 2);
      block4x8(k, panel, b + (<usize>j << 2), ldb, c + ((<usize>i * <usize>ldc + <usize>j) << 2), ldc, accumulate);
    }
  }
  edges(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

/** What the 4×8 blocks leave: the last n mod 8 columns of the first m − m mod 4 rows, and the last m mod 4 rows. */
function edges(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: bool): void {
  const m4 = m & ~3;
  const n8 = n & ~7;
  const n4 = n & ~3;
  for (let i = 0; i < m; i++) {
    const ar = a + ((<usize>i * <usize>lda) << 2);
    const cr = c + ((<usize>i * <usize>ldc) << 2);
    const j0 = i < m4 ? n8 : 0;
    for (let j = j0; j + 4 <= n; j += 4) row1x4(k, ar, b + (<usize>j << 2), ldb, cr + (<usize>j << 2), accumulate);
    for (let j = max(j0, n4); j < n; j++) dot1x1(k, ar, b + (<usize>j << 2), ldb, cr + (<usize>j << 2), accumulate);
  }
}

/** out[cols, rows] = inᵀ for a row-major in[rows, cols]. */
export function transpose(input: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(out + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(input + ((<usize>r * <usize>cols + <usize>c) << 2)));
    }
  }
}

@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Σ_p a[p]·b[p] over k elements, 4 lanes at a time, then the scalar tail. */
function dot(k: i32, a: usize, b: usize): f32 {
  let s4 = f32x4.splat(0);
  let p = 0;
  for (; p + 4 <= k; p += 4) s4 = acc(s4, v128.load(a + (<usize>p << 2)), v128.load(b + (<usize>p << 2)));
  let s = hsum(s4);
  for (; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(b + (<usize>p << 2));
  return s;
}

/** Four rows of A against two rows of B: 8 dot products sharing their loads. */
function blockNT4x2(k: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: bool): void {
  const rowA = <usize>lda << 2;
  const rowB = <usize>ldb << 2;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const k4 = k & ~3;
  for (let p = 0; p < k4; p += 4) {
    const off = <usize>p << 2;
    const b0 = v128.load(b + off);
    const b1 = v128.load(b + rowB + off);
    const a0 = v128.load(a + off);
    const a1 = v128.load(a + rowA + off);
    const a2 = v128.load(a + 2 * rowA + off);
    const a3 = v128.load(a + 3 * rowA + off);
    c00 = acc(c00, a0, b0);
    c01 = acc(c01, a0, b1);
    c10 = acc(c10, a1, b0);
    c11 = acc(c11, a1, b1);
    c20 = acc(c20, a2, b0);
    c21 = acc(c21, a2, b1);
    c30 = acc(c30, a3, b0);
    c31 = acc(c31, a3, b1);
  }
  const rowC = <usize>ldc << 2;
  finishNT(hsum(c00), k4, k, a, b, c, accumulate);
  finishNT(hsum(c01), k4, k, a, b + rowB, c + 4, accumulate);
  finishNT(hsum(c10), k4, k, a + rowA, b, c + rowC, accumulate);
  finishNT(hsum(c11), k4, k, a + rowA, b + rowB, c + rowC + 4, accumulate);
  finishNT(hsum(c20), k4, k, a + 2 * rowA, b, c + 2 * rowC, accumulate);
  finishNT(hsum(c21), k4, k, a + 2 * rowA, b + rowB, c + 2 * rowC + 4, accumulate);
  finishNT(hsum(c30), k4, k, a + 3 * rowA, b, c + 3 * rowC, accumulate);
  finishNT(hsum(c31), k4, k, a + 3 * rowA, b + rowB, c + 3 * rowC + 4, accumulate);
}

/** Adds the scalar tail p in [k4, k) of one dot product to its vector part and stores it. */
@inline
function finishNT(sum: f32, k4: i32, k: i32, a: usize, b: usize, c: usize, accumulate: bool): void {
  let s = sum;
  for (let p = k4; p < k; p++) s += load<f32>(a + (<usize>p << 2)) * load<f32>(b + (<usize>p << 2));
  store<f32>(c, accumulate ? load<f32>(c) + s : s);
}

/**
 * C[M,N] (+)= A[M,K] · B[N,K]ᵀ, i.e. C[i,j] = Σ_p A[i,p]·B[j,p]: dot products along K, contiguous in both operands,
 * so neither needs transposing. Serves the weight gradient dW = dY · colᵀ and the linear layer x · Wᵀ.
 */
export function sgemmNT(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  lda: i32,
  b: usize,
  ldb: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
): void {
  const m4 = m & ~3;
  const n2 = n & ~1;
  for (let i = 0; i < m4; i += 4) {
    const ai = a + ((<usize>i * <usize>lda) << 2);
    const ci = c + ((<usize>i * <usize>ldc) << 2);
    for (let j = 0; j < n2; j += 2) {
      blockNT4x2(k, ai, lda, b + ((<usize>j * <usize>ldb) << 2), ldb, ci + (<usize>j << 2), ldc, accumulate);
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n2 : 0; j < n; j++) {
      const s = dot(k, a + ((<usize>i * <usize>lda) << 2), b + ((<usize>j * <usize>ldb) << 2));
      const cp = c + ((<usize>i * <usize>ldc + <usize>j) << 2);
      store<f32>(cp, accumulate ? load<f32>(cp) + s : s);
    }
  }
}
