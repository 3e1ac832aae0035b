import type { KernelTable } from "../types.js";
import { conv2dBackwardBias, conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from "./conv2d.js";
import { conv2dReluMaxPool2dBackward, conv2dReluMaxPool2dForward, conv2dReluMaxPool2dValues } from "./fused.js";
import { bytesToUnit } from "./bytes.js";
import { add, mul, reduceBroadcast, relu, reluBackward } from "./elementwise.js";
import { gemm } from "./gemm.js";
import { nllLoss, nllLossBackward } from "./loss.js";
import { maxPool2dBackward, maxPool2dForward } from "./pool.js";
import { argmax, sumAxis } from "./reduce.js";
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from "./softmax.js";

/**
 * The reference backend: plain loops that follow the formulas. It is the specification the fast backends are tested
 * against, their fallback, and (fed float64 arrays) the oracle for gradient checks. Declared as a full KernelTable,
 * so a kernel missing here is a compile error.
 */
export const refKernels: KernelTable = {
  conv2dForward,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dBackwardBias,
  maxPool2dForward,
  maxPool2dBackward,
  conv2dReluMaxPool2dForward,
  conv2dReluMaxPool2dValues,
  conv2dReluMaxPool2dBackward,
  gemm,
  relu,
  reluBackward,
  add,
  mul,
  reduceBroadcast,
  sumAxis,
  logSoftmax,
  logSoftmaxBackward,
  softmax,
  softmaxBackward,
  nllLoss,
  nllLossBackward,
  argmax,
  bytesToUnit,
};
