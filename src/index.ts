/**
 * convlab: convolutional networks in TypeScript with PyTorch's names and semantics. This entry point runs in Node
 * and in browsers; file and network access live in `convlab/node`.
 */
import "./tensor/methods.js";

export { ConvlabError, isConvlabError } from "./errors.js";
export { Tensor, Parameter, numel, type DType, type Shape, type Storage, type FloatStorage } from "./tensor/tensor.js";
export { tidy } from "./tensor/scope.js";
export { tensor, zeros, ones, full, rand } from "./tensor/creation.js";
export { Generator, manualSeed, defaultGenerator, type GeneratorState } from "./tensor/random.js";
export { noGrad, isGradEnabled } from "./autograd/graph.js";

export { conv2d, type Conv2dOptions } from "./ops/conv2d.js";
export { maxPool2d, type MaxPool2dOptions } from "./ops/pool.js";
export { conv2dReluMaxPool2d } from "./ops/conv-relu-pool.js";
export { relu } from "./ops/relu.js";
export { linear, matmul } from "./ops/matmul.js";
export { add, mul, sub } from "./ops/arithmetic.js";
export { reshape, view, flatten, unsqueeze, squeeze, select } from "./ops/shape.js";
export { sum, mean, argmax, max, type ValuesIndices } from "./ops/reduce.js";
export { eq } from "./ops/compare.js";
export { logSoftmax, softmax } from "./ops/softmax.js";
export { crossEntropy, nllLoss, type Reduction, type Target } from "./ops/loss.js";

export { registerBackend, setBackend, getBackend, kernel, type BackendName } from "./kernels/registry.js";
export type { KernelTable, KernelName } from "./kernels/types.js";

export { Module, type StateDict, type AnyModule, type ForwardHook, type RemovableHandle } from "./nn/module.js";
export { Conv2d, Linear, MaxPool2d, ReLU, Flatten, Sequential } from "./nn/layers.js";
export { CrossEntropyLoss } from "./nn/loss.js";
export { kaimingUniform_, uniform_ } from "./nn/init.js";
export { MnistCNN, ARCHS, isArch, type Arch } from "./models/tutorial.js";
export { presetSpec } from "./models/presets.js";
export {
  SpecModel,
  buildModel,
  specInput,
  LAYER_TYPES,
  LAYER_SCHEMA,
  assertNever,
  type LayerSchema,
  type LayerKeyKind,
  type ModelSpec,
  type LayerSpec,
  type LayerDef,
  type LayerType,
  type SizeSpec,
  type Conv2dSpec,
  type LinearSpec,
  type MaxPool2dSpec,
  type ReLUSpec,
  type FlattenSpec,
  type UseSpec,
} from "./models/spec.js";
export { validateSpec, didYouMean, SpecError, MAX_LAYERS, type SpecErrorCode } from "./models/validate.js";
export { traceSpec, formatTrace, SpecShapeError, type Trace, type TraceRow } from "./models/trace.js";
export {
  modelLimits,
  DEFAULT_MODEL_LIMITS,
  MAX_PARAMETERS_ENV,
  MAX_ACTIVATION_BYTES_ENV,
  checkModelSize,
  modelSize,
  SpecSizeError,
  type ModelLimits,
  type ModelSize,
} from "./models/limits.js";

export { SGD, type SGDOptions } from "./optim/sgd.js";
export { Adam, type AdamOptions } from "./optim/adam.js";
export { Optimizer, type OptimizerStateDict, type ParamGroup, type Hyperparameter } from "./optim/optimizer.js";

export { DataLoader, next, makeBatch, randperm, type Batch, type DataLoaderOptions } from "./data/dataloader.js";
export { stackExamples, type Dataset, type BatchDataset, type BatchData, type Example } from "./data/dataset.js";
export { MnistDataset } from "./data/mnist.js";
export { Subset, range, firstExamples } from "./data/subset.js";
export { toTensor, normalize, compose, type Transform } from "./data/transforms.js";
export {
  grayscale,
  borderMedian,
  otsuThreshold,
  quantile,
  noiseLevel,
  findPaper,
  paperLevel,
  hasLightBackground,
  toInk,
  strongestInk,
  inkLevels,
  inkBox,
  crop,
  cleanInk,
  resizeArea,
  scaleToFit,
  centerOfMass,
  centerInCanvas,
  preprocessDigit,
  PreprocessError,
  MNIST_CANVAS,
  MNIST_BOX,
  NOISE_THRESHOLD,
  MIN_CONTRAST,
  NOISE_SIGMAS,
  FULL_INK_QUANTILE,
  MAX_LIGHT_RATIO,
  type PreprocessErrorCode,
  type PreprocessFailure,
  type Paper,
  type InkLevels,
  type GrayImage,
  type PixelBox,
  type Point,
  type PreprocessedDigit,
} from "./data/preprocess.js";
export { grayBytes, grayPng, MAX_PNG_SCALE } from "./data/gray-png.js";
export {
  parseIdx,
  parseMnistImages,
  parseMnistLabels,
  IdxError,
  MAX_IDX_BYTES,
  type IdxArray,
  type IdxErrorCode,
  type IdxOptions,
} from "./data/idx.js";

export {
  encodeSafetensors,
  decodeSafetensors,
  SafetensorsError,
  SAFETENSORS_CODES,
  type SafetensorsErrorCode,
  type SafetensorsErrorReason,
} from "./io/safetensors.js";
export {
  encodeOnnxModel,
  decodeOnnxModel,
  looksLikeOnnx,
  OnnxError,
  ONNX_CODES,
  type OnnxErrorCode,
  type OnnxErrorReason,
  type OnnxModel,
  type OnnxGraph,
  type OnnxNode,
  type OnnxAttribute,
  type OnnxTensor,
  type OnnxValueInfo,
  type OnnxDim,
  type OnnxOpset,
} from "./io/onnx-proto.js";
export {
  exportOnnx,
  onnxModelOf,
  onnxGraphSummary,
  ONNX_OPSET,
  ONNX_IR_VERSION,
  type ExportOnnxOptions,
  type OnnxSummary,
} from "./models/onnx-export.js";
export { importOnnx, modelFromOnnx, sameLayers, type OnnxImport } from "./models/onnx-import.js";

export {
  trainEpoch,
  trainStep,
  evaluate,
  NonFiniteLossError,
  type EpochResult,
  type EvalResult,
} from "./train/loop.js";
export { encodeCheckpoint, restoreCheckpoint, type CheckpointContent, type TrainingState } from "./train/checkpoint.js";
// Whole runs and sweeps, as `convlab train` and `convlab sweep` and the lab page run them, on any RunStorage.
export { trainRun, RunStoppedError, type RunEvent, type TrainRunOptions, type TrainRunResult } from "./train/run.js";
export { RunControl, yieldToEventLoop } from "./train/control.js";
export { MemoryStorage, type RunStorage } from "./train/storage.js";
export {
  inspectRun,
  configDifference,
  runRow,
  RunFileError,
  MODEL_FILE,
  METRICS_FILE,
  CHECKPOINT_FILE,
  FAILED_FILE,
  REPORT_FILE,
  rerunAction,
  type RerunAction,
  type TrainSettings,
  type RunConfig,
  type RunMetrics,
  type EpochMetrics,
  type CheckpointInfo,
  type RunInfo,
  type RunRow,
} from "./train/run-files.js";
export { HOMEWORK, gridProduct, planSweep, type GridAxis, type GridPoint } from "./train/sweep-plan.js";
export {
  runSweep,
  finishedRuns,
  type SweepRun,
  type SweepEvent,
  type SweepOptions,
  type SweepTrainer,
  type SweepTrainJob,
} from "./train/sweep.js";
export { presetChoice, modelFromWeights, checkMnist, modelMetadata, type ModelChoice } from "./models/choice.js";

export * as explainLab from "./explain/index.js";
