import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import { Tensor, floatData, sameFloatDType, shapeToString } from "../tensor/tensor.js";
import { ConvlabError } from "../errors.js";

/**
 * Matrix product of two 2-D tensors: out[i, j] = Σ_p a[i, p] · b[p, j]. Shapes: [M, K] × [K, N] → [M, N].
 * Gradients: da = dout · bᵀ, db = aᵀ · dout. Differs from `torch.matmul`: only 2-D operands (no batching). Mixed
 * float32 and float64 operands are refused (`E_DTYPE_MISMATCH`), as in PyTorch (see {@link sameFloatDType}).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 2 || b.ndim !== 2 || a.shape[1] !== b.shape[0]) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `matmul: shapes ${shapeToString(a.shape)} and ${shapeToString(b.shape)} cannot be multiplied ` +
        `(need [M, K] and [K, N])`,
    );
  }
  sameFloatDType("matmul", { a, b });
  const [m, k] = a.shape;
  const n = b.shape[1];
  const ad = floatData(a, "matmul");
  const bd = floatData(b, "matmul");
  const gemm = kernel("gemm");
  const out = new Tensor(gemm(ad, bd, { m, k, n, transA: false, transB: false }), [m, n]);
  return record(out, "matmul", [a, b], (dy) => [
    a.requiresGrad ? gemm(dy, bd, { m, k: n, n: k, transA: false, transB: true }) : null,
    b.requiresGrad ? gemm(ad, dy, { m: k, k: m, n, transA: true, transB: false }) : null,
  ]);
}

/**
 * Fully connected layer: y = x·Wᵀ + b, i.e. y[r, o] = Σ_i W[o, i] · x[r, i] + b[o]; the tutorial's y = Wx + b for
 * each row x of the batch.
 *
 * Shapes: input [N, in_features], weight [out_features, in_features], bias [out_features] → [N, out_features].
 * Gradients: dx = dy·W, dW = dyᵀ·x, db = Σ_r dy[r, :]. Input, weight and bias must share a dtype
 * (`E_DTYPE_MISMATCH` otherwise, as in PyTorch).
 */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (input.ndim !== 2 || weight.ndim !== 2 || input.shape[1] !== weight.shape[1]) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `linear: mat1 and mat2 shapes cannot be multiplied (${input.shape.join("x")} and ` +
        `${[...weight.shape].reverse().join("x")}): the input has ${input.shape[1]} features per row ` +
        `but the weight ${shapeToString(weight.shape)} expects ${weight.shape[1]}`,
    );
  }
  const [rows, inFeatures] = input.shape;
  const outFeatures = weight.shape[0];
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== outFeatures)) {
    throw new ConvlabError(
      "E_SHAPE_MISMATCH",
      `linear: bias must have shape [${outFeatures}], got ${shapeToString(bias.shape)}`,
    );
  }
  sameFloatDType("linear", { input, weight, bias });
  const x = floatData(input, "linear");
  const w = floatData(weight, "linear");
  const gemm = kernel("gemm");
  const y = gemm(x, w, { m: rows, k: inFeatures, n: outFeatures, transA: false, transB: true });
  if (bias !== null) {
    const b = floatData(bias, "linear");
    for (let r = 0; r < rows; r++) for (let o = 0; o < outFeatures; o++) y[r * outFeatures + o] += b[o];
  }
  const out = new Tensor(y, [rows, outFeatures]);
  const inputs = bias === null ? [input, weight] : [input, weight, bias];
  return record(out, "linear", inputs, (dy) => [
    input.requiresGrad ? gemm(dy, w, { m: rows, k: outFeatures, n: inFeatures, transA: false, transB: false }) : null,
    weight.requiresGrad ? gemm(dy, x, { m: outFeatures, k: rows, n: inFeatures, transA: true, transB: false }) : null,
    bias?.requiresGrad ? kernel("sumAxis")(dy, { outer: 1, size: rows, inner: outFeatures }) : null,
  ]);
}
