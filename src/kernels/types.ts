import type { FloatStorage } from "../tensor/tensor.js";

/**
 * The geometry of a 2-D convolution or pooling over NCHW data, computed once by the op and handed to kernels
 * as one small descriptor instead of a long list of numbers.
 */
export interface Window2d {
  /** Batch size N. */
  readonly batch: number;
  /** Input channels C_in, input height H and width W. */
  readonly inChannels: number;
  readonly inHeight: number;
  readonly inWidth: number;
  /** Window (kernel) height and width F. */
  readonly kernelHeight: number;
  readonly kernelWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  /** Zero padding (convolution) or −∞ padding (max pooling) added on each side. */
  readonly padHeight: number;
  readonly padWidth: number;
  /** Output height and width, ⌊(H + 2P − F)/S⌋ + 1. */
  readonly outHeight: number;
  readonly outWidth: number;
}

/** A convolution's geometry plus its output channel count C_out. */
export interface Conv2dGeometry extends Window2d {
  readonly outChannels: number;
}

/** Which of a convolution's gradients to compute: [input, weight, bias]. */
export type ConvGradients = readonly [boolean, boolean, boolean];

/** Row-major matrix product C[M,N] = op(A)·op(B), where op transposes when asked: A is [M,K] or [K,M]. */
export interface GemmShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

/** Broadcasting of two operands to one output shape, as element strides (0 along broadcast dimensions). */
export interface Broadcast {
  readonly outShape: readonly number[];
  readonly aStrides: readonly number[];
  readonly bStrides: readonly number[];
}

/** Splits a tensor around one dimension: `outer` blocks of `size` elements spaced `inner` apart. */
export interface AxisSplit {
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
}

/**
 * Every kernel a backend provides. Kernels are pure functions of typed arrays: they allocate their outputs
 * with the input's array type, so the same kernel serves float32 training and float64 gradient checks.
 */
export interface KernelTable {
  /** y[n,co,i,j] = b[co] + Σ_ci Σ_m Σ_n' x[n,ci,i·S+m−P, j·S+n'−P] · w[co,ci,m,n'] */
  conv2dForward(x: FloatStorage, w: FloatStorage, b: FloatStorage | null, g: Conv2dGeometry): FloatStorage;
  /** dx = Σ over every output that read x, of dy · w (a "full" correlation with the kernel). */
  conv2dBackwardInput(dy: FloatStorage, w: FloatStorage, g: Conv2dGeometry): FloatStorage;
  /** dw[co,ci,m,n'] = Σ_n,i,j dy[n,co,i,j] · x[n,ci,i·S+m−P, j·S+n'−P] */
  conv2dBackwardWeight(dy: FloatStorage, x: FloatStorage, g: Conv2dGeometry): FloatStorage;
  /** db[co] = Σ_n,i,j dy[n,co,i,j] */
  conv2dBackwardBias(dy: FloatStorage, g: Conv2dGeometry): FloatStorage;
  /** y = max over each window (−∞ padding); `argmax` gets the flat input index that won, first max on ties. */
  maxPool2dForward(x: FloatStorage, g: Window2d): { y: FloatStorage; argmax: Int32Array };
  /** dx[argmax[o]] += dy[o] */
  maxPool2dBackward(dy: FloatStorage, argmax: Int32Array, g: Window2d): FloatStorage;
  /**
   * y = maxPool2d(relu(conv2d(x, w, b))) in one pass, with the winners' indices into the convolution's output, which
   * only this backend's conv2dReluMaxPool2dBackward reads (ref: maxPool2dForward's argmax; wasm: into the rows and
   * columns the pool reads, see pooledRegion). `saved`, where a backend keeps it, is more of the forward's work that
   * its backward reuses, like PyTorch's saved tensors (wasm: Winograd's transformed input, inside a tidy() scope).
   */
  conv2dReluMaxPool2dForward(
    x: FloatStorage,
    w: FloatStorage,
    b: FloatStorage | null,
    conv: Conv2dGeometry,
    pool: Window2d,
  ): { y: FloatStorage; argmax: Int32Array; saved?: FloatStorage };
  /**
   * conv2dReluMaxPool2dForward's y without the winners' indices, for inference (no gradient will be asked): a fast
   * backend pools with plain maxima.
   */
  conv2dReluMaxPool2dValues(
    x: FloatStorage,
    w: FloatStorage,
    b: FloatStorage | null,
    conv: Conv2dGeometry,
    pool: Window2d,
  ): FloatStorage;
  /**
   * The gradients [dx, dw, db] of conv2dReluMaxPool2dForward from its pooled output's gradient `dy`: the convolution's
   * output gradient is dConv[argmax[o]] += dy[o] unless pooled[o] ≤ 0 (relu′ at each window's winner), then as
   * conv2dBackwardInput, conv2dBackwardWeight and conv2dBackwardBias of dConv. Only the gradients `need` asks for are
   * computed; the others are null. `saved` is the forward's, if it kept one.
   */
  conv2dReluMaxPool2dBackward(
    dy: FloatStorage,
    argmax: Int32Array,
    pooled: FloatStorage,
    x: FloatStorage,
    w: FloatStorage,
    conv: Conv2dGeometry,
    pool: Window2d,
    need: ConvGradients,
    saved?: FloatStorage,
  ): [FloatStorage | null, FloatStorage | null, FloatStorage | null];
  /** C = op(A)·op(B) */
  gemm(a: FloatStorage, b: FloatStorage, s: GemmShape): FloatStorage;
  /** y = max(x, 0) */
  relu(x: FloatStorage): FloatStorage;
  /** dx = 0 where x ≤ 0, else dy (so relu′(0) = 0, and a NaN passes its gradient, as PyTorch) */
  reluBackward(dy: FloatStorage, x: FloatStorage): FloatStorage;
  /** out = a + b with broadcasting */
  add(a: FloatStorage, b: FloatStorage, bc: Broadcast): FloatStorage;
  /** out = a · b with broadcasting */
  mul(a: FloatStorage, b: FloatStorage, bc: Broadcast): FloatStorage;
  /** Sums `grad` (of the broadcast output shape) back down to an operand's shape, whose strides are given. */
  reduceBroadcast(grad: FloatStorage, outShape: readonly number[], strides: readonly number[], n: number): FloatStorage;
  /** out[o,i] = Σ_s x[o,s,i] */
  sumAxis(x: FloatStorage, split: AxisSplit): FloatStorage;
  /** y[o,s,i] = x[o,s,i] − log Σ_s' exp x[o,s',i], computed with the max subtracted first */
  logSoftmax(x: FloatStorage, split: AxisSplit): FloatStorage;
  /** dx = dy − exp(y) · Σ_s dy, where y = logSoftmax(x) */
  logSoftmaxBackward(dy: FloatStorage, y: FloatStorage, split: AxisSplit): FloatStorage;
  /** y[o,s,i] = exp x[o,s,i] / Σ_s' exp x[o,s',i] */
  softmax(x: FloatStorage, split: AxisSplit): FloatStorage;
  /** dx = y · (dy − Σ_s dy · y) */
  softmaxBackward(dy: FloatStorage, y: FloatStorage, split: AxisSplit): FloatStorage;
  /** loss[r] = −logp[r, target[r]] for rows r of `classes` log-probabilities */
  nllLoss(logp: FloatStorage, target: Int32Array, classes: number): FloatStorage;
  /** dlogp[r, target[r]] = −dloss[r], zero elsewhere */
  nllLossBackward(dloss: FloatStorage, target: Int32Array, classes: number): FloatStorage;
  /** out[o,i] = the s of the largest x[o,s,i] (the first one on ties) */
  argmax(x: FloatStorage, split: AxisSplit): Int32Array;
  /**
   * out[k·size + i] = bytes[starts[k] + i] / 255 in float32, for k < starts.length and i < size: torchvision's
   * ToTensor of the 8-bit images (or any runs of bytes) starting at `starts`, gathered into one batch.
   */
  bytesToUnit(bytes: Uint8Array, starts: Int32Array, size: number): Float32Array;
}

export type KernelName = keyof KernelTable;
