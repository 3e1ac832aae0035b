import { ConvlabError } from "../errors.js";
import { layerLabel, type Trace } from "./trace.js";

/**
 * How large a model convlab builds before it allocates anything, checked by {@link traceSpec} (and so by
 * `buildModel`, `convlab train`, `eval`, `predict`…): a spec asking for 1e9 channels, or `Linear(800, 1e6)`, is
 * refused at once with its size rather than running for minutes into gigabytes or a `RangeError`.
 */
export interface ModelLimits {
  /**
   * The most parameters a model may have. Default 50,000,000: 200 MB of float32 weights, 600 MB with their gradients
   * and SGD's momentum, far above the tutorial's models (a few thousand) and twice ResNet-50's.
   */
  maxParameters: number;
  /**
   * The most bytes of activations one training step may hold at {@link batchSize}: every layer's output kept for
   * the backward pass, and its gradient (torchinfo's "forward/backward pass size"). Default 2 GiB.
   */
  maxActivationBytes: number;
  /** The batch size activations are counted at. Default 64, the batch size of `convlab train` and the tutorial. */
  batchSize: number;
}

/** The defaults of {@link ModelLimits}. */
export const DEFAULT_MODEL_LIMITS: Readonly<ModelLimits> = Object.freeze({
  maxParameters: 50_000_000,
  maxActivationBytes: 2 * 1024 ** 3,
  batchSize: 64,
});

/**
 * The limits in force when a call passes none. Change its fields to raise them for the whole program, as one sets
 * Pillow's `Image.MAX_IMAGE_PIXELS` (`Infinity` turns a check off); the CLI sets them from {@link MAX_PARAMETERS_ENV}
 * and {@link MAX_ACTIVATION_BYTES_ENV}.
 */
export const modelLimits: ModelLimits = { ...DEFAULT_MODEL_LIMITS };

/** The environment variable the CLI reads into {@link modelLimits}`.maxParameters`. */
export const MAX_PARAMETERS_ENV = "CONVLAB_MAX_PARAMETERS";
/** The environment variable the CLI reads into {@link modelLimits}`.maxActivationBytes`. */
export const MAX_ACTIVATION_BYTES_ENV = "CONVLAB_MAX_ACTIVATION_BYTES";

/** Bytes per float32 value: parameters and activations are float32. */
const FLOAT_BYTES = 4;

/** What a model needs: its parameters, and the bytes of activations and their gradients per step at `batchSize`. */
export interface ModelSize {
  parameters: number;
  activationBytes: number;
  batchSize: number;
}

/**
 * The size of a traced model (see {@link ModelLimits}): its parameters, and 2 × 4 bytes × batchSize × (the input's
 * elements + every layer's output elements), for values kept by the forward pass and their gradients.
 */
export function modelSize(trace: Trace, batchSize: number = modelLimits.batchSize): ModelSize {
  return { parameters: trace.params, activationBytes: 2 * FLOAT_BYTES * batchSize * trace.activations, batchSize };
}

/** A model larger than {@link ModelLimits} allow; the message gives its size, the limit and how to raise it. */
export class SpecSizeError extends ConvlabError {
  declare readonly code: "E_SPEC_TOO_LARGE";

  constructor(
    readonly size: ModelSize,
    readonly limits: ModelLimits,
    message: string,
  ) {
    super("E_SPEC_TOO_LARGE", message);
  }
}

const count = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });

/** Bytes as people read them: `3.2 GB`, `512 MB` (decimal units, as `ls -h --si` and the issue reports). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} bytes`;
  const units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toPrecision(3)} ${units[unit]}`;
}

/**
 * Refuses a model over the limits before any of it is built: {@link SpecSizeError} (`E_SPEC_TOO_LARGE`) with the
 * number of parameters or the bytes of activations, the limit, and the option and environment variable that raise it.
 *
 * @param limits - fields to use instead of {@link modelLimits}'.
 */
export function checkModelSize(trace: Trace, limits: Partial<ModelLimits> = {}): ModelSize {
  const resolved: ModelLimits = { ...modelLimits, ...limits };
  const size = modelSize(trace, resolved.batchSize);
  const name = `the model '${trace.name}'`;
  if (!(size.parameters <= resolved.maxParameters)) {
    const largest = trace.rows.reduce((a, b) => (b.params > a.params ? b : a), trace.rows[0]);
    throw new SpecSizeError(
      size,
      resolved,
      `${name} is too large to build: ${count(size.parameters)} parameters (${formatBytes(FLOAT_BYTES * size.parameters)} ` +
        `of float32 weights, three times that to train), over the limit of ${count(resolved.maxParameters)}. ` +
        `${largest ? `${layerLabel(largest.key, largest.layer)} alone has ${count(largest.params)}. ` : ""}Make it smaller, or raise the ` +
        `limit: limits: { maxParameters } in the API, or ${MAX_PARAMETERS_ENV}=<n> for the CLI`,
    );
  }
  if (!(size.activationBytes <= resolved.maxActivationBytes)) {
    const largest = trace.rows.reduce((a, b) => (numel(b.output) > numel(a.output) ? b : a), trace.rows[0]);
    throw new SpecSizeError(
      size,
      resolved,
      `${name} is too large to train: its activations and their gradients take ${formatBytes(size.activationBytes)} ` +
        `per step at batch size ${resolved.batchSize}, over the limit of ${formatBytes(resolved.maxActivationBytes)}. ` +
        (largest
          ? `${layerLabel(largest.key, largest.layer)} alone gives ${count(numel(largest.output))} values per example. `
          : "") +
        `Make it smaller (fewer channels, or pool earlier), or raise the limit: limits: { maxActivationBytes } in ` +
        `the API, or ${MAX_ACTIVATION_BYTES_ENV}=<bytes> for the CLI`,
    );
  }
  return size;
}

/** Elements of one example's output (the batch dimension left out). */
const numel = (shape: readonly number[]) => shape.slice(1).reduce((a, b) => a * b, 1);
