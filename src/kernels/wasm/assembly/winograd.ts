// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016). Each 2×2 tile of an output plane comes from the 4×4 tile of the zero-padded input under it
// (input tiles overlap by 2):
//
//   Y_tile[co] = Aᵀ [ Σ_ci (G w[co,ci] Gᵀ) ⊙ (Bᵀ d_tile[ci] B) ] A
//
//   Bᵀ = | 1  0 −1  0 |    G = | 1   0   0 |    Aᵀ = | 1  1  1  0 |
//        | 0  1  1  0 |        | ½   ½   ½ |         | 0  1 −1 −1 |
//        | 0 −1  1  0 |        | ½  −½   ½ |
//        | 0  1  0 −1 |        | 0   0   1 |
//
// At each of the 16 positions ξ of a transformed tile, the sum over input channels is a matrix product over the T
// tiles of a group of images:
//
//   M[ξ] (C_out × T) = U[ξ] (C_out × C_in) · V[ξ] (C_in × T),   U[ξ] = (G w Gᵀ)_ξ,  V[ξ] = (Bᵀ d B)_ξ
//
// 16·C_out·C_in·T multiply-adds where im2col's GEMM does 9·C_out·C_in·4T: 2.25× fewer, less the tiles that overhang
// an odd-sized output (conv2's 11×11 output takes 6×6 tiles: 1.89× fewer; in the fused block, whose pool reads only
// 10×10 of it, 5×5 tiles: 2.25× fewer, and 31% less work than 6×6).
//
// Backward runs in the same transformed space, each step the adjoint of a forward one:
//
//   dM[ξ] = (A dY_tile Aᵀ)_ξ
//   dU[ξ] = Σ_tiles dM[ξ] · V[ξ]ᵀ,  dw = Gᵀ dU G          (the weight gradient)
//   dV[ξ] = U[ξ]ᵀ · dM[ξ],          dx = Σ_tiles B dV Bᵀ   (the input gradient, tiles added where they overlap)
//
// In the fused block (conv + relu + pool) the forward can keep each group's V in a slot of the host's
// (winogradSavedTilesFloats), from which the weight gradient reads it rather than transforming x a second time. Where
// the tiles are the pool's 2×2 windows (conv2's), only one of a tile's 4 outputs has a gradient, and the backward
// takes dx from the windows directly (pooledInputGradient) instead of through dV and B dV Bᵀ.
//
// Rounding: in exact arithmetic this is the convolution; in float32 the transforms add and subtract up to 9 terms
// before and after the products, so results differ from a direct sum by a few units in the last place of the
// largest terms: measured ≤ 6e-7 of the tensor's largest magnitude, against 4e-6 allowed by test/winograd.test.ts.
//
// The transforms are vectorised across 4 neighbouring tiles of a tile row. A tile row rarely holds a multiple of 4
// tiles (conv2's: 6), so its last 4 start at tilesX − 4 and redo some tiles: harmless where the result is stored per tile,
// and masked where it is added into the input gradient. Hence the condition tilesX ≥ 4 (output width ≥ 7). The pooled
// outputs and their gradients, whose tiles are the pool's windows, go 4 at a time across the rows instead (see
// tileOutputs).
import { packPanels, sgemmNT, sgemmPacked } from "./gemm";
import { biasFinish, biasScratch, reluMaxPoolGroup, scatterPooledGradient } from "./conv";
import { copyRow, zeroRow } from "./rows";
import { allFinite, relu4 } from "./elementwise";
import { atWinner, liveGradient, liveGradient4, poolWindows4, poolsWhole2x2 } from "./pool";
import { acc } from "./madd";
import {
  batch, inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
  strideHeight, strideWidth, outHeight, outWidth, padHeight, padWidth, f32At,
} from "./geometry";

@inline function tilesY(g: usize): i32 { return (outHeight(g) + 1) >> 1; }
@inline function tilesX(g: usize): i32 { return (outWidth(g) + 1) >> 1; }
/** Tiles per image (exported as winogradTiles: the host sizes its groups of images by them). */
@inline function tilesOf(g: usize): i32 { return tilesY(g) * tilesX(g); }
export function winogradTiles(g: usize): i32 { return tilesOf(g); }
/** The zero-padded input plane that the tiles read: 2·tilesY + 2 rows of planeWidth floats. */
@inline function planeHeight(g: usize): i32 { return 2 * tilesY(g) + 2; }
@inline function planeWidth(g: usize): i32 { return (2 * tilesX(g) + 2 + 3) & ~3; }
/** The output plane that the tiles write (2·tilesY rows of 2·tilesX floats), before it is cropped to OH × OW. */
@inline function tileRowWidth(g: usize): i32 { return 2 * tilesX(g); }

/** Whether a convolution goes through Winograd: 3×3, stride 1, an output at least 7 wide, and 4+ input channels. */
export function winogradApplies(g: usize): bool {
  return (
    kernelHeight(g) == 3 && kernelWidth(g) == 3 && strideHeight(g) == 1 && strideWidth(g) == 1 &&
    tilesX(g) >= 4 && inChannels(g) >= 4
  );
}

// The transformed weights, computed once per call (winogradWeights) and shared by its jobs, in
// winogradWeightsFloats floats:
//   U    16·C_out·C_in   U[ξ][co][ci]
//   UT   16·C_in·C_out   its transpose per ξ, for the input gradient
//   PU   16·C_out₄·C_in  U's 16 matrices packed for sgemmPacked (C_out₄ = C_out − C_out mod 4: the 4-row panels)
//   PUT  16·C_in₄·C_out  UT's, the same
//   TAPS 9·C_out·C_in    w as [co][ci / 4][ky·3 + kx][ci % 4] (tapsOf), for the pooled input gradient, then 4 floats
//                        whose first, as an i32, is 1 when every weight is finite
// The workspace, one per thread (in floats; every part a multiple of 4, so 16-byte aligned):
//   V    16·C_in·T       the input tiles V[ξ][ci][t] (forward, weight gradient), or dV (input gradient)
//   M    16·C_out·T      the products M[ξ][co][t] (forward), or the output gradient's tiles dM
//   PLANE                one zero-padded input (or input gradient) plane
//   ROWS 4·planeWidth    a tile row after Bᵀ's rows
//   OUT  4·tiles         one output (or output gradient) plane, 2·tilesY × 2·tilesX
//        + 16            then a step's 4 outputs (tileOutputs)
//   ACC                  one image's input gradient, channels last (pooledInputGradient)
@inline function round4(n: i32): i32 { return (n + 3) & ~3; }
@inline function weightsFloats(g: usize): i32 { return 16 * outChannels(g) * inChannels(g); }
@inline function offsetUT(g: usize): i32 { return weightsFloats(g); }
@inline function offsetPackedU(g: usize): i32 { return 2 * weightsFloats(g); }
@inline function offsetPackedUT(g: usize): i32 { return offsetPackedU(g) + 16 * (outChannels(g) & ~3) * inChannels(g); }
@inline function offsetTaps(g: usize): i32 { return offsetPackedUT(g) + 16 * (inChannels(g) & ~3) * outChannels(g); }
@inline function offsetTapsFinite(g: usize): i32 { return offsetTaps(g) + 9 * outChannels(g) * inChannels(g); }
/** Floats of the transformed weights (exported: the host allocates them). */
export function winogradWeightsFloats(g: usize): i32 {
  return offsetTapsFinite(g) + 4;
}
// V starts the workspace.
@inline function offsetM(g: usize, T: i32): i32 { return 16 * inChannels(g) * T; }
@inline function offsetPlane(g: usize, T: i32): i32 { return offsetM(g, T) + 16 * outChannels(g) * T; }
@inline function offsetRows(g: usize, T: i32): i32 { return offsetPlane(g, T) + planeHeight(g) * planeWidth(g); }
@inline function offsetOut(g: usize, T: i32): i32 { return offsetRows(g, T) + 4 * planeWidth(g); }
@inline function offsetAcc(g: usize, T: i32): i32 { return offsetOut(g, T) + round4(4 * tilesOf(g)) + 16; }
/** The channels-last input gradient plane of pooledInputGradient: (H + 2P) rows of (W + 2P)·C_in floats. */
@inline function accFloats(g: usize): i32 {
  return (inHeight(g) + 2 * padHeight(g)) * (inWidth(g) + 2 * padWidth(g)) * inChannels(g);
}
/** ACC's plane, then 4 lists of C_out (address, gradient) pairs. */
@inline function accRegionFloats(g: usize): i32 { return accFloats(g) + 8 * outChannels(g) + 4; }

/**
 * The columns of a group's tile matrices for `tiles` tiles: a multiple of 8, the GEMM's block width, since its edge
 * columns run far slower (a cropped conv2 has 25 tiles an image). The columns past the tiles are zero.
 */
@inline function tileColumns(tiles: i32): i32 { return (tiles + 7) & ~7; }

/** Zeroes columns used…T of the first `rows` rows of a tile matrix. */
function zeroPadColumns(base: usize, rows: i32, T: i32, used: i32): void {
  if (used == T) return;
  for (let r = 0; r < rows; r++) zeroRow(tileAt(base, r, T, used), T - used);
}

/**
 * Floats of one group's input tiles V (16·C_in·T, for groups of `group` images): the slot that the fused forward
 * keeps for its backward (exported: the host allocates one per group of the call), whose weight gradient then reads
 * V there instead of transforming the same input again.
 */
export function winogradSavedTilesFloats(g: usize, group: i32): i32 {
  return offsetM(g, tileColumns(group * tilesOf(g)));
}

/** The saved slot (see winogradSavedTilesFloats) of the group that starts at image n0 of a job's, or 0 without one. */
@inline function savedGroup(saved: usize, g: usize, group: i32, n0: i32): usize {
  return saved != 0 ? f32At(saved, (n0 / group) * winogradSavedTilesFloats(g, group)) : 0;
}

/** Floats of a job's workspace for groups of `group` images. */
export function winogradWorkspaceFloats(g: usize, group: i32): i32 {
  const T = tileColumns(group * tilesOf(g));
  return offsetAcc(g, T) + round4(accRegionFloats(g));
}

/** Whether the fused kernels take pool pg's windows as Winograd's tiles (exported: the host asks for TAPS then). */
export function winogradPoolsWindows(g: usize, pg: usize): bool {
  return poolsWhole2x2(g, pg) && inChannels(g) % 4 == 0;
}

// ---------------------------------------------------------------------------------------------------------------
// The weights: U = G w Gᵀ, and dw = Gᵀ dU G.

// What winogradWeights writes for the input gradient (its inputGradientWeights): nothing (0); UT and its panels (1);
// or the TAPS (2), for the fused backward over pooled windows (pooledInputGradient), with UT and its panels as well
// when a weight is not finite, for which that backward transforms as before.
const INPUT_GRADIENT_NONE = 0;
const INPUT_GRADIENT_TAPS = 2;

/**
 * From w[co][ci][3][3], once per call, into the winogradWeightsFloats floats at u: U and its panels for the forward,
 * and what `inputGradientWeights` asks for the input gradient (see INPUT_GRADIENT_NONE).
 */
export function winogradWeights(g: usize, w: usize, u: usize, forward: bool, inputGradientWeights: i32): void {
  const C = inChannels(g), CO = outChannels(g);
  let inputGradient = false;
  if (inputGradientWeights != INPUT_GRADIENT_NONE) {
    // The flag the fused backward reads: set only where the TAPS were written and every weight is finite.
    const taps = inputGradientWeights == INPUT_GRADIENT_TAPS && allFinite(w, 9 * CO * C);
    if (taps) tapsOf(g, w, f32At(u, offsetTaps(g)));
    store<i32>(f32At(u, offsetTapsFinite(g)), taps ? 1 : 0);
    inputGradient = !taps;
  }
  if (!forward && !inputGradient) return;
  const U = u, UT = f32At(u, offsetUT(g));
  const plane = CO * C;
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < C; ci++) {
      const k = f32At(w, (co * C + ci) * 9);
      for (let r = 0; r < 4; r++) {
        // Z = G w: row r of G against the columns of w.
        let z0: f32, z1: f32, z2: f32;
        const g0 = load<f32>(k, 0), g1 = load<f32>(k, 4), g2 = load<f32>(k, 8);
        const h0 = load<f32>(k, 12), h1 = load<f32>(k, 16), h2 = load<f32>(k, 20);
        const i0 = load<f32>(k, 24), i1 = load<f32>(k, 28), i2 = load<f32>(k, 32);
        if (r == 0) {
          z0 = g0; z1 = g1; z2 = g2;
        } else if (r == 1) {
          z0 = 0.5 * (g0 + h0 + i0); z1 = 0.5 * (g1 + h1 + i1); z2 = 0.5 * (g2 + h2 + i2);
        } else if (r == 2) {
          z0 = 0.5 * (g0 - h0 + i0); z1 = 0.5 * (g1 - h1 + i1); z2 = 0.5 * (g2 - h2 + i2);
        } else {
          z0 = i0; z1 = i1; z2 = i2;
        }
        // U = Z Gᵀ.
        const u0 = z0, u1: f32 = 0.5 * (z0 + z1 + z2), u2: f32 = 0.5 * (z0 - z1 + z2), u3 = z2;
        const xi = r * 4;
        if (forward) {
          store<f32>(f32At(U, xi * plane + co * C + ci), u0);
          store<f32>(f32At(U, (xi + 1) * plane + co * C + ci), u1);
          store<f32>(f32At(U, (xi + 2) * plane + co * C + ci), u2);
          store<f32>(f32At(U, (xi + 3) * plane + co * C + ci), u3);
        }
        if (inputGradient) {
          store<f32>(f32At(UT, xi * plane + ci * CO + co), u0);
          store<f32>(f32At(UT, (xi + 1) * plane + ci * CO + co), u1);
          store<f32>(f32At(UT, (xi + 2) * plane + ci * CO + co), u2);
          store<f32>(f32At(UT, (xi + 3) * plane + ci * CO + co), u3);
        }
      }
    }
  }
  for (let xi = 0; xi < 16; xi++) {
    if (forward) packPanels(CO, C, f32At(U, xi * plane), C, f32At(u, offsetPackedU(g) + xi * (CO & ~3) * C));
    if (inputGradient) {
      packPanels(C, CO, f32At(UT, xi * plane), CO, f32At(u, offsetPackedUT(g) + xi * (C & ~3) * CO));
    }
  }
}

/**
 * taps[co][ci / 4][ky·3 + kx][ci % 4] = w[co][ci][ky][kx] (C_in a multiple of 4): for each 4 input channels, their 9
 * taps as 9 consecutive v128s, which pooledInputGradient reads at constant offsets.
 */
function tapsOf(g: usize, w: usize, taps: usize): void {
  const C = inChannels(g), CO = outChannels(g);
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < C; ci++) {
      for (let k = 0; k < 9; k++) {
        const v = load<f32>(f32At(w, (co * C + ci) * 9 + k));
        store<f32>(f32At(taps, ((co * (C >> 2) + (ci >> 2)) * 9 + k) * 4 + (ci & 3)), v);
      }
    }
  }
}

/**
 * dw[co][ci][3][3] = Gᵀ dU[·][co][ci] G, from the sums dU[ξ][co][ci] (16·C_out·C_in floats at du): once per call,
 * on the jobs' sums added in range order (the weight-gradient kernels below leave dU, not dw).
 */
export function winogradWeightGradient(g: usize, du: usize, dw: usize): void {
  const C = inChannels(g), CO = outChannels(g);
  const DU = du;
  const plane = CO * C;
  for (let co = 0; co < CO; co++) {
    for (let ci = 0; ci < C; ci++) {
      const q = f32At(DU, co * C + ci);
      const out = f32At(dw, (co * C + ci) * 9);
      // Gᵀ dU row by row of dU (r = 0…3, ξ = 4r + c), as its 3 rows X0, X1, X2 across c's 4 lanes; then · G.
      const q0 = loadRow(q, 0, plane), q1 = loadRow(q, 1, plane), q2 = loadRow(q, 2, plane), q3 = loadRow(q, 3, plane);
      const half = f32x4.splat(0.5);
      const x0 = f32x4.add(q0, f32x4.mul(half, f32x4.add(q1, q2)));
      const x1 = f32x4.mul(half, f32x4.sub(q1, q2));
      const x2 = f32x4.add(f32x4.mul(half, f32x4.add(q1, q2)), q3);
      storeTimesG(out, x0);
      storeTimesG(out + 12, x1);
      storeTimesG(out + 24, x2);
    }
  }
}

/** [dU[4r][·], dU[4r + 1][·], dU[4r + 2][·], dU[4r + 3][·]] at one (co, ci): row r of its 4×4. */
@inline
function loadRow(q: usize, r: i32, plane: i32): v128 {
  const step = <usize>plane << 2;
  const p = q + <usize>(4 * r) * step;
  return f32x4(load<f32>(p), load<f32>(p + step), load<f32>(p + 2 * step), load<f32>(p + 3 * step));
}

/** The 3 values of x · G (x: one row of 4): x0 + ½(x1 + x2), ½(x1 − x2), ½(x1 + x2) + x3. */
@inline
function storeTimesG(out: usize, x: v128): void {
  const x0 = f32x4.extract_lane(x, 0), x1 = f32x4.extract_lane(x, 1);
  const x2 = f32x4.extract_lane(x, 2), x3 = f32x4.extract_lane(x, 3);
  store<f32>(out, x0 + <f32>0.5 * (x1 + x2));
  store<f32>(out, <f32>0.5 * (x1 - x2), 4);
  store<f32>(out, <f32>0.5 * (x1 + x2) + x3, 8);
}

// ---------------------------------------------------------------------------------------------------------------
// The tile transforms, 4 tiles at a time. Each call handles the 4 tiles from `start` in tile row ty.

@inline function evens(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 0, 2, 4, 6); }
@inline function odds(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 1, 3, 5, 7); }
@inline function interleaveLow(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 0, 4, 1, 5); }
@inline function interleaveHigh(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 2, 6, 3, 7); }

/** Address of element t of row `row` (= ξ·rows + channel) of a [16·rows, T] tile matrix. */
@inline function tileAt(base: usize, row: i32, T: i32, t: i32): usize {
  return base + ((<usize>row * <usize>T + <usize>t) << 2);
}

/**
 * V[ξ][ci][col0 + t] = (Bᵀ d_t B)_ξ for every tile t of one image x (C_in planes of H × W) and channel ci: the plane
 * zero-padded, Bᵀ applied to each tile row's 4 input rows across the whole width, then B to each tile's 4 columns.
 * V is the workspace's own, or a saved slot (winogradSavedTilesFloats); the plane and rows are the workspace's.
 */
function inputTiles(g: usize, x: usize, ws: usize, V: usize, T: i32, col0: i32): void {
  const C = inChannels(g), H = inHeight(g), W = inWidth(g), PH = padHeight(g), PW = padWidth(g);
  const TY = tilesY(g), TX = tilesX(g), PWD = planeWidth(g);
  const plane = f32At(ws, offsetPlane(g, T));
  const rows = f32At(ws, offsetRows(g, T));
  const rowBytes = <usize>PWD << 2;
  // A cropped output (the rows and columns a pool reads: see pooledRegion in kernels.ts) reads only the input rows
  // and columns that fit the plane; a whole one reads them all.
  const rowsRead = min(H, planeHeight(g) - PH), colsRead = min(W, PWD - PW);
  // Without padding, a plane that lies inside the input (the cropped conv2's 12×12 of 13×13) is read in place.
  const inPlace = PH == 0 && PW == 0 && rowsRead == planeHeight(g) && colsRead == PWD;
  const inRow = inPlace ? <usize>W << 2 : rowBytes;
  for (let ci = 0; ci < C; ci++) {
    const xc = f32At(x, ci * H * W);
    if (!inPlace) {
      zeroRow(plane, planeHeight(g) * PWD);
      for (let iy = 0; iy < rowsRead; iy++) copyRow(f32At(plane, (iy + PH) * PWD + PW), f32At(xc, iy * W), colsRead);
    }
    const input = inPlace ? xc : plane;
    for (let ty = 0; ty < TY; ty++) {
      const r0 = input + <usize>(2 * ty) * inRow;
      for (let j = 0; j < PWD; j += 4) {
        const o = <usize>j << 2;
        const d0 = v128.load(r0 + o), d1 = v128.load(r0 + inRow + o);
        const d2 = v128.load(r0 + 2 * inRow + o), d3 = v128.load(r0 + 3 * inRow + o);
        v128.store(rows + o, f32x4.sub(d0, d2));
        v128.store(rows + rowBytes + o, f32x4.add(d1, d2));
        v128.store(rows + 2 * rowBytes + o, f32x4.sub(d2, d1));
        v128.store(rows + 3 * rowBytes + o, f32x4.sub(d1, d3));
      }
      for (let tx = 0; ; tx += 4) {
        const start = min(tx, TX - 4);
        const t = col0 + ty * TX + start;
        for (let r = 0; r < 4; r++) {
          const R = rows + <usize>r * rowBytes + (<usize>(2 * start) << 2);
          const a = v128.load(R), b = v128.load(R, 16), a2 = v128.load(R, 8), b2 = v128.load(R, 24);
          const e0 = evens(a, b), o0 = odds(a, b), e1 = evens(a2, b2), o1 = odds(a2, b2);
          const xi = r * 4;
          v128.store(tileAt(V, xi * C + ci, T, t), f32x4.sub(e0, e1));
          v128.store(tileAt(V, (xi + 1) * C + ci, T, t), f32x4.add(o0, e1));
          v128.store(tileAt(V, (xi + 2) * C + ci, T, t), f32x4.sub(e1, o0));
          v128.store(tileAt(V, (xi + 3) * C + ci, T, t), f32x4.sub(o0, o1));
        }
        if (start + 4 >= TX) break;
      }
    }
  }
}

/**
 * Aᵀ M A for the 4 tiles t…t + 3 of output channel co, from M's 16 rows ξ·C_out + co: the 2×2 outputs y00, y01, y10,
 * y11 (row, column), each a vector over the 4 tiles, stored at q, q + 16, q + 32 and q + 48 (a 64-byte scratch in
 * L1, which the pooled and the unpooled outputs both read back: one copy of the transform).
 */
@inline
function tileOutputs(M: usize, co: i32, CO: i32, T: i32, t: i32, q: usize): void {
  // s0c, s1c: Aᵀ's two rows against column c of M.
  let m0 = v128.load(tileAt(M, co, T, t)), m1 = v128.load(tileAt(M, 4 * CO + co, T, t));
  let m2 = v128.load(tileAt(M, 8 * CO + co, T, t)), m3 = v128.load(tileAt(M, 12 * CO + co, T, t));
  const s00 = f32x4.add(f32x4.add(m0, m1), m2), s10 = f32x4.sub(f32x4.sub(m1, m2), m3);
  m0 = v128.load(tileAt(M, CO + co, T, t)); m1 = v128.load(tileAt(M, 5 * CO + co, T, t));
  m2 = v128.load(tileAt(M, 9 * CO + co, T, t)); m3 = v128.load(tileAt(M, 13 * CO + co, T, t));
  const s01 = f32x4.add(f32x4.add(m0, m1), m2), s11 = f32x4.sub(f32x4.sub(m1, m2), m3);
  m0 = v128.load(tileAt(M, 2 * CO + co, T, t)); m1 = v128.load(tileAt(M, 6 * CO + co, T, t));
  m2 = v128.load(tileAt(M, 10 * CO + co, T, t)); m3 = v128.load(tileAt(M, 14 * CO + co, T, t));
  const s02 = f32x4.add(f32x4.add(m0, m1), m2), s12 = f32x4.sub(f32x4.sub(m1, m2), m3);
  m0 = v128.load(tileAt(M, 3 * CO + co, T, t)); m1 = v128.load(tileAt(M, 7 * CO + co, T, t));
  m2 = v128.load(tileAt(M, 11 * CO + co, T, t)); m3 = v128.load(tileAt(M, 15 * CO + co, T, t));
  const s03 = f32x4.add(f32x4.add(m0, m1), m2), s13 = f32x4.sub(f32x4.sub(m1, m2), m3);
  // Then A's two columns.
  v128.store(q, f32x4.add(f32x4.add(s00, s01), s02));
  v128.store(q, f32x4.sub(f32x4.sub(s01, s02), s03), 16);
  v128.store(q, f32x4.add(f32x4.add(s10, s11), s12), 32);
  v128.store(q, f32x4.sub(f32x4.sub(s11, s12), s13), 48);
}

// A pooled image's tiles are taken 4 at a time in their flat order t = ty·tilesX + tx, across the rows (conv2's 25
// tiles in 7 steps, where 5 rows of 5 take 10): a step's pooled outputs, gradients and M's columns are all 4
// consecutive t. Its windows' top-left corners in the output plane, 2·OW·ty + 2·tx, move on by 8 a step, and by
// 2·OW − 2·tilesX more in a lane whose tx passes the row's end (once at most: tilesX ≥ 4). The last step starts at
// tiles − 4, in the last row: the lanes before t0 redo tiles already done.

/** The lanes of a flat step, their tx in `tx`, whose tile 4 on passes the row's end: all ones there. */
@inline
function wrapsPastRow(tx: v128, TX: i32): v128 {
  return i32x4.ge_s(tx, i32x4.splat(TX - 4));
}

/** The next flat step's corners, from this step's `corners` and tx (read it before nextTx moves it on). */
@inline
function nextCorners(corners: v128, tx: v128, TX: i32, OW: i32): v128 {
  return i32x4.add(i32x4.add(corners, i32x4.splat(8)), v128.and(wrapsPastRow(tx, TX), i32x4.splat(2 * OW - 2 * TX)));
}

/** The next flat step's tx. */
@inline
function nextTx(tx: v128, TX: i32): v128 {
  return i32x4.sub(i32x4.add(tx, i32x4.splat(4)), v128.and(wrapsPastRow(tx, TX), i32x4.splat(TX)));
}

/** The corners of the last step's lanes, tiles − 4 … tiles − 1: the last row's last 4. */
@inline
function lastStepCorners(TY: i32, TX: i32, OW: i32): v128 {
  return i32x4.add(i32x4.splat(2 * OW * (TY - 1) + 2 * (TX - 4)), i32x4(0, 2, 4, 6));
}

/**
 * y[co] = Aᵀ M A + b[co] for every tile of one image, from M's columns col0… (the image's tiles). Unpooled: its
 * [C_out, OH, OW] output at `out`, through the 2·tilesY × 2·tilesX plane OUT, cropped. Pooled (poolsWhole2x2: the
 * tiles are the 2×2 pool's windows): maxPool2d(relu(y)) at `out` [C_out, tilesY, tilesX], and the winners' flat
 * indices at argmax unless it is 0, counted from `first` for y[0]; y itself is never stored. Each value of y is the
 * same sum either way, so the pooled results are bit for bit those of relu and the pool after the unpooled output.
 */
function outputTiles(
  g: usize, ws: usize, T: i32, col0: i32, b: usize, out: usize, pooled: bool, argmax: usize, first: i32,
): void {
  const CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const TY = tilesY(g), TX = tilesX(g), TI = tilesOf(g), WO = tileRowWidth(g);
  const M = f32At(ws, offsetM(g, T));
  const plane = f32At(ws, offsetOut(g, T));
  // The 4 outputs of a step, in the 64 bytes after the plane (OUT has room: see winogradWorkspaceFloats).
  const q = f32At(plane, 2 * TY * WO);
  for (let co = 0; co < CO; co++) {
    const bias = b != 0 ? load<f32>(f32At(b, co)) : 0;
    const bias4 = f32x4.splat(bias);
    if (pooled) {
      const base = i32x4.splat(first + co * OH * OW);
      let tx = i32x4(0, 1, 2, 3), corners = i32x4(0, 2, 4, 6);
      for (let t0 = 0; ; t0 += 4) {
        const start = min(t0, TI - 4);
        if (start < t0) corners = lastStepCorners(TY, TX, OW);
        tileOutputs(M, co, CO, T, col0 + start, q);
        // Tile k of the 4 is window k: y00 its top-left, y01 top-right, y10 bottom-left, y11 bottom-right.
        const o = co * TI + start;
        poolWindows4(
          relu4(f32x4.add(v128.load(q), bias4)), relu4(f32x4.add(v128.load(q, 16), bias4)),
          relu4(f32x4.add(v128.load(q, 32), bias4)), relu4(f32x4.add(v128.load(q, 48), bias4)),
          i32x4.add(base, corners), OW, f32At(out, o), argmax != 0 ? f32At(argmax, o) : 0,
        );
        if (start + 4 >= TI) break;
        corners = nextCorners(corners, tx, TX, OW);
        tx = nextTx(tx, TX);
      }
      continue;
    }
    for (let ty = 0; ty < TY; ty++) {
      for (let tx = 0; ; tx += 4) {
        const start = min(tx, TX - 4);
        tileOutputs(M, co, CO, T, col0 + ty * TX + start, q);
        const y00 = v128.load(q), y01 = v128.load(q, 16), y10 = v128.load(q, 32), y11 = v128.load(q, 48);
        // Interleaved into the plane's rows 2ty and 2ty + 1.
        const row = f32At(plane, 2 * ty * WO + 2 * start);
        v128.store(row, interleaveLow(y00, y01));
        v128.store(row, interleaveHigh(y00, y01), 16);
        const next = row + (<usize>WO << 2);
        v128.store(next, interleaveLow(y10, y11));
        v128.store(next, interleaveHigh(y10, y11), 16);
        if (start + 4 >= TX) break;
      }
    }
    const dst = f32At(out, co * OH * OW);
    for (let i = 0; i < OH; i++) {
      const src = f32At(plane, i * WO);
      const d = f32At(dst, i * OW);
      let j = 0;
      for (; j + 4 <= OW; j += 4) v128.store(f32At(d, j), f32x4.add(v128.load(f32At(src, j)), bias4));
      for (; j < OW; j++) store<f32>(f32At(d, j), load<f32>(f32At(src, j)) + bias);
    }
  }
}

/** dM[ξ][co][col0 + t] = (A dy_t Aᵀ)_ξ for every tile of one image's output gradient dy ([C_out, OH, OW]). */
function outputGradTiles(g: usize, dy: usize, ws: usize, T: i32, col0: i32): void {
  const CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const TY = tilesY(g), TX = tilesX(g), WO = tileRowWidth(g);
  const M = f32At(ws, offsetM(g, T));
  const plane = f32At(ws, offsetOut(g, T));
  for (let co = 0; co < CO; co++) {
    // The gradient of the cropped-off row and column is 0.
    zeroRow(plane, 2 * TY * WO);
    const src = f32At(dy, co * OH * OW);
    for (let i = 0; i < OH; i++) copyRow(f32At(plane, i * WO), f32At(src, i * OW), OW);
    for (let ty = 0; ty < TY; ty++) {
      for (let tx = 0; ; tx += 4) {
        const start = min(tx, TX - 4);
        const t = col0 + ty * TX + start;
        const row = f32At(plane, 2 * ty * WO + 2 * start);
        const a = v128.load(row), b = v128.load(row, 16);
        const next = row + (<usize>WO << 2);
        const c = v128.load(next), d = v128.load(next, 16);
        const d00 = evens(a, b), d01 = odds(a, b), d10 = evens(c, d), d11 = odds(c, d);
        // A's rows against dy's two columns: R_rb.
        storeGradRow(M, 0, CO, co, T, t, d00, d01);
        storeGradRow(M, 1, CO, co, T, t, f32x4.add(d00, d10), f32x4.add(d01, d11));
        storeGradRow(M, 2, CO, co, T, t, f32x4.sub(d00, d10), f32x4.sub(d01, d11));
        storeGradRow(M, 3, CO, co, T, t, f32x4.neg(d10), f32x4.neg(d11));
        if (start + 4 >= TX) break;
      }
    }
  }
}

/** Row r of dM = (A dy) Aᵀ from (A dy)'s row r, [x0, x1]: x0, x0 + x1, x0 − x1, −x1. */
@inline
function storeGradRow(M: usize, r: i32, CO: i32, co: i32, T: i32, t: i32, x0: v128, x1: v128): void {
  const xi = r * 4;
  v128.store(tileAt(M, xi * CO + co, T, t), x0);
  v128.store(tileAt(M, (xi + 1) * CO + co, T, t), f32x4.add(x0, x1));
  v128.store(tileAt(M, (xi + 2) * CO + co, T, t), f32x4.sub(x0, x1));
  v128.store(tileAt(M, (xi + 3) * CO + co, T, t), f32x4.neg(x1));
}

/**
 * dM[ξ][co][col0 + t] for every tile of one image whose tiles are the 2×2 pool's windows (poolsWhole2x2), straight
 * from the pooled gradient dy, the winners' indices and the pooled values ([C_out, tilesY, tilesX] each): a tile's
 * output gradient is dy at its winner where the pooled value is not ≤ 0 (a NaN passes, as reluBackward's), 0 at its
 * 3 other positions. These are the values maxUnpool2x2Live writes and outputGradTiles reads back, so dM is the same
 * bit for bit, but the convolution's gradient is never stored. `first` is the whole output's flat index of this
 * image's first value. Unless biasSums is 0, adds each window's gradient to its channel's 4 lanes there (biasScratch
 * in ./conv): db is summed window by window, not position by position as biasAccumulate sums it.
 */
function pooledGradTiles(
  g: usize, dy: usize, argmax: usize, pooled: usize, ws: usize, T: i32, col0: i32, first: i32, biasSums: usize,
): void {
  const CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const TY = tilesY(g), TX = tilesX(g), TI = tilesOf(g);
  const M = f32At(ws, offsetM(g, T));
  const zero = f32x4.splat(0);
  const lane = i32x4(0, 1, 2, 3);
  for (let co = 0; co < CO; co++) {
    let bias = zero;
    const base = i32x4.splat(first + co * OH * OW);
    // The tiles in flat steps of 4, as the pooled outputTiles takes them.
    let tx = i32x4(0, 1, 2, 3), corners = i32x4(0, 2, 4, 6);
    for (let t0 = 0; ; t0 += 4) {
      const start = min(t0, TI - 4);
      if (start < t0) corners = lastStepCorners(TY, TX, OW);
      const t = col0 + start;
      const o = co * TI + start;
      const d = liveGradient4(f32At(pooled, o), f32At(dy, o));
      // The winner's offset in its window: 0, 1, OW or OW + 1.
      const at = i32x4.sub(v128.load(f32At(argmax, o)), i32x4.add(base, corners));
      const d00 = atWinner(d, at, 0), d01 = atWinner(d, at, 1), d10 = atWinner(d, at, OW), d11 = atWinner(d, at, OW + 1);
      // As outputGradTiles: A's rows against dy's two columns.
      storeGradRow(M, 0, CO, co, T, t, d00, d01);
      storeGradRow(M, 1, CO, co, T, t, f32x4.add(d00, d10), f32x4.add(d01, d11));
      storeGradRow(M, 2, CO, co, T, t, f32x4.sub(d00, d10), f32x4.sub(d01, d11));
      storeGradRow(M, 3, CO, co, T, t, f32x4.neg(d10), f32x4.neg(d11));
      // The last step may start before t0: the windows already counted stay out of the bias.
      bias = f32x4.add(bias, v128.and(d, i32x4.ge_s(lane, i32x4.splat(t0 - start))));
      if (start + 4 >= TI) break;
      corners = nextCorners(corners, tx, TX, OW);
      tx = nextTx(tx, TX);
    }
    if (biasSums != 0) {
      const sums = biasSums + (<usize>co << 4);
      v128.store(sums, f32x4.add(v128.load(sums), bias));
    }
  }
}

/**
 * dx for one image of the fused block over whole 2×2 windows, straight from the windows' gradients: only a window's
 * winner has a gradient, so dx is the sum, over the windows whose gradient d is live (as pooledGradTiles'), of
 * d · w[co] on the 3×3 patch under the winner, for every input channel at once. For each window position the output
 * channels are sorted by where their winner lies in the window (4 places); each place's channels are summed into one
 * 3×3 kernel in registers (4 input channels at a time), which is then added to the patch under that place in acc (the
 * image's zero-padded input gradient, channels last), cropped into dx ([C_in, H, W]) at the end. 9 multiply-adds per
 * window and channel pair, where dV = Uᵀ dM takes 16 per tile (dense over the window's 4 places) before B dV Bᵀ.
 * The sums are the direct ones, grouped by window position and place: they round as a direct convolution's do, not
 * as Winograd's. A window with no gradient is skipped, which is exact only for finite weights (0 · ∞ is NaN): the
 * caller transforms otherwise. `first`: the whole output's flat index of this image's first value (as argmax's).
 */
function pooledInputGradient(
  g: usize, dy: usize, argmax: usize, pooled: usize, taps: usize, acc0: usize, dx: usize, first: i32,
): void {
  const C = inChannels(g), CO = outChannels(g), OH = outHeight(g), OW = outWidth(g);
  const H = inHeight(g), W = inWidth(g), PH = padHeight(g), PW = padWidth(g);
  const TY = tilesY(g), TX = tilesX(g), TI = tilesOf(g);
  const AW = W + 2 * PW;
  const pixelBytes = <usize>C << 2, rowBytes = <usize>AW * pixelBytes;
  const coBytes = 9 * pixelBytes;
  // After the plane: for each of the 4 places, its channels' tap addresses and gradients (CO pairs of words).
  const places = acc0 + (<usize>accFloats(g) << 2);
  const placeBytes = <usize>CO << 3;
  const counts = places + 4 * placeBytes;
  memory.fill(acc0, 0, <usize>accFloats(g) << 2);
  for (let ty = 0; ty < TY; ty++) {
    for (let tx = 0; tx < TX; tx++) {
      memory.fill(counts, 0, 16);
      const corner = 2 * (ty * OW + tx);
      for (let co = 0; co < CO; co++) {
        const o = co * TI + ty * TX + tx;
        const d = liveGradient(f32At(pooled, o), f32At(dy, o));
        // The winner's offset in its window, 0, 1, OW or OW + 1 (OW is even), is its place 0, 1, 2 or 3. Without
        // branches, which the winners' places and the dead windows would mispredict: each window is written to its
        // place's list, and counted there only if its gradient is not 0.
        const at = load<i32>(f32At(argmax, o)) - first - co * OH * OW - corner;
        const place = (at >= OW ? 2 : 0) + (at & 1);
        const slot = counts + (<usize>place << 2);
        const n = load<i32>(slot);
        store<i32>(slot, n + i32(d != 0));
        const entry = places + <usize>place * placeBytes + (<usize>n << 3);
        store<u32>(entry, <u32>(taps + <usize>co * coBytes));
        store<f32>(entry, d, 4);
      }
      for (let place = 0; place < 4; place++) {
        const count = load<i32>(counts + (<usize>place << 2));
        if (count == 0) continue;
        const list = places + <usize>place * placeBytes;
        const patch = acc0 + <usize>(2 * ty + (place >> 1)) * rowBytes + <usize>(2 * tx + (place & 1)) * pixelBytes;
        for (let c: usize = 0; c < pixelBytes; c += 16) {
          let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
          const end = list + (<usize>count << 3);
          // These 4 input channels' 9 taps: 144 bytes from the channel's own (see tapsOf).
          const block = 9 * c;
          for (let entry = list; entry < end; entry += 8) {
            const k = <usize>load<u32>(entry) + block;
            const ds = v128.load32_splat(entry, 4);
            a0 = acc(a0, ds, v128.load(k));
            a1 = acc(a1, ds, v128.load(k, 16));
            a2 = acc(a2, ds, v128.load(k, 32));
            a3 = acc(a3, ds, v128.load(k, 48));
            a4 = acc(a4, ds, v128.load(k, 64));
            a5 = acc(a5, ds, v128.load(k, 80));
            a6 = acc(a6, ds, v128.load(k, 96));
            a7 = acc(a7, ds, v128.load(k, 112));
            a8 = acc(a8, ds, v128.load(k, 128));
          }
          const p = patch + c;
          addInto(p, a0); addInto(p + pixelBytes, a1); addInto(p + 2 * pixelBytes, a2);
          addInto(p + rowBytes, a3); addInto(p + rowBytes + pixelBytes, a4); addInto(p + rowBytes + 2 * pixelBytes, a5);
          addInto(p + 2 * rowBytes, a6); addInto(p + 2 * rowBytes + pixelBytes, a7);
          addInto(p + 2 * rowBytes + 2 * pixelBytes, a8);
        }
      }
    }
  }
  for (let ci = 0; ci < C; ci++) {
    for (let iy = 0; iy < H; iy++) {
      const src = acc0 + <usize>(iy + PH) * rowBytes + <usize>PW * pixelBytes + (<usize>ci << 2);
      const dst = f32At(dx, (ci * H + iy) * W);
      for (let ix = 0; ix < W; ix++) store<f32>(dst + (<usize>ix << 2), load<f32>(src + <usize>ix * pixelBytes));
    }
  }
}

/**
 * dx[ci] = Σ_tiles B dV_t Bᵀ for one image ([C_in, H, W] at dx), from dV's columns col0…: each tile's 4×4 added
 * into the zero-padded plane where tiles overlap, then the plane cropped into dx.
 */
function inputGradTiles(g: usize, ws: usize, T: i32, col0: i32, dx: usize): void {
  const C = inChannels(g), H = inHeight(g), W = inWidth(g), PH = padHeight(g), PW = padWidth(g);
  const TY = tilesY(g), TX = tilesX(g), PWD = planeWidth(g);
  const rowsRead = min(H, planeHeight(g) - PH), colsRead = min(W, PWD - PW);
  const plane = f32At(ws, offsetPlane(g, T));
  const dV = ws;
  const lane = i32x4(0, 1, 2, 3);
  for (let ci = 0; ci < C; ci++) {
    zeroRow(plane, planeHeight(g) * PWD);
    for (let ty = 0; ty < TY; ty++) {
      for (let tx = 0; ; tx += 4) {
        const start = min(tx, TX - 4);
        const t = col0 + ty * TX + start;
        // The last 4 tiles of a row may start before tx: the lanes of tiles already added are zeroed.
        const keep = i32x4.ge_s(lane, i32x4.splat(tx - start));
        const v00 = tileKept(dV, 0, C, ci, T, t, keep), v01 = tileKept(dV, 1, C, ci, T, t, keep);
        const v02 = tileKept(dV, 2, C, ci, T, t, keep), v03 = tileKept(dV, 3, C, ci, T, t, keep);
        const v10 = tileKept(dV, 4, C, ci, T, t, keep), v11 = tileKept(dV, 5, C, ci, T, t, keep);
        const v12 = tileKept(dV, 6, C, ci, T, t, keep), v13 = tileKept(dV, 7, C, ci, T, t, keep);
        const v20 = tileKept(dV, 8, C, ci, T, t, keep), v21 = tileKept(dV, 9, C, ci, T, t, keep);
        const v22 = tileKept(dV, 10, C, ci, T, t, keep), v23 = tileKept(dV, 11, C, ci, T, t, keep);
        const v30 = tileKept(dV, 12, C, ci, T, t, keep), v31 = tileKept(dV, 13, C, ci, T, t, keep);
        const v32 = tileKept(dV, 14, C, ci, T, t, keep), v33 = tileKept(dV, 15, C, ci, T, t, keep);
        // B's rows: row r of B dV is v0·; v1· − v2· + v3·; v1· + v2· − v0·; −v3·. Each then goes through Bᵀ.
        const p = f32At(plane, 2 * ty * PWD + 2 * start);
        const rowBytes = <usize>PWD << 2;
        addTileRow(p, v00, v01, v02, v03);
        addTileRow(
          p + rowBytes,
          f32x4.add(f32x4.sub(v10, v20), v30),
          f32x4.add(f32x4.sub(v11, v21), v31),
          f32x4.add(f32x4.sub(v12, v22), v32),
          f32x4.add(f32x4.sub(v13, v23), v33),
        );
        addTileRow(
          p + 2 * rowBytes,
          f32x4.sub(f32x4.add(v10, v20), v00),
          f32x4.sub(f32x4.add(v11, v21), v01),
          f32x4.sub(f32x4.add(v12, v22), v02),
          f32x4.sub(f32x4.add(v13, v23), v03),
        );
        addTileRow(p + 3 * rowBytes, f32x4.neg(v30), f32x4.neg(v31), f32x4.neg(v32), f32x4.neg(v33));
        if (start + 4 >= TX) break;
      }
    }
    // Past the plane (a cropped output's), the input got no gradient: no output that is computed read it.
    const dst = f32At(dx, ci * H * W);
    for (let iy = 0; iy < H; iy++) {
      const row = f32At(dst, iy * W);
      if (iy >= rowsRead) {
        zeroRow(row, W);
        continue;
      }
      copyRow(row, f32At(plane, (iy + PH) * PWD + PW), colsRead);
      zeroRow(f32At(row, colsRead), W - colsRead);
    }
  }
}

/** dV[ξ][ci][t…t+3], with the lanes outside `keep` zeroed. */
@inline
function tileKept(dV: usize, xi: i32, C: i32, ci: i32, T: i32, t: i32, keep: v128): v128 {
  return v128.and(v128.load(tileAt(dV, xi * C + ci, T, t)), keep);
}

/**
 * Adds one row u = [u0 u1 u2 u3] of B dV, times Bᵀ (u0; u1 − u2 + u3; u1 + u2 − u0; −u3), for 4 tiles into the
 * plane's row at p: tile k's 4 values at p + 2k…p + 2k + 3, overlapping the next tile's by 2.
 */
@inline
function addTileRow(p: usize, u0: v128, u1: v128, u2: v128, u3: v128): void {
  const d1 = f32x4.add(f32x4.sub(u1, u2), u3), d2 = f32x4.sub(f32x4.add(u1, u2), u0), d3 = f32x4.neg(u3);
  addInto(p, interleaveLow(u0, d1));
  addInto(p + 16, interleaveHigh(u0, d1));
  addInto(p + 8, interleaveLow(d2, d3));
  addInto(p + 24, interleaveHigh(d2, d3));
}

@inline function addInto(p: usize, v: v128): void { v128.store(p, f32x4.add(v128.load(p), v)); }

// ---------------------------------------------------------------------------------------------------------------
// The 16 products per group.

/** C[ξ] = A[ξ] · B[ξ] for ξ = 0…15: A [m, k] and its panels (packed, packPanels), B [k, T], C [m, T]. */
function products(m: i32, k: i32, T: i32, packed: usize, a: usize, b: usize, c: usize): void {
  for (let xi = 0; xi < 16; xi++) {
    const ax = f32At(a, xi * m * k), bx = f32At(b, xi * k * T), cx = f32At(c, xi * m * T);
    sgemmPacked(m, T, k, packed + ((<usize>(xi * (m & ~3) * k)) << 2), ax, k, bx, T, cx, T, false);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The group steps, shared by the plain and the fused kernels so both compute the same sums in the same order.

/**
 * The convolution of nb images of x (pointing at the first) with bias b: into out as [nb, C_out, OH, OW], or, when
 * `pooled`, maxPool2d(relu(·)) of it into out as [nb, C_out, tilesY, tilesX] with the winners' indices at argmax
 * (see outputTiles; `first`: the flat index of the first image's output). The input tiles V go to `saved` where it
 * is not 0 (the group's slot, kept for the backward), else into the workspace.
 */
function forwardGroup(
  g: usize, x: usize, nb: i32, u: usize, packedU: usize, b: usize, ws: usize, out: usize,
  pooled: bool = false, argmax: usize = 0, first: i32 = 0, saved: usize = 0,
): void {
  const C = inChannels(g), CO = outChannels(g);
  const TI = tilesOf(g), T = tileColumns(nb * TI);
  const inSize = C * inHeight(g) * inWidth(g), outSize = CO * outHeight(g) * outWidth(g);
  const outPerImage = pooled ? CO * TI : outSize;
  const V = saved != 0 ? saved : ws;
  for (let n = 0; n < nb; n++) inputTiles(g, f32At(x, n * inSize), ws, V, T, n * TI);
  zeroPadColumns(V, 16 * C, T, nb * TI);
  products(CO, C, T, packedU, u, V, f32At(ws, offsetM(g, T)));
  for (let n = 0; n < nb; n++) {
    const o = n * outPerImage;
    outputTiles(g, ws, T, n * TI, b, f32At(out, o), pooled, argmax != 0 ? f32At(argmax, o) : 0, first + n * outSize);
  }
}

/**
 * One group's backward from its output gradient dconv ([nb, C_out, OH, OW]): dU (+)= dM·Vᵀ into du (16·C_out·C_in
 * floats) unless du is 0, and its nb images of dx unless dx is 0. V is the forward's `saved` slot where that is not
 * 0, else transformed again from x.
 */
function backwardGroup(
  g: usize, x: usize, nb: i32, dconv: usize, u: usize, packedUT: usize, ws: usize, dx: usize, du: usize,
  accumulate: bool, saved: usize = 0,
): void {
  const TI = tilesOf(g), T = tileColumns(nb * TI);
  const outSize = outChannels(g) * outHeight(g) * outWidth(g);
  for (let n = 0; n < nb; n++) outputGradTiles(g, f32At(dconv, n * outSize), ws, T, n * TI);
  backwardFromTiles(g, x, nb, u, packedUT, ws, dx, du, accumulate, saved);
}

/** The rest of backwardGroup once the group's output gradient tiles dM are in the workspace's M. */
function backwardFromTiles(
  g: usize, x: usize, nb: i32, u: usize, packedUT: usize, ws: usize, dx: usize, du: usize, accumulate: bool,
  saved: usize = 0,
): void {
  const C = inChannels(g), CO = outChannels(g);
  const TI = tilesOf(g), T = tileColumns(nb * TI);
  const inSize = C * inHeight(g) * inWidth(g);
  const M = f32At(ws, offsetM(g, T)), DU = du;
  zeroPadColumns(M, 16 * CO, T, nb * TI);
  if (du != 0) {
    const V = saved != 0 ? saved : ws;
    if (saved == 0) {
      for (let n = 0; n < nb; n++) inputTiles(g, f32At(x, n * inSize), ws, V, T, n * TI);
      zeroPadColumns(V, 16 * C, T, nb * TI);
    }
    for (let xi = 0; xi < 16; xi++) {
      sgemmNT(CO, C, T, f32At(M, xi * CO * T), T, f32At(V, xi * C * T), T, f32At(DU, xi * CO * C), C, accumulate);
    }
  }
  if (dx != 0) {
    // dV goes to the workspace's V (whose last use, if any, was above), never to a saved slot.
    products(C, CO, T, packedUT, f32At(u, offsetUT(g)), M, ws);
    for (let n = 0; n < nb; n++) inputGradTiles(g, ws, T, n * TI, f32At(dx, n * inSize));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The kernels: the arguments of their im2col twins in conv.ts, with the transformed weights u (winogradWeights) in
// place of w, and one workspace ws (winogradWorkspaceFloats) in place of their scratch.

/** y = conv(x, w) + b for this call's N images. */
export function winogradConv2dForward(g: usize, x: usize, u: usize, b: usize, ws: usize, y: usize, group: i32): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const inSize = C * inHeight(g) * inWidth(g), outSize = CO * outHeight(g) * outWidth(g);
  const packedU = f32At(u, offsetPackedU(g));
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    forwardGroup(g, f32At(x, n0 * inSize), nb, u, packedU, b, ws, f32At(y, n0 * outSize));
  }
}

/**
 * maxPool2d(relu(conv2d(x, w) + b)), as conv2dReluMaxPool2dForward in conv.ts. Where `saved` is not 0, each group's
 * input tiles V stay there for the backward: one slot of winogradSavedTilesFloats per group, in order.
 */
export function winogradConv2dReluMaxPool2dForward(
  g: usize, pg: usize, x: usize, u: usize, b: usize, ws: usize, convOut: usize,
  y: usize, argmax: usize, group: i32, firstImage: i32, saved: usize,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const inSize = C * inHeight(g) * inWidth(g), outSize = CO * outHeight(g) * outWidth(g);
  const packedU = f32At(u, offsetPackedU(g));
  // The tutorial's pool over an even output (conv2's, cropped to 10×10): each tile pooled as it is computed.
  const pooled = poolsWhole2x2(g, pg);
  const pooledSize = CO * tilesOf(g);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    const keep = savedGroup(saved, g, group, n0);
    if (pooled) {
      const o = n0 * pooledSize;
      forwardGroup(g, f32At(x, n0 * inSize), nb, u, packedU, b, ws, f32At(y, o), true,
        argmax != 0 ? f32At(argmax, o) : 0, (firstImage + n0) * outSize, keep);
    } else {
      forwardGroup(g, f32At(x, n0 * inSize), nb, u, packedU, b, ws, convOut, false, 0, 0, keep);
      reluMaxPoolGroup(g, pg, convOut, nb, n0, y, argmax, firstImage);
    }
  }
}

/** dx for this call's N images. */
export function winogradConv2dBackwardInput(g: usize, dy: usize, u: usize, ws: usize, dx: usize, group: i32): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const inSize = C * inHeight(g) * inWidth(g), outSize = CO * outHeight(g) * outWidth(g);
  const packedUT = f32At(u, offsetPackedUT(g));
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    backwardGroup(g, 0, nb, f32At(dy, n0 * outSize), u, packedUT, ws, f32At(dx, n0 * inSize), 0, false);
  }
}

/** The weight gradient's sums dU (16·C_out·C_in floats at du; see winogradWeightGradient) of this call's N images. */
export function winogradConv2dBackwardWeight(g: usize, dy: usize, x: usize, ws: usize, du: usize, group: i32): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const inSize = C * inHeight(g) * inWidth(g), outSize = CO * outHeight(g) * outWidth(g);
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    backwardGroup(g, f32At(x, n0 * inSize), nb, f32At(dy, n0 * outSize), 0, 0, ws, 0, du, n0 > 0);
  }
}

/**
 * The gradients of winogradConv2dReluMaxPool2dForward, as conv2dReluMaxPool2dBackward in conv.ts (u: 0 when dx is),
 * but for the weights' sums dU at du in place of dw (see winogradWeightGradient). `saved`: the forward's input tiles
 * (the same groups), or 0 to transform x again.
 */
export function winogradConv2dReluMaxPool2dBackward(
  g: usize, pg: usize, dy: usize, argmax: usize, pooled: usize, x: usize, u: usize, ws: usize,
  dconv: usize, dx: usize, du: usize, db: usize, group: i32, firstImage: i32, saved: usize,
): void {
  const N = batch(g), C = inChannels(g), CO = outChannels(g);
  const inSize = C * inHeight(g) * inWidth(g), outSize = CO * outHeight(g) * outWidth(g);
  const packedUT = dx != 0 ? f32At(u, offsetPackedUT(g)) : 0;
  const scratch = db != 0 ? biasScratch(db, CO) : 0;
  if (db != 0) memory.fill(scratch, 0, <usize>CO * 20);
  // The tutorial's pool over an even output (conv2's, cropped to 10×10): each tile's gradient from its window's,
  // and dx from the windows' alone where the host asked for the TAPS and the weights are finite.
  const windows = poolsWhole2x2(g, pg);
  const direct = windows && dx != 0 && load<i32>(f32At(u, offsetTapsFinite(g))) == 1;
  const TI = tilesOf(g), pooledSize = CO * TI;
  for (let n0 = 0; n0 < N; n0 += group) {
    const nb = min(group, N - n0);
    const keep = savedGroup(saved, g, group, n0);
    const xGroup = f32At(x, n0 * inSize), dxGroup = dx != 0 ? f32At(dx, n0 * inSize) : 0;
    if (windows) {
      const T = tileColumns(nb * TI);
      for (let n = 0; n < nb; n++) {
        const o = (n0 + n) * pooledSize;
        pooledGradTiles(g, f32At(dy, o), f32At(argmax, o), f32At(pooled, o), ws, T, n * TI,
          (firstImage + n0 + n) * outSize, scratch);
      }
      backwardFromTiles(g, xGroup, nb, u, packedUT, ws, direct ? 0 : dxGroup, du, n0 > 0, keep);
      if (direct) {
        const accPlane = f32At(ws, offsetAcc(g, T));
        for (let n = 0; n < nb; n++) {
          const o = (n0 + n) * pooledSize;
          pooledInputGradient(g, f32At(dy, o), f32At(argmax, o), f32At(pooled, o), f32At(u, offsetTaps(g)), accPlane,
            f32At(dxGroup, n * inSize), (firstImage + n0 + n) * outSize);
        }
      }
    } else {
      scatterPooledGradient(g, pg, dy, argmax, pooled, dconv, nb, n0, firstImage, scratch);
      backwardGroup(g, xGroup, nb, dconv, u, packedUT, ws, dxGroup, du, n0 > 0, keep);
    }
  }
  if (db != 0) biasFinish(db, CO, scratch);
}
