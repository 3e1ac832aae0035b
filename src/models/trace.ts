import { ConvlabError } from "../errors.js";
import { pair, window2d } from "../ops/window.js";
import { numel, shapeToString, type Shape } from "../tensor/tensor.js";
import { checkModelSize, type ModelLimits } from "./limits.js";
import { assertNever, specInput, type LayerDef, type ModelSpec, type SizeSpec } from "./spec.js";
import { SpecError } from "./validate.js";

/** One step of the forward pass, as traced for one example (batch size 1, as torchinfo's default). */
export interface TraceRow {
  /** Position in the spec's `layers`. */
  index: number;
  /** The layer's key in the model: its name, or its index when unnamed (the state-dict prefix, `conv1.weight`). */
  key: string;
  /** The layer definition, the earlier one for a `{"use": …}` entry. */
  layer: LayerDef;
  /** True for a `{"use": …}` entry: the module and its parameters are the earlier layer's. */
  reused: boolean;
  input: Shape;
  output: Shape;
  /** How the output size came about, e.g. `28 → ⌊(28 + 2·0 − 3) / 1⌋ + 1 = 26`. */
  formula: string;
  /** Parameters this row adds to the model: 0 for a reused layer, whose parameters were counted where defined. */
  params: number;
  /**
   * Multiply-adds per example, counted as torchinfo does: a Conv2d does (weights + biases) of them at each output
   * position, H_out·W_out·(C_out·C_in·kH·kW + C_out); a Linear, out·in + out; pooling, ReLU and Flatten none.
   */
  multAdds: number;
}

/** The shapes through a whole model, what `convlab summary` prints. */
export interface Trace {
  name: string;
  input: Shape;
  output: Shape;
  rows: TraceRow[];
  /** Σ params of the rows: the model's number of parameters. */
  params: number;
  /** Σ multAdds of the rows, per example. */
  multAdds: number;
  /** Values per example of the input and of every row's output: what a forward pass keeps for backward. */
  activations: number;
  /** Why each Linear after a Flatten takes the inputs it does, e.g. `fc1 takes 64 inputs: 28 → 26 → … → 1, …`. */
  notes: string[];
  /** The same, as data, for saying it in another language: one entry per Linear after a Flatten. */
  linearInputs: LinearInputs[];
}

/** Why a Linear after a Flatten takes `inputs` inputs: the image's sides on the way, and what Flatten was given. */
export interface LinearInputs {
  key: string;
  inputs: number;
  /** The image's [height, width]. */
  image: Shape;
  /** The image's side at the input and after each layer that changes it: "28", "26 (conv1)", "13 (pool)", … */
  sizes: string[];
  /** The maps [C, H, W] that Flatten turned into `inputs` values. */
  flattened: Shape;
}

/**
 * A spec whose shapes do not fit, found before anything is built or trained. The message says which layer, why,
 * and the fix, then lists the shapes traced up to there; `rows` holds them too.
 */
export class SpecShapeError extends ConvlabError {
  declare readonly code: "E_SPEC_SHAPE";

  constructor(
    readonly problem: string,
    readonly rows: TraceRow[],
    readonly input: Shape,
    name: string,
  ) {
    super(
      "E_SPEC_SHAPE",
      `the model '${name}' does not fit: ${problem}\nShapes up to there:\n${formatTrace(input, rows).join("\n")}`,
    );
  }
}

/** A layer as torchinfo names it: `conv1 (Conv2d)`, or `[1] ReLU` when unnamed (its key is its index). */
export const layerLabel = (key: string, layer: LayerDef) =>
  /^\d+$/.test(key) ? `[${key}] ${layer.type}` : `${key} (${layer.type})`;

/** `C×H×W`, as the tutorial writes `32 * 5 * 5`. */
export const product = (dims: Shape) => dims.join("×");

/** One side's output size, `size → ⌊(size + 2·P − F) / S⌋ + 1 = out`, written as {@link outputSize} computes it. */
const sideFormula = (size: number, kernel: number, stride: number, pad: number, out: number) =>
  `${size} → ⌊(${size} + 2·${pad} − ${kernel}) / ${stride}⌋ + 1 = ${out}`;

/**
 * The output of a sliding window (convolution or pooling) over `input` [N, C, H, W], with the formula for each
 * side (once when both sides are the same). The arithmetic is {@link window2d}'s, the one the ops run; when it finds
 * an output of size ≤ 0 the error says at which layer, why, and what to change.
 */
function slide(
  where: string,
  input: Shape,
  kernelSize: SizeSpec,
  strideSpec: SizeSpec,
  paddingSpec: SizeSpec,
  fail: (problem: string, field?: string) => never,
): { height: number; width: number; formula: string } {
  const kernel = pair(kernelSize, where, "kernel_size", 1);
  const stride = pair(strideSpec, where, "stride", 1);
  const padding = pair(paddingSpec, where, "padding", 0);
  let geometry;
  try {
    geometry = window2d(where, input, kernel, stride, padding);
  } catch (error) {
    fail(
      `${(error as Error).message}. Its input is only ${input[2]}×${input[3]} by then: ` +
        `remove a pooling or convolution before it, give it padding, or a smaller kernel_size`,
    );
  }
  const h = sideFormula(input[2], kernel[0], stride[0], padding[0], geometry.outHeight);
  const w = sideFormula(input[3], kernel[1], stride[1], padding[1], geometry.outWidth);
  return { height: geometry.outHeight, width: geometry.outWidth, formula: h === w ? h : `H: ${h}; W: ${w}` };
}

/**
 * Runs the shapes of one example through the spec without creating any layer: each layer's output shape, the
 * formula that gives it, its parameters and multiply-adds. Used by `convlab summary` and, before building, as the
 * check that the layers fit together.
 *
 *   Conv2d    [N, C_in, H, W] → [N, C_out, ⌊(H + 2P − F)/S⌋ + 1, ⌊(W + 2P − F)/S⌋ + 1]
 *   MaxPool2d [N, C, H, W]    → [N, C, ⌊(H + 2P − F)/S⌋ + 1, …]
 *   Flatten   [N, C, H, W]    → [N, C·H·W]
 *   Linear    [N, in]         → [N, out]
 *
 * Throws {@link SpecShapeError} at the first layer that does not fit: a Linear whose in_features differ from what
 * reaches it ("fc1 expects 800 inputs, but the layer before gives 64 = 64×1×1; set in_features to 64"), a Conv2d
 * with the wrong in_channels, a window larger than its input, a Linear before the Flatten, a Conv2d after it.
 * The spec must already be valid ({@link validateSpec}).
 *
 * Then checks the model's size against `options.limits` (default: {@link modelLimits}), so that nothing is built
 * that would not fit in memory: {@link SpecSizeError} (`E_SPEC_TOO_LARGE`) gives the numbers and how to raise the
 * limit. `limits: false` skips that check (to print the summary of a model too large to build).
 */
export function traceSpec(spec: ModelSpec, options: { limits?: Partial<ModelLimits> | false } = {}): Trace {
  const name = spec.name ?? "model";
  const input: Shape = [1, ...specInput(spec)];
  const rows: TraceRow[] = [];
  const defined = new Map<string, { key: string; layer: LayerDef }>();
  const linearInputs: LinearInputs[] = [];
  // The spatial sizes so far (28 → 26 → 13 …) and the layers that changed them, for the notes.
  const sizes: string[] = [String(input[2])];
  let flattenedFrom: Shape | null = null;
  let x = input;

  spec.layers.forEach((entry, index) => {
    const reused = "use" in entry;
    const found = reused ? defined.get(entry.use) : { key: entry.name ?? String(index), layer: entry };
    if (found === undefined)
      throw new SpecError([`layers[${index}].use: no layer named '${(entry as { use: string }).use}' before it`]);
    const { key, layer } = found;
    if (!reused && layer.name !== undefined) defined.set(layer.name, found);
    const where = layerLabel(key, layer);
    const fail = (problem: string, field?: string): never => {
      throw new SpecShapeError(`${problem} (layers[${index}]${field ? `.${field}` : ""})`, rows, input, name);
    };
    let output: Shape = x;
    let formula = "";
    let params = 0;
    let multAdds = 0;
    switch (layer.type) {
      case "Conv2d": {
        if (x.length !== 4) {
          fail(
            `${key} expects an input [N, C, H, W], but the layer before gives ${shapeToString(x)}: put convolutions before the Flatten`,
          );
        }
        if (x[1] !== layer.in_channels) {
          fail(
            `${key} expects ${layer.in_channels} input channels, but the layer before gives ${x[1]} ` +
              `(${shapeToString(x)}); set in_channels to ${x[1]}`,
            "in_channels",
          );
        }
        const out = slide(where, x, layer.kernel_size, layer.stride ?? 1, layer.padding ?? 0, fail);
        output = [x[0], layer.out_channels, out.height, out.width];
        formula = out.formula;
        const [kh, kw] = pair(layer.kernel_size, where, "kernel_size", 1);
        const perPosition =
          layer.out_channels * layer.in_channels * kh * kw + (layer.bias === false ? 0 : layer.out_channels);
        params = perPosition;
        multAdds = perPosition * out.height * out.width;
        break;
      }
      case "MaxPool2d": {
        if (x.length !== 4)
          fail(`${key} expects an input [N, C, H, W], but the layer before gives ${shapeToString(x)}`);
        const out = slide(where, x, layer.kernel_size, layer.stride ?? layer.kernel_size, layer.padding ?? 0, fail);
        output = [x[0], x[1], out.height, out.width];
        formula = out.formula;
        break;
      }
      case "ReLU":
        formula = "max(0, x), same shape";
        break;
      case "Flatten":
        if (x.length < 2) fail(`${key} expects an input with a batch dimension and more, got ${shapeToString(x)}`);
        output = [x[0], numel(x.slice(1))];
        formula = `${product(x.slice(1))} = ${output[1]}`;
        break;
      case "Linear": {
        const from = flattenedFrom !== null && flattenedFrom.length > 1 ? ` = ${product(flattenedFrom)}` : "";
        if (x.length !== 2) {
          fail(
            `${key} expects an input [N, in_features], but the layer before gives ${shapeToString(x)}; ` +
              `add {"type": "Flatten"} before it (it gives ${product(x.slice(1))} = ${numel(x.slice(1))} inputs)`,
          );
        }
        if (x[1] !== layer.in_features) {
          fail(
            `${key} expects ${layer.in_features} inputs, but the layer before gives ${x[1]}${from}; ` +
              `set in_features to ${x[1]}`,
            "in_features",
          );
        }
        output = [x[0], layer.out_features];
        formula = `${x[1]}${from} → ${layer.out_features}`;
        params = layer.out_features * layer.in_features + (layer.bias === false ? 0 : layer.out_features);
        multAdds = params;
        if (flattenedFrom !== null) {
          linearInputs.push({ key, inputs: x[1], image: input.slice(2), sizes: [...sizes], flattened: flattenedFrom });
        }
        break;
      }
      default:
        assertNever(layer, "layer");
    }
    // Flatten's input is remembered until a layer changes the features again, so "64 = 64×1×1" survives a ReLU.
    if (layer.type === "Flatten") flattenedFrom = x.slice(1);
    else if (layer.type !== "ReLU") flattenedFrom = null;
    if (output.length === 4 && x.length === 4 && output[2] !== x[2]) sizes.push(`${output[2]} (${key})`);
    rows.push({ index, key, layer, reused, input: x, output, formula, params: reused ? 0 : params, multAdds });
    x = output;
  });
  const sum = (f: (r: TraceRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  const notes = linearInputs.map(
    (n) =>
      `${n.key} takes ${n.inputs} inputs: the ${product(n.image)} image shrinks ${n.sizes.join(" → ")} on the way, ` +
      `and Flatten turns ${product(n.flattened)} into ${n.inputs}`,
  );
  const [params, multAdds] = [sum((r) => r.params), sum((r) => r.multAdds)];
  const activations = numel(input.slice(1)) + sum((r) => numel(r.output.slice(1)));
  const trace = { name, input, output: x, rows, params, multAdds, activations, notes, linearInputs };
  if (options.limits !== false) checkModelSize(trace, options.limits);
  return trace;
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * The trace as aligned text lines, one per layer, torchinfo-style: layer, output shape, formula, and with
 * `numbers` the parameter and multiply-add counts ("(reused)" where a layer runs again).
 */
export function formatTrace(input: Shape, rows: readonly TraceRow[], numbers = false): string[] {
  const table = [
    ["input", shapeToString(input), "", ...(numbers ? ["", ""] : [])],
    ...rows.map((r) => [
      layerLabel(r.key, r.layer) + (r.reused ? " again" : ""),
      shapeToString(r.output),
      r.formula,
      ...(numbers ? [r.reused && r.layer.type !== "ReLU" ? "(reused)" : count(r.params), count(r.multAdds)] : []),
    ]),
  ];
  if (numbers) table.unshift(["Layer (type)", "Output shape", "Size computed as", "Param #", "Mult-adds"]);
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  // Counts are right-aligned, as torchinfo's columns; text left-aligned.
  return table.map((row) =>
    row
      .map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join("  ")
      .trimEnd()
      .replace(/^/, "  "),
  );
}
