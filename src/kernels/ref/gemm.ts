import { allocLike, type FloatStorage } from "../../tensor/tensor.js";
import type { GemmShape } from "../types.js";

/**
 * C[i,j] = Σ_p op(A)[i,p] · op(B)[p,j], row-major, where op(A) is A [M,K] or Aᵀ with A stored [K,M], and op(B)
 * is B [K,N] or Bᵀ with B stored [N,K]. The i-p-j loop order keeps the inner loop contiguous in B and C.
 */
export function gemm(a: FloatStorage, b: FloatStorage, s: GemmShape): FloatStorage {
  const { m: M, k: K, n: N, transA, transB } = s;
  const c = allocLike(a, M * N);
  for (let i = 0; i < M; i++) {
    const cRow = i * N;
    if (transB) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let p = 0; p < K; p++) acc += (transA ? a[p * M + i] : a[i * K + p]) * b[j * K + p];
        c[cRow + j] = acc;
      }
    } else {
      for (let p = 0; p < K; p++) {
        const av = transA ? a[p * M + i] : a[i * K + p];
        if (av === 0) continue;
        const bRow = p * N;
        for (let j = 0; j < N; j++) c[cRow + j] += av * b[bRow + j];
      }
    }
  }
  return c;
}
