import type { GradFn } from "../autograd/graph.js";
import { ConvlabError } from "../errors.js";
import { runBackward } from "../autograd/backward.js";
import { trackScoped } from "./scope.js";
import { formatTensor } from "./format.js";

/** Element types. `float32` is the training type; `float64` exists for gradient checks; `int32` holds class labels. */
export type DType = "float32" | "float64" | "int32";

/** The typed array behind a tensor of each dtype. */
export type Storage = Float32Array | Float64Array | Int32Array;
/** Storage of a floating-point tensor, the only kind the differentiable ops accept. */
export type FloatStorage = Float32Array | Float64Array;

export type Shape = readonly number[];

/** Number of elements of a shape: the product of its sizes (1 for a scalar, whose shape is `[]`). */
export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function dtypeOf(data: Storage): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  return "int32";
}

/** A new zeroed array of `n` elements, of the same type as `like`. Kernels use it so float64 inputs stay float64. */
export function allocLike<T extends Storage>(like: T, n: number): T {
  const ctor = like.constructor as new (n: number) => T;
  return new ctor(n);
}

export function allocDType(dtype: DType, n: number): Storage {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
  }
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/**
 * An n-dimensional array in row-major (C) order, as in PyTorch: for NCHW images, element (n, c, h, w) lives at
 * `((n*C + c)*H + h)*W + w`.
 *
 * Tensors are immutable values for the ops (every op allocates its result), so they are never freed by hand.
 * Only optimizers write into `data` in place, outside of the autograd graph, as PyTorch's `torch.no_grad()` steps do.
 * The one exception is a result made on backend memory inside a tidy() scope: the scope releases it.
 */
export class Tensor {
  private storage: Storage | null;
  readonly shape: Shape;
  /** Whether backward() should compute a gradient for this tensor (leaves) or through it (results of ops). */
  requiresGrad: boolean;
  /** For leaves with `requiresGrad`, the accumulated gradient after backward(); `null` until then. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, when it was recorded for autograd; `null` for leaves. */
  gradFn: GradFn | null = null;

  constructor(data: Storage, shape: Shape, requiresGrad = false) {
    if (data.length !== numel(shape)) {
      throw new ConvlabError(
        "E_TENSOR_SIZE",
        `Tensor: shape ${shapeToString(shape)} needs ${numel(shape)} elements, but the data has ${data.length}`,
      );
    }
    for (const s of shape) {
      if (!Number.isInteger(s) || s < 0)
        throw new ConvlabError("E_TENSOR_SHAPE", `Tensor: bad size ${s} in shape ${shapeToString(shape)}`);
    }
    if (requiresGrad && data instanceof Int32Array) {
      throw new ConvlabError("E_DTYPE", "Tensor: only floating-point tensors can require gradients");
    }
    this.storage = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
    trackScoped(this);
  }

  /** The elements in row-major order. Throws for a tensor released by the end of its tidy() scope. */
  get data(): Storage {
    const data = this.storage;
    if (data === null) {
      throw new ConvlabError(
        "E_TENSOR_RELEASED",
        `this tensor (shape ${shapeToString(this.shape)}) was released when the tidy() scope that made it ended; ` +
          "return it from the scope (or clone() it inside) to keep it",
      );
    }
    return data;
  }

  /** Ends a tensor made on backend memory in a tidy() scope: the memory goes back to the backend. Used by tidy(). */
  release(): void {
    this.storage = null;
    this.gradFn = null;
  }

  /**
   * Lets a tensor that a tidy() scope returns outlive it: cut from the graph (the graph behind it is released), and
   * copied to the heap if it lives on backend memory. Used by tidy().
   */
  keepPastScope(onBackendMemory: boolean): void {
    if (onBackendMemory) this.storage = this.data.slice();
    if (this.gradFn !== null) {
      this.gradFn = null;
      this.requiresGrad = false;
    }
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get ndim(): number {
    return this.shape.length;
  }

  /**
   * The shape, as PyTorch's `size()`; `size(dim)` is one dimension's size (negative dims count from the end). The
   * number of elements is {@link numel}.
   */
  size(): Shape;
  size(dim: number): number;
  size(dim?: number): Shape | number {
    if (dim === undefined) return this.shape;
    const d = dim < 0 ? dim + this.shape.length : dim;
    if (!Number.isInteger(d) || d < 0 || d >= this.shape.length) {
      throw new ConvlabError(
        "E_DIM_RANGE",
        `size(${dim}): dimension out of range (expected to be in range of [${-this.shape.length}, ` +
          `${this.shape.length - 1}] for shape ${shapeToString(this.shape)})`,
      );
    }
    return this.shape[d];
  }

  /** The number of elements, as PyTorch's `numel()`. */
  numel(): number {
    return this.data.length;
  }

  /** The value of a one-element tensor, like PyTorch's `item()`. */
  item(): number {
    if (this.data.length !== 1) {
      throw new ConvlabError(
        "E_TENSOR_NOT_SCALAR",
        `item(): the tensor has ${this.data.length} elements (shape ${shapeToString(this.shape)})`,
      );
    }
    return this.data[0];
  }

  /** The values as nested JavaScript arrays, like PyTorch's `tolist()`. */
  tolist(): unknown {
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = numel(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A tensor sharing this one's data but cut from the graph, like PyTorch's `detach()`. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy with its own data, outside the graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /**
   * Back-propagates from this tensor, accumulating `d this / d leaf` into the `.grad` of every leaf that requires it.
   * A scalar needs no `gradient`; a non-scalar needs one of its own shape, as in PyTorch.
   */
  backward(gradient?: Tensor): void {
    runBackward(this, gradient);
  }

  /** The tensor as PyTorch prints it: `tensor([[0.1000, 2.0000]], grad_fn=<AddmmBackward0>)`; see formatTensor. */
  toString(): string {
    if (this.storage === null) return `tensor(<released>, size=(${this.shape.join(", ")}))`;
    return formatTensor({
      shape: this.shape,
      data: this.storage,
      dtype: this.dtype,
      requiresGrad: this.requiresGrad,
      gradFnName: this.gradFn === null ? null : pytorchGradFnName(this.gradFn.name),
    });
  }

  /** `console.log(t)` in Node and Deno prints {@link toString}, as `print(t)` does in PyTorch. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * PyTorch's name of the backward node of each recorded op, shown as `grad_fn=<…>` (ours are named after the op);
 * an op missing here shows as `<Op>Backward0` (`max` → MaxBackward0, as PyTorch's).
 */
const GRAD_FN_NAMES: Record<string, string> = {
  conv2d: "ConvolutionBackward0",
  conv2dReluMaxPool2d: "MaxPool2DWithIndicesBackward0",
  maxPool2d: "MaxPool2DWithIndicesBackward0",
  relu: "ReluBackward0",
  linear: "AddmmBackward0",
  matmul: "MmBackward0",
  reshape: "ViewBackward0",
  add: "AddBackward0",
  mul: "MulBackward0",
  sum: "SumBackward0",
  mean: "MeanBackward0",
  logSoftmax: "LogSoftmaxBackward0",
  softmax: "SoftmaxBackward0",
  nllLoss: "NllLossBackward0",
  select: "SelectBackward0",
};

function pytorchGradFnName(op: string): string {
  return GRAD_FN_NAMES[op] ?? `${op[0].toUpperCase()}${op.slice(1)}Backward0`;
}

/** A tensor that a Module owns and an optimizer updates: a leaf that requires gradients, as `nn.Parameter`. */
export class Parameter extends Tensor {
  constructor(data: FloatStorage, shape: Shape) {
    super(data, shape, true);
  }
}

/** Asserts that a tensor holds floating-point data, naming the op, and returns that data. */
export function floatData(t: Tensor, op: string): FloatStorage {
  if (t.data instanceof Int32Array) {
    throw new ConvlabError(
      "E_DTYPE",
      `${op}: expected a floating-point tensor, got int32 with shape ${shapeToString(t.shape)}`,
    );
  }
  return t.data;
}

/**
 * Mixed dtypes follow PyTorch's rules, which differ by kind of op:
 *
 * - **Elementwise binary ops (add, sub, mul) promote**, as `torch.promote_types`: float32 with float64 gives float64,
 *   whichever operand comes first, so `add(f32, f64)` and `add(f64, f32)` agree. The float32 operand is widened
 *   (exactly: every float32 is a float64), and its gradient is rounded back to float32, the dtype of its `.grad`.
 * - **Matrix products and convolutions (matmul, linear, conv2d, conv2dReluMaxPool2d) refuse** mixed operands with a
 *   {@link ConvlabError} `E_DTYPE_MISMATCH`, as PyTorch's "expected scalar type Float but found Double": they run one
 *   kernel in one precision, and a silent choice would hide a float64 gradient check running in float32.
 *
 * Int32 tensors (labels) are not floating-point operands of either kind (see {@link floatData}).
 */
export function promoteFloat(
  a: FloatStorage,
  b: FloatStorage,
): [a: FloatStorage, b: FloatStorage, widened: [a: boolean, b: boolean]] {
  if (a instanceof Float64Array && b instanceof Float32Array) return [a, Float64Array.from(b), [false, true]];
  if (a instanceof Float32Array && b instanceof Float64Array) return [Float64Array.from(a), b, [true, false]];
  return [a, b, [false, false]];
}

/** A gradient computed in the promoted dtype, rounded back to float32 for an operand that was widened. */
export function narrowGrad(grad: FloatStorage | null, widened: boolean): FloatStorage | null {
  return grad !== null && widened ? Float32Array.from(grad) : grad;
}

/**
 * Refuses floating-point operands of different dtypes, for the ops that PyTorch does not promote (see
 * {@link promoteFloat}). `operands` names each tensor as the op's arguments do; null ones (no bias) are skipped.
 */
export function sameFloatDType(op: string, operands: Record<string, Tensor | null>): void {
  // Int32 operands are left to floatData, whose message says that the op needs floating-point tensors.
  const named = Object.entries(operands).filter(
    (entry): entry is [string, Tensor] => entry[1] !== null && entry[1].dtype !== "int32",
  );
  if (named.length < 2) return;
  const [first, firstTensor] = named[0];
  for (const [name, t] of named.slice(1)) {
    if (t.dtype !== firstTensor.dtype) {
      throw new ConvlabError(
        "E_DTYPE_MISMATCH",
        `${op}: expected ${first} and ${name} to have the same dtype, but got ${firstTensor.dtype} and ${t.dtype} ` +
          "(as in PyTorch, only elementwise ops such as add and mul promote float32 to float64); make both float32 " +
          "(for training) or both float64 (for gradient checks)",
      );
    }
  }
}
