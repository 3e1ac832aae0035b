// The WebAssembly kernels: float32, 128-bit SIMD, over one linear memory that the host imports and manages.
export { sgemm, sgemmNT, transpose, usePackBuffer, PACK_BUFFER_BYTES } from "./gemm";
export {
  conv2dForward,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dBackwardBias,
  conv2dReluMaxPool2dForward,
  conv2dReluMaxPool2dBackward,
  im2colWeights,
  im2colWeightsFloats,
} from "./conv";
export {
  winogradApplies,
  winogradTiles,
  winogradWorkspaceFloats,
  winogradSavedTilesFloats,
  winogradPoolsWindows,
  winogradWeightsFloats,
  winogradWeights,
  winogradConv2dForward,
  winogradConv2dBackwardInput,
  winogradConv2dBackwardWeight,
  winogradWeightGradient,
  winogradConv2dReluMaxPool2dForward,
  winogradConv2dReluMaxPool2dBackward,
} from "./winograd";
export { maxPool2dForward, maxPool2dBackward } from "./pool";
export { relu, reluBackward, sumParts, bytesToUnit } from "./elementwise";

/** The first address past the module's static data (the packing panels): where the host may place its buffers. */
export function heapBase(): usize {
  return __heap_base;
}
