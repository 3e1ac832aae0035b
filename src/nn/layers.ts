import { Parameter, Tensor, numel, shapeToString } from "../tensor/tensor.js";
import { conv2d } from "../ops/conv2d.js";
import { conv2dReluMaxPool2d } from "../ops/conv-relu-pool.js";
import { maxPool2d } from "../ops/pool.js";
import { relu } from "../ops/relu.js";
import { linear } from "../ops/matmul.js";
import { flatten } from "../ops/shape.js";
import { pair, type IntPair } from "../ops/window.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import { kaimingUniform_, fanIn, uniform_ } from "./init.js";
import { Module } from "./module.js";

/** A pair as Python prints a tuple: `(3, 3)`. */
const tuple = (pair: readonly number[]) => `(${pair.join(", ")})`;

/** A size argument as the user gave it: an int stays an int (`2`), a pair prints as a tuple. */
const sizeArg = (size: IntPair) => (typeof size === "number" ? String(size) : tuple(size));

function emptyParameter(shape: number[]): Parameter {
  return new Parameter(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

/**
 * PyTorch's default init of a weight and its bias: kaiming-uniform with a = √5 (so U(±1/√fan_in)) for the weight,
 * then U(±1/√fan_in) for the bias, drawn in that order, as `reset_parameters` of Conv2d and Linear.
 */
function resetParameters(weight: Parameter, bias: Parameter | null, generator: Generator): void {
  kaimingUniform_(weight, Math.sqrt(5), generator);
  if (bias !== null) {
    const bound = 1 / Math.sqrt(fanIn(weight));
    uniform_(bias, -bound, bound, generator);
  }
}

export interface Conv2dLayerOptions {
  stride?: IntPair;
  padding?: IntPair;
  bias?: boolean;
  /** Where the initial weights are drawn from; default: the global generator seeded by `manualSeed`. */
  generator?: Generator;
}

/**
 * 2-D convolution layer, `nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True)`.
 * Parameters: weight [C_out, C_in, kH, kW], bias [C_out].
 * Shape: [N, C_in, H, W] → [N, C_out, ⌊(H + 2P − kH)/S⌋ + 1, ⌊(W + 2P − kW)/S⌋ + 1]. See {@link conv2d}.
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: IntPair,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    const [kh, kw] = pair(kernelSize, "Conv2d", "kernelSize", 1);
    this.stride = pair(options.stride ?? 1, "Conv2d", "stride", 1);
    this.padding = pair(options.padding ?? 0, "Conv2d", "padding", 0);
    this.weight = emptyParameter([outChannels, inChannels, kh, kw]);
    this.bias = options.bias === false ? null : emptyParameter([outChannels]);
    resetParameters(this.weight, this.bias, options.generator ?? defaultGenerator);
  }

  /** Checks the input against this layer first, so a mismatch names the layer: "conv2 (Conv2d) expects …". */
  forward(input: Tensor): Tensor {
    this.checkInput(input);
    return conv2d(input, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  /** `pool(relu(this(input)))` as one fused op, {@link conv2dReluMaxPool2d}; models use it for that run of layers. */
  forwardReluMaxPool(input: Tensor, pool: MaxPool2d): Tensor {
    this.checkInput(input);
    const conv = { stride: this.stride, padding: this.padding };
    return conv2dReluMaxPool2d(input, this.weight, this.bias, conv, pool.kernelSize, pool.options);
  }

  /** `1, 16, kernel_size=(3, 3), stride=(1, 1)`, with padding and bias only where they differ from the defaults. */
  override extraRepr(): string {
    const [kh, kw] = this.weight.shape.slice(2);
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple([kh, kw])}, stride=${tuple(this.stride)}`;
    if (this.padding.some((p) => p !== 0)) s += `, padding=${tuple(this.padding)}`;
    if (this.bias === null) s += ", bias=False";
    return s;
  }

  private checkInput(input: Tensor): void {
    if (input.ndim !== 4 || input.shape[1] !== this.inChannels) {
      throw new Error(
        `${this.describe()} expects an input of shape [N, ${this.inChannels}, H, W] (in_channels = ` +
          `${this.inChannels}), but got ${shapeToString(input.shape)}` +
          (input.ndim === 4 ? `, which has ${input.shape[1]} channels` : ""),
      );
    }
  }
}

/**
 * Fully connected layer, `nn.Linear(in_features, out_features, bias=True)`: y = x·Wᵀ + b.
 * Parameters: weight [out, in], bias [out]. Shape: [N, in] → [N, out]. See {@link linear}.
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    bias = true,
    generator: Generator = defaultGenerator,
  ) {
    super();
    this.weight = emptyParameter([outFeatures, inFeatures]);
    this.bias = bias ? emptyParameter([outFeatures]) : null;
    resetParameters(this.weight, this.bias, generator);
  }

  /** Checks the input against this layer first, so a mismatch names the layer: "fc1 (Linear) expects …". */
  forward(input: Tensor): Tensor {
    if (input.ndim !== 2 || input.shape[1] !== this.inFeatures) {
      const features = numel(input.shape.slice(1));
      throw new Error(
        `${this.describe()} expects an input of shape [N, ${this.inFeatures}] (in_features = ${this.inFeatures}), ` +
          `but got ${shapeToString(input.shape)}` +
          (input.ndim > 2 ? `: flatten it first (${input.shape.slice(1).join("×")} = ${features} features)` : ""),
      );
    }
    return linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias === null ? "False" : "True"}`;
  }
}

/** Max pooling layer, `nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0)`. See {@link maxPool2d}. */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: IntPair,
    readonly options: { stride?: IntPair; padding?: IntPair } = {},
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, this.options);
  }

  /** The arguments as given, as PyTorch prints them: `kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False`. */
  override extraRepr(): string {
    const stride = this.options.stride ?? this.kernelSize;
    const padding = this.options.padding ?? 0;
    return (
      `kernel_size=${sizeArg(this.kernelSize)}, stride=${sizeArg(stride)}, padding=${sizeArg(padding)}, ` +
      "dilation=1, ceil_mode=False"
    );
  }
}

/** `nn.ReLU()`: max(0, x) elementwise. */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return relu(input);
  }
}

/** `nn.Flatten(start_dim=1, end_dim=-1)`: [N, C, H, W] → [N, C·H·W]. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(input: Tensor): Tensor {
    return flatten(input, this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** `nn.Sequential(*modules)`: applies the modules in order; their keys are "0", "1", … as in PyTorch. */
export class Sequential extends Module {
  private readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  override namedChildren(): [string, Module][] {
    return this.layers.map((m, i) => [String(i), m]);
  }

  forward(input: Tensor): Tensor {
    return this.layers.reduce((x, layer) => layer(x), input);
  }
}
