import { ConvlabError } from "../errors.js";
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU } from "../nn/layers.js";
import { Module } from "../nn/module.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { traceSpec, type TraceRow } from "./trace.js";
import { validateSpec } from "./validate.js";

/**
 * A model as data: the JSON a learner can write instead of a `class MNIST_CNN(nn.Module)`. Keys use PyTorch's
 * argument names (`in_channels`, `kernel_size`, …) so a line of the tutorial's `__init__` reads across directly:
 *
 *   self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=1, padding=0)
 *   {"name": "conv1", "type": "Conv2d", "in_channels": 1, "out_channels": 16, "kernel_size": 3, "stride": 1, "padding": 0}
 *
 * `layers` lists the forward pass in order. A layer with a `name` gets that state-dict key (`conv1.weight`); an
 * unnamed one gets its index in `layers`, as `nn.Sequential` does (`3.weight`). `{"use": "pool"}` runs an earlier
 * named layer again, as the tutorial's forward calls its single `self.pool` after every convolution. Layers are
 * created, and so draw their initial weights, in order of first appearance.
 */
export interface ModelSpec {
  /** Shown by `convlab summary` and stored with trained weights. */
  name?: string;
  /** One example's shape [C, H, W] (no batch dimension). Default [1, 28, 28], an MNIST image. */
  input?: [number, number, number];
  layers: LayerSpec[];
}

/** A size for both spatial dimensions, or [height, width], as PyTorch's `_pair` arguments. */
export type SizeSpec = number | [number, number];

export interface Conv2dSpec {
  type: "Conv2d";
  name?: string;
  in_channels: number;
  out_channels: number;
  kernel_size: SizeSpec;
  /** Default 1. */
  stride?: SizeSpec;
  /** Default 0. */
  padding?: SizeSpec;
  /** Default true. */
  bias?: boolean;
}

export interface LinearSpec {
  type: "Linear";
  name?: string;
  in_features: number;
  out_features: number;
  /** Default true. */
  bias?: boolean;
}

export interface MaxPool2dSpec {
  type: "MaxPool2d";
  name?: string;
  kernel_size: SizeSpec;
  /** Default: kernel_size, as PyTorch. */
  stride?: SizeSpec;
  /** Default 0; at most half of kernel_size. */
  padding?: SizeSpec;
}

export interface ReLUSpec {
  type: "ReLU";
  name?: string;
}

/** `nn.Flatten()`: [N, C, H, W] → [N, C·H·W] (start_dim 1, as the tutorial's `x.view(-1, 32 * 5 * 5)`). */
export interface FlattenSpec {
  type: "Flatten";
  name?: string;
}

/** Runs the layer named `use`, defined earlier in `layers`, again: the same module and the same weights. */
export interface UseSpec {
  use: string;
}

/** A layer that is defined here (not a reuse). */
export type LayerDef = Conv2dSpec | LinearSpec | MaxPool2dSpec | ReLUSpec | FlattenSpec;
export type LayerSpec = LayerDef | UseSpec;
export type LayerType = LayerDef["type"];

/**
 * What a layer key's value must be: `positive` a whole number ≥ 1, `size` a positive size or [height, width] pair
 * ({@link SizeSpec}), `padding` the same with 0 allowed, `boolean` true or false. (`name`, which every layer takes,
 * is checked apart.)
 */
export type LayerKeyKind = "positive" | "size" | "padding" | "boolean";

/** The keys of T that must be given, and those that may be. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type DefOf<T extends LayerType> = Extract<LayerDef, { type: T }>;

/** The keys of one layer type, each with its kind: exactly the keys of its interface above, as the compiler checks. */
export interface LayerSchema<T extends LayerType> {
  readonly required: Readonly<Record<Exclude<RequiredKeys<DefOf<T>>, "type">, LayerKeyKind>>;
  readonly optional: Readonly<Record<Exclude<OptionalKeys<DefOf<T>>, "name">, LayerKeyKind>>;
}

/**
 * The schema of every layer type, the one list of them: {@link LAYER_TYPES}, the validator (its keys, kinds and
 * "did you mean" hints) and the error listing the allowed keys all come from here. Typed from the interfaces above,
 * so adding a layer interface to {@link LayerDef} without its entry here, or an entry whose keys differ from its
 * interface's, is a compile error. Switches over `layer.type` end in {@link assertNever}.
 */
export const LAYER_SCHEMA: { readonly [T in LayerType]: LayerSchema<T> } = {
  Conv2d: {
    required: { in_channels: "positive", out_channels: "positive", kernel_size: "size" },
    optional: { stride: "size", padding: "padding", bias: "boolean" },
  },
  Linear: { required: { in_features: "positive", out_features: "positive" }, optional: { bias: "boolean" } },
  MaxPool2d: { required: { kernel_size: "size" }, optional: { stride: "size", padding: "padding" } },
  ReLU: { required: {}, optional: {} },
  Flatten: { required: {}, optional: {} },
};

/** The layer types a spec may use, in the order of {@link LAYER_SCHEMA}. */
export const LAYER_TYPES: readonly LayerType[] = Object.freeze(Object.keys(LAYER_SCHEMA) as LayerType[]);

/**
 * The `default` of a switch that handles every member of a union, such as `switch (layer.type)` over
 * {@link LayerType}: `value` has type `never` there, so a member added to the union and not to the switch is a
 * compile error at this call. At run time (a value that bypassed the types, e.g. unvalidated JSON) it throws a
 * {@link ConvlabError} `E_UNREACHABLE` naming what it got.
 */
export function assertNever(value: never, what = "value"): never {
  const type = (value as { type?: unknown } | null)?.type;
  const shown = typeof type === "string" ? `type '${type.slice(0, 40)}'` : typeof value;
  throw new ConvlabError("E_UNREACHABLE", `unexpected ${what}: ${shown}; a case is missing for it`);
}

/** The input shape of one example, [C, H, W]; the spec's `input` or MNIST's [1, 28, 28]. */
export function specInput(spec: ModelSpec): [number, number, number] {
  return spec.input ?? [1, 28, 28];
}

/** Creates the module a layer definition describes; its parameters draw from `generator` as PyTorch's would. */
function createLayer(layer: LayerDef, generator: Generator): Module {
  switch (layer.type) {
    case "Conv2d":
      return new Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size, {
        stride: layer.stride ?? 1,
        padding: layer.padding ?? 0,
        bias: layer.bias ?? true,
        generator,
      });
    case "Linear":
      return new Linear(layer.in_features, layer.out_features, layer.bias ?? true, generator);
    case "MaxPool2d":
      return new MaxPool2d(layer.kernel_size, {
        stride: layer.stride ?? layer.kernel_size,
        padding: layer.padding ?? 0,
      });
    case "ReLU":
      return new ReLU();
    case "Flatten":
      return new Flatten(1, -1);
    default:
      return assertNever(layer, "layer");
  }
}

/**
 * A model built from a {@link ModelSpec}: its children are the spec's layers, keyed by name (or index), in order of
 * first appearance, so its state dict keys and parameter order are those a PyTorch class with the same attributes
 * would have. `forward` applies the layers in the order `layers` lists them, reused ones included.
 */
export class SpecModel extends Module {
  /** The spec, validated; stored with trained weights so the model can be rebuilt. */
  readonly spec: ModelSpec;
  /** The shapes each layer gives for one example, as `convlab summary` prints them. */
  readonly trace: readonly TraceRow[];
  readonly #children: [string, Module][] = [];
  readonly #sequence: Module[] = [];

  /**
   * Validates `spec` (throws {@link SpecError} naming the JSON path of each problem), traces its shapes (throws
   * {@link SpecShapeError} with the shapes and the fix when they do not fit), and only then creates the layers, so a
   * bad spec draws nothing from the generator.
   */
  constructor(spec: unknown, options: { generator?: Generator } = {}) {
    super();
    this.spec = validateSpec(spec);
    this.trace = traceSpec(this.spec).rows;
    const generator = options.generator ?? defaultGenerator;
    const byKey = new Map<string, Module>();
    for (const row of this.trace) {
      let module = byKey.get(row.key);
      if (module === undefined) {
        module = createLayer(row.layer, generator);
        // The key is the module's path in this model, so its run-time shape errors can say "fc1 expects …".
        module.path = row.key;
        byKey.set(row.key, module);
        this.#children.push([row.key, module]);
      }
      this.#sequence.push(module);
    }
  }

  override namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** The layer with this key (a spec name such as "conv1", or the index of an unnamed layer). */
  layer(key: string): Module {
    const found = this.#children.find(([k]) => k === key);
    if (found === undefined) {
      throw new ConvlabError(
        "E_MODEL_NO_LAYER",
        `model has no layer '${key}'; it has ${this.#children.map(([k]) => k)}`,
      );
    }
    return found[1];
  }

  /**
   * Whether forward runs each Conv2d → ReLU → MaxPool2d run of layers as one fused op (`conv2dReluMaxPool2d`:
   * the same values and gradients, less memory traffic). Set it to false to run every layer on its own, as PyTorch's
   * eager mode does. A run whose layers have forward hooks is never fused, so each hook sees its layer's output.
   */
  fuse = true;

  /** Shapes: [N, C, H, W] (the spec's input) → whatever the last layer gives, [N, 10] for the MNIST presets. */
  forward(x: Tensor): Tensor {
    const layers = this.#sequence;
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      const [conv, relu, pool] = layers.slice(i, i + 3);
      if (
        this.fuse &&
        isExactly(conv, Conv2d) &&
        isExactly(relu, ReLU) &&
        isExactly(pool, MaxPool2d) &&
        !hooked(conv, relu, pool)
      ) {
        h = conv.forwardReluMaxPool(h, pool);
        i += 2;
      } else {
        h = layers[i](h);
      }
    }
    return h;
  }
}

/** Whether any of the modules has a forward hook, which must see its own output: then the run is not fused. */
const hooked = (...modules: Module[]) => modules.some((m) => m.hasForwardHooks());

/** Whether `m` is an instance of `type` itself, not of a subclass, which might override forward. */
function isExactly<T extends Module>(m: Module | undefined, type: abstract new (...args: never[]) => T): m is T {
  return m !== undefined && Object.getPrototypeOf(m) === type.prototype;
}

/** Builds the Module a spec describes; see {@link SpecModel}. `spec` may be parsed JSON: it is validated first. */
export function buildModel(spec: unknown, options: { generator?: Generator } = {}): SpecModel {
  return new SpecModel(spec, options);
}
