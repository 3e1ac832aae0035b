import {
  AttributeType,
  DataType,
  encodeOnnxModel,
  float32Tensor,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from "../io/onnx-proto.js";
import { pair } from "../ops/window.js";
import type { Shape } from "../tensor/tensor.js";
import { specInput, type LayerDef, type SpecModel } from "./spec.js";

/**
 * The ONNX operator set convlab writes, and the IR version it came with (ONNX 1.8): the pair `torch.onnx.export`
 * writes for `opset_version=13`, old enough for every runtime still in use.
 */
export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;

/** The metadata key under which an exported model keeps its spec, so importing it rebuilds the same spec. */
export const SPEC_METADATA_KEY = "convlab.spec";

export interface ExportOnnxOptions {
  /** The graph input's name; default "input", as the tutorial's `torch.onnx.export(…, input_names=["input"])`. */
  inputName?: string;
  /** The graph output's name; default "logits". */
  outputName?: string;
  /**
   * The batch dimension of the input and output: a name makes it dynamic (`dim_param`, any batch size at run time),
   * a number fixes it. Default "batch", as `dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}`.
   */
  batch?: string | number;
  /** ModelProto.producer_version, such as convlab's package version; default none. */
  producerVersion?: string;
}

/** What {@link onnxGraphSummary} tells about an exported model: what `convlab export` prints. */
export interface OnnxSummary {
  opset: number;
  irVersion: number;
  input: { name: string; shape: (number | string)[] };
  output: { name: string; shape: (number | string)[] };
  /** The operators in graph order, e.g. ["Conv", "Relu", "MaxPool", …, "Gemm"]. */
  ops: string[];
  /** Number of float32 weights stored as initializers. */
  parameters: number;
}

/** `[3, 3]`-style attributes as ONNX stores them: INTS, in the order of the spatial axes (height, width). */
const ints = (name: string, values: number[]): OnnxAttribute => ({
  name,
  type: AttributeType.INTS,
  ints: values,
  floats: [],
  strings: [],
  tensors: [],
});
const int = (name: string, value: number): OnnxAttribute => ({
  name,
  type: AttributeType.INT,
  i: value,
  ints: [],
  floats: [],
  strings: [],
  tensors: [],
});
const float = (name: string, value: number): OnnxAttribute => ({
  name,
  type: AttributeType.FLOAT,
  f: value,
  ints: [],
  floats: [],
  strings: [],
  tensors: [],
});

/** ONNX `pads` for PyTorch's symmetric padding [pH, pW]: [top, left, bottom, right] = [pH, pW, pH, pW]. */
const pads = ([ph, pw]: [number, number]) => [ph, pw, ph, pw];

/**
 * The ONNX operator of one layer and its attributes, as `torch.onnx.export` writes the same module at opset 13
 * (attributes in alphabetical order, as torch lists them):
 *
 *   Conv2d    → Conv     dilations [1, 1], group 1, kernel_shape [kH, kW], pads [P, P, P, P], strides [S, S]
 *   ReLU      → Relu
 *   MaxPool2d → MaxPool  ceil_mode 0 (PyTorch's floor mode: ⌊(H + 2P − F)/S⌋ + 1), kernel_shape, pads, strides
 *   Flatten   → Flatten  axis 1: [N, C, H, W] → [N, C·H·W]
 *   Linear    → Gemm     alpha 1, beta 1, transB 1: Y = X·Wᵀ + b with W stored [out, in], as the state dict
 */
function operatorOf(layer: LayerDef): { opType: string; attribute: OnnxAttribute[] } {
  switch (layer.type) {
    case "Conv2d": {
      const kernel = pair(layer.kernel_size, "Conv2d", "kernel_size", 1);
      const attribute = [
        ints("dilations", [1, 1]),
        int("group", 1),
        ints("kernel_shape", kernel),
        ints("pads", pads(pair(layer.padding ?? 0, "Conv2d", "padding", 0))),
        ints("strides", pair(layer.stride ?? 1, "Conv2d", "stride", 1)),
      ];
      return { opType: "Conv", attribute };
    }
    case "ReLU":
      return { opType: "Relu", attribute: [] };
    case "MaxPool2d": {
      const kernel = pair(layer.kernel_size, "MaxPool2d", "kernel_size", 1);
      // ONNX's strides default to 1, PyTorch's to the kernel size: always written out.
      const attribute = [
        int("ceil_mode", 0),
        ints("kernel_shape", kernel),
        ints("pads", pads(pair(layer.padding ?? 0, "MaxPool2d", "padding", 0))),
        ints("strides", pair(layer.stride ?? layer.kernel_size, "MaxPool2d", "stride", 1)),
      ];
      return { opType: "MaxPool", attribute };
    }
    case "Flatten":
      return { opType: "Flatten", attribute: [int("axis", 1)] };
    case "Linear":
      return { opType: "Gemm", attribute: [float("alpha", 1), float("beta", 1), int("transB", 1)] };
  }
}

/** A shape with its batch dimension replaced by `batch`: a symbolic name, or a fixed size. */
function dims(shape: Shape, batch: string | number): OnnxDim[] {
  return shape.map((size, i) =>
    i > 0 ? { value: size } : typeof batch === "string" ? { param: batch } : { value: batch },
  );
}

/**
 * The ONNX model of `model` as a ModelProto: what {@link exportOnnx} serializes. One node per entry of the spec's
 * `layers`, so a layer run again (`{"use": "pool"}`) is another node on the same weights; the weights are
 * initializers named by their state-dict keys (`conv1.weight`, `fc1.bias`), float32 in raw_data.
 *
 * Node and value names follow torch.onnx.export's scheme: a named layer's node is `/conv1/Conv` (`/pool_1/MaxPool`
 * the second time it runs), an unnamed one's `/Relu`, `/Relu_1`, …; each node's output is `<node>_output_0`, the
 * last one's the graph output.
 */
export function onnxModelOf(model: SpecModel, options: ExportOnnxOptions = {}): OnnxModel {
  const inputName = options.inputName ?? "input";
  const outputName = options.outputName ?? "logits";
  const batch = options.batch ?? "batch";
  const state = model.stateDict();
  const rows = model.trace;
  const nodes: OnnxNode[] = [];
  // How often each node name's stem was used, for torch's `_1`, `_2` suffixes.
  const seen = new Map<string, number>();
  let value = inputName;
  rows.forEach((row, i) => {
    const { opType, attribute } = operatorOf(row.layer);
    const named = !/^\d+$/.test(row.key);
    const stem = named ? row.key : opType;
    const count = seen.get(stem) ?? 0;
    seen.set(stem, count + 1);
    const suffix = count > 0 ? `_${count}` : "";
    const name = named ? `/${stem}${suffix}/${opType}` : `/${stem}${suffix}`;
    const input = [value];
    for (const param of ["weight", "bias"]) {
      const key = `${row.key}.${param}`;
      if (key in state) input.push(key);
    }
    const output = i === rows.length - 1 ? outputName : `${name}_output_0`;
    nodes.push({ input, output: [output], name, opType, domain: "", attribute, docString: "" });
    value = output;
  });
  const initializer: OnnxTensor[] = Object.entries(state).map(([key, tensor]) =>
    float32Tensor(key, tensor.shape, tensor.data),
  );
  const type = (shape: Shape) => ({ elemType: DataType.FLOAT, shape: dims(shape, batch) });
  const inputShape = [1, ...specInput(model.spec)];
  const outputShape = rows.length > 0 ? rows[rows.length - 1].output : inputShape;
  return {
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "convlab",
    producerVersion: options.producerVersion ?? "",
    domain: "",
    modelVersion: 0,
    docString: "",
    graph: {
      node: nodes,
      name: model.spec.name ?? "convlab",
      initializer,
      docString: "",
      input: [{ name: inputName, tensorType: type(inputShape), docString: "" }],
      output: [{ name: outputName, tensorType: type(outputShape), docString: "" }],
      valueInfo: [],
    },
    metadataProps: [{ key: SPEC_METADATA_KEY, value: JSON.stringify(model.spec) }],
  };
}

/**
 * The bytes of a `.onnx` file holding `model`, as `torch.onnx.export(model, x, f, opset_version=13,
 * input_names=["input"], output_names=["logits"], dynamic_axes={…: {0: "batch"}})` would write the same PyTorch
 * model: opset 13 (IR version 7), producer "convlab", input `input` [batch, C, H, W] and output `logits` [batch, 10]
 * for the MNIST models, any batch size at run time. See {@link onnxModelOf} for the graph. The spec is kept in the
 * metadata (`convlab.spec`), so `importOnnx` gives back the very same spec; other runtimes ignore it.
 *
 * Works for any {@link SpecModel} (the presets, and any spec file), since every layer type maps to one operator.
 */
export function exportOnnx(model: SpecModel, options: ExportOnnxOptions = {}): Uint8Array {
  return encodeOnnxModel(onnxModelOf(model, options));
}

/** The facts `convlab export` prints about an ONNX model. */
export function onnxGraphSummary(onnx: OnnxModel): OnnxSummary {
  const shapeOf = (v: OnnxModel["graph"]["input"][number]) =>
    (v.tensorType?.shape ?? []).map((d) => d.value ?? d.param ?? "?");
  const [input, output] = [onnx.graph.input[0], onnx.graph.output[0]];
  return {
    opset: onnx.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? 0,
    irVersion: onnx.irVersion,
    input: { name: input.name, shape: shapeOf(input) },
    output: { name: output.name, shape: shapeOf(output) },
    ops: onnx.graph.node.map((n) => n.opType),
    parameters: onnx.graph.initializer
      .filter((t) => t.dataType === DataType.FLOAT)
      .reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0),
  };
}
