import { record } from "../autograd/graph.js";
import { kernel } from "../kernels/registry.js";
import type { Broadcast } from "../kernels/types.js";
import {
  Tensor,
  allocLike,
  floatData,
  narrowGrad,
  promoteFloat,
  shapeToString,
  type FloatStorage,
  type Shape,
} from "../tensor/tensor.js";
import { ConvlabError } from "../errors.js";

/**
 * NumPy/PyTorch broadcasting: shapes are aligned at their last dimension, and each pair of sizes must be equal or
 * one of them 1 (that operand is repeated along the dimension).
 */
export function broadcastShapes(a: Shape, b: Shape, op: string): Broadcast {
  const rank = Math.max(a.length, b.length);
  const outShape: number[] = [];
  const aStrides: number[] = [];
  const bStrides: number[] = [];
  let aStride = 1;
  let bStride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    const sa = a[d - (rank - a.length)] ?? 1;
    const sb = b[d - (rank - b.length)] ?? 1;
    if (sa !== sb && sa !== 1 && sb !== 1) {
      throw new ConvlabError(
        "E_SHAPE_BROADCAST",
        `${op}: shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast together`,
      );
    }
    outShape[d] = Math.max(sa, sb);
    aStrides[d] = sa === 1 ? 0 : aStride;
    bStrides[d] = sb === 1 ? 0 : bStride;
    aStride *= sa;
    bStride *= sb;
  }
  return { outShape, aStrides, bStrides };
}

function asTensor(value: Tensor | number, like: Tensor): Tensor {
  if (value instanceof Tensor) return value;
  const data = allocLike(floatData(like, "arithmetic"), 1);
  data[0] = value;
  return new Tensor(data, []);
}

/** The gradient of a broadcast operand: the output gradient summed over the dimensions it was repeated along. */
function unbroadcast(dy: FloatStorage, outShape: Shape, strides: readonly number[], operand: Tensor): FloatStorage {
  if (operand.numel() === dy.length) return dy;
  return kernel("reduceBroadcast")(dy, outShape, strides, operand.numel());
}

/** Row-major strides of a contiguous tensor of this shape. */
function contiguousStrides(shape: Shape): number[] {
  const strides: number[] = [];
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

/**
 * Elementwise a + b with broadcasting. Gradients: da = dout, db = dout (each summed to its operand's shape).
 * float32 + float64 is float64, in either order (PyTorch's promotion; see {@link promoteFloat}).
 */
export function add(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  const bc = broadcastShapes(a.shape, bt.shape, "add");
  const [ad, bd, widened] = promoteFloat(floatData(a, "add"), floatData(bt, "add"));
  const out = new Tensor(kernel("add")(ad, bd, bc), bc.outShape);
  return record(out, "add", [a, bt], (dy) => [
    a.requiresGrad ? narrowGrad(unbroadcast(dy, bc.outShape, bc.aStrides, a), widened[0]) : null,
    bt.requiresGrad ? narrowGrad(unbroadcast(dy, bc.outShape, bc.bStrides, bt), widened[1]) : null,
  ]);
}

/**
 * Elementwise a · b with broadcasting. Gradients: da = dout · b, db = dout · a. float32 · float64 is float64, in
 * either order (PyTorch's promotion; see {@link promoteFloat}).
 */
export function mul(a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(b, a);
  const bc = broadcastShapes(a.shape, bt.shape, "mul");
  const [ad, bd, widened] = promoteFloat(floatData(a, "mul"), floatData(bt, "mul"));
  const mulKernel = kernel("mul");
  const out = new Tensor(mulKernel(ad, bd, bc), bc.outShape);
  return record(out, "mul", [a, bt], (dy) => {
    // dy has the output's full shape; pair it with the other operand broadcast the same way as in the forward pass.
    const dyStrides = contiguousStrides(bc.outShape);
    const times = (other: FloatStorage, otherStrides: readonly number[]): FloatStorage =>
      mulKernel(dy, other, { outShape: bc.outShape, aStrides: dyStrides, bStrides: otherStrides });
    return [
      a.requiresGrad ? narrowGrad(unbroadcast(times(bd, bc.bStrides), bc.outShape, bc.aStrides, a), widened[0]) : null,
      bt.requiresGrad
        ? narrowGrad(unbroadcast(times(ad, bc.aStrides), bc.outShape, bc.bStrides, bt), widened[1])
        : null,
    ];
  });
}

/** Elementwise a − b with broadcasting, as a + (−1)·b; so float32 − float64 is float64, in either order. */
export function sub(a: Tensor, b: Tensor | number): Tensor {
  return typeof b === "number" ? add(a, -b) : add(a, mul(b, -1));
}
