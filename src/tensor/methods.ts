/**
 * PyTorch's tensor methods (`x.view(-1, 800)`, `outputs.max(1)`, `images.at(0).squeeze()`), each the op of the same
 * name applied to the tensor, so the tutorial's code ports line by line. They are added to Tensor's prototype here
 * (as TF.js chains its ops), not in tensor.ts, because the ops import Tensor: the root entry point imports this
 * module once. Where a method differs from PyTorch, its TSDoc says so.
 */
import { Tensor, type Shape } from "./tensor.js";
import { reshape, flatten, select, squeeze, unsqueeze } from "../ops/shape.js";
import { relu } from "../ops/relu.js";
import { logSoftmax, softmax } from "../ops/softmax.js";
import { argmax, max, mean, sum, type ValuesIndices } from "../ops/reduce.js";
import { eq } from "../ops/compare.js";
import { add, mul, sub } from "../ops/arithmetic.js";
import { matmul } from "../ops/matmul.js";

/** `view(-1, 800)` and `view([-1, 800])` both name a shape, as in PyTorch. */
type ShapeArgs = [Shape] | number[];
const shapeOf = (args: ShapeArgs): Shape => (Array.isArray(args[0]) ? (args[0] as Shape) : (args as number[]));

declare module "./tensor.js" {
  interface Tensor {
    /** The same elements in a new shape (one size may be −1), as `x.view(-1, 32 * 5 * 5)`. Shares the data. */
    view(...shape: ShapeArgs): Tensor;
    /** Same as {@link view}: tensors here are always contiguous. */
    reshape(...shape: ShapeArgs): Tensor;
    /** Merges dims startDim..endDim into one (default: all), as `torch.flatten`; `x.flatten(1)` keeps the batch. */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** Inserts a size-1 dim: an image [1, 28, 28] → a batch of one [1, 1, 28, 28]. */
    unsqueeze(dim: number): Tensor;
    /** Removes size-1 dims (all, or only `dim`): [1, 1, 28, 28] → [28, 28]. */
    squeeze(dim?: number): Tensor;
    /** The slice at `index` along `dim`, that dim removed, as `torch.select`. */
    select(dim: number, index: number): Tensor;
    /**
     * Element `index` along the first dimension, as PyTorch's `images[i]` (a negative index counts from the end):
     * `images.at(0)` is the first image [1, 28, 28] of a batch [64, 1, 28, 28]. JavaScript has no `[]` for objects,
     * so this is the method, named as `Array.prototype.at`.
     */
    at(index: number): Tensor;
    /** max(0, x) elementwise. */
    relu(): Tensor;
    /** Probabilities along `dim` (summing to 1). */
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    /** Index of the largest value along `dim` (or of the flattened tensor), int32 (PyTorch: int64). */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    /**
     * With `dim`, the largest values and their indices, as `torch.max(x, dim)`: `const [, predicted] =
     * outputs.max(1)`. Without, the largest element as a scalar tensor.
     */
    max(dim: number, keepdim?: boolean): ValuesIndices;
    max(): Tensor;
    /** 1 where equal to `other`, else 0, as int32 (PyTorch: bool): `predicted.eq(labels).sum().item()` counts. */
    eq(other: Tensor | ArrayLike<number> | number): Tensor;
    /** Sum of all elements, or along `dim`; an int32 tensor sums to int32 (PyTorch: int64). */
    sum(dim?: number, keepdim?: boolean): Tensor;
    mean(dim?: number, keepdim?: boolean): Tensor;
    add(other: Tensor | number): Tensor;
    sub(other: Tensor | number): Tensor;
    mul(other: Tensor | number): Tensor;
    matmul(other: Tensor): Tensor;
    /**
     * This tensor: there is only one device. It keeps the tutorial's `.to(device)` and `.cpu()` lines working
     * unchanged (PyTorch copies to the device named).
     */
    to(device?: unknown): Tensor;
    cpu(): Tensor;
  }
}

const methods: Partial<Tensor> & ThisType<Tensor> = {
  view(...shape: ShapeArgs) {
    return reshape(this, shapeOf(shape));
  },
  reshape(...shape: ShapeArgs) {
    return reshape(this, shapeOf(shape));
  },
  flatten(startDim = 0, endDim = -1) {
    return flatten(this, startDim, endDim);
  },
  unsqueeze(dim: number) {
    return unsqueeze(this, dim);
  },
  squeeze(dim?: number) {
    return squeeze(this, dim);
  },
  select(dim: number, index: number) {
    return select(this, dim, index);
  },
  at(index: number) {
    return select(this, 0, index);
  },
  relu() {
    return relu(this);
  },
  softmax(dim: number) {
    return softmax(this, dim);
  },
  logSoftmax(dim: number) {
    return logSoftmax(this, dim);
  },
  argmax(dim?: number, keepdim?: boolean) {
    return argmax(this, dim, keepdim);
  },
  max(dim?: number, keepdim?: boolean) {
    return (dim === undefined ? max(this) : max(this, dim, keepdim)) as ValuesIndices & Tensor;
  },
  eq(other: Tensor | ArrayLike<number> | number) {
    return eq(this, other);
  },
  sum(dim?: number, keepdim?: boolean) {
    return sum(this, dim, keepdim);
  },
  mean(dim?: number, keepdim?: boolean) {
    return mean(this, dim, keepdim);
  },
  add(other: Tensor | number) {
    return add(this, other);
  },
  sub(other: Tensor | number) {
    return sub(this, other);
  },
  mul(other: Tensor | number) {
    return mul(this, other);
  },
  matmul(other: Tensor) {
    return matmul(this, other);
  },
  to() {
    return this;
  },
  cpu() {
    return this;
  },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
