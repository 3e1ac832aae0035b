import type { FloatStorage } from "../../tensor/tensor.js";
import { allocLike } from "../../tensor/tensor.js";
import type { Conv2dGeometry, ConvGradients, Window2d } from "../types.js";
import { conv2dBackwardBias, conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from "./conv2d.js";
import { relu } from "./elementwise.js";
import { maxPool2dForward } from "./pool.js";

/** maxPool2d(relu(conv2d(x, w, b))): the three reference kernels in turn, the oracle for fused backends. */
export function conv2dReluMaxPool2dForward(
  x: FloatStorage,
  w: FloatStorage,
  b: FloatStorage | null,
  conv: Conv2dGeometry,
  pool: Window2d,
): { y: FloatStorage; argmax: Int32Array } {
  return maxPool2dForward(relu(conv2dForward(x, w, b, conv)), pool);
}

/** conv2dReluMaxPool2dForward's values alone. */
export function conv2dReluMaxPool2dValues(
  x: FloatStorage,
  w: FloatStorage,
  b: FloatStorage | null,
  conv: Conv2dGeometry,
  pool: Window2d,
): FloatStorage {
  return conv2dReluMaxPool2dForward(x, w, b, conv, pool).y;
}

/**
 * dx[argmax[o]] += dy[o] unless pooled[o] ≤ 0: max-pool's backward then relu's. A window's winner is where relu's
 * output equals the pooled value, so relu′ there is 0 exactly where pooled ≤ 0, and relu's input need not be kept.
 */
function reluMaxPool2dBackward(
  dy: FloatStorage,
  argmax: Int32Array,
  pooled: FloatStorage,
  pool: Window2d,
): FloatStorage {
  const dx = allocLike(dy, pool.batch * pool.inChannels * pool.inHeight * pool.inWidth);
  for (let o = 0; o < dy.length; o++) if (!(pooled[o] <= 0)) dx[argmax[o]] += dy[o];
  return dx;
}

/** The gradients of conv2dReluMaxPool2dForward: relu and max-pool's, then the three convolution kernels in turn. */
export function conv2dReluMaxPool2dBackward(
  dy: FloatStorage,
  argmax: Int32Array,
  pooled: FloatStorage,
  x: FloatStorage,
  w: FloatStorage,
  conv: Conv2dGeometry,
  pool: Window2d,
  [input, weight, bias]: ConvGradients,
): [FloatStorage | null, FloatStorage | null, FloatStorage | null] {
  const dConv = reluMaxPool2dBackward(dy, argmax, pooled, pool);
  return [
    input ? conv2dBackwardInput(dConv, w, conv) : null,
    weight ? conv2dBackwardWeight(dConv, x, conv) : null,
    bias ? conv2dBackwardBias(dConv, conv) : null,
  ];
}
