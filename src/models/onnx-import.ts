import { ConvlabError } from "../errors.js";
import {
  AttributeType,
  DataType,
  OnnxError,
  dataTypeName,
  decodeOnnxModel,
  floatTensorData,
  intTensorData,
  type OnnxAttribute,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from "../io/onnx-proto.js";
import { pair } from "../ops/window.js";
import { Tensor, numel, shapeToString } from "../tensor/tensor.js";
import { checkMnist, fromSpec, presetChoice, type ModelChoice } from "./choice.js";
import { SPEC_METADATA_KEY } from "./onnx-export.js";
import { ARCHS, presetSpec } from "./presets.js";
import { SpecModel, specInput, type LayerDef, type LayerSpec, type LinearSpec, type ModelSpec } from "./spec.js";
import { traceSpec, type TraceRow } from "./trace.js";
import { validateSpec } from "./validate.js";

/** What {@link importOnnx} reads from an ONNX file: a convlab model's spec and its state dict. */
export interface OnnxImport {
  spec: ModelSpec;
  /** The weights by state-dict key (`conv1.weight`, …), float32, in the order of the spec's layers. */
  tensors: Record<string, Tensor>;
  /** The version of the standard operator set the file imports (13 for the tutorial's export). */
  opset: number;
  /** Who wrote the file: ModelProto's producer name and version, e.g. "pytorch 1.13.0". */
  producer: string;
  /** The graph input's and output's names ("input", "logits"). */
  inputName: string;
  outputName: string;
  /**
   * True when the spec is the one convlab stored in the file's metadata (`convlab.spec`), kept because it describes
   * the graph exactly (names of pooling layers, reuse); false when it was read from the graph alone.
   */
  specFromMetadata: boolean;
}

/** What convlab turns into layers, for the messages that refuse anything else. */
const SUPPORTED =
  "Conv (2-D, group 1, dilation 1), Relu, MaxPool (floor mode), Flatten (axis 1), Reshape to [N, features], " +
  "Gemm or MatMul (+ Add) with constant weights, and Constant, one after another from the input to the output";

/** A spec layer read from one node, with its weights and the initializer they came from (for its name). */
interface ReadLayer {
  layer: LayerDef;
  weight?: Tensor;
  bias?: Tensor;
  /** The weight's initializer name, such as `conv1.weight` or `onnx::Conv_12`. */
  weightName?: string;
  /** The bias's initializer name, if any. */
  biasName?: string;
  /** A Linear read from a MatMul, whose bias may follow as an Add. */
  fromMatMul?: boolean;
}

/** The value of an attribute, checked for its type; `undefined` when the node does not have it. */
interface Attributes {
  int(name: string): number | undefined;
  ints(name: string): number[] | undefined;
  float(name: string): number | undefined;
  string(name: string): string | undefined;
}

/**
 * A node's attributes, checked against what convlab reads of its operator: an attribute not in `known` is an error
 * (it might change the result), as is one of another type.
 */
function attributesOf(
  node: OnnxNode,
  known: Record<string, "int" | "ints" | "float" | "string">,
  fail: (problem: string) => never,
): Attributes {
  const TYPE = {
    int: AttributeType.INT,
    ints: AttributeType.INTS,
    float: AttributeType.FLOAT,
    string: AttributeType.STRING,
  };
  const byName = new Map<string, OnnxAttribute>();
  for (const a of node.attribute) {
    const kind = known[a.name];
    if (kind === undefined) {
      fail(
        `has the attribute '${a.name}', which convlab does not read (it reads ${Object.keys(known).join(", ") || "none"})`,
      );
    }
    // IR version 1 files have no type; then the field in use tells it.
    const type = a.type !== AttributeType.UNDEFINED ? a.type : TYPE[kind];
    if (type !== TYPE[kind]) fail(`its attribute '${a.name}' should be of type ${kind}, found type ${a.type}`);
    byName.set(a.name, a);
  }
  return {
    int: (name) => byName.get(name)?.i ?? (byName.has(name) ? 0 : undefined),
    ints: (name) => byName.get(name)?.ints,
    float: (name) => byName.get(name)?.f ?? (byName.has(name) ? 0 : undefined),
    string: (name) => {
      const s = byName.get(name)?.s;
      return s === undefined ? undefined : new TextDecoder().decode(s);
    },
  };
}

/**
 * The window of a Conv or MaxPool node as PyTorch's arguments: kernel [kH, kW], stride, and a symmetric padding
 * [pH, pW] from ONNX's pads [top, left, bottom, right]. Dilations must be 1, auto_pad NOTSET (or VALID, no padding).
 */
function windowOf(
  attrs: Attributes,
  kernel: number[] | undefined,
  fail: (problem: string) => never,
): { kernel: [number, number]; stride: [number, number]; padding: [number, number] } {
  const autoPad = attrs.string("auto_pad") ?? "NOTSET";
  if (autoPad !== "NOTSET" && autoPad !== "VALID") {
    fail(
      `auto_pad ${autoPad} pads by the input size at run time; convlab layers take a fixed padding (export with padding=… rather than padding="same")`,
    );
  }
  if (kernel === undefined || kernel.length !== 2) {
    fail(`has kernel_shape [${kernel?.join(", ") ?? ""}]; convlab's layers are 2-D, with a [height, width] kernel`);
  }
  const dilations = attrs.ints("dilations") ?? [1, 1];
  if (dilations.some((d) => d !== 1)) fail(`has dilations [${dilations.join(", ")}]; convlab supports dilation 1 only`);
  const strides = attrs.ints("strides") ?? [1, 1];
  if (strides.length !== 2) fail(`has strides [${strides.join(", ")}], expected two (height, width)`);
  const pads = attrs.ints("pads") ?? [0, 0, 0, 0];
  if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3]) {
    fail(
      `has pads [${pads.join(", ")}] ([top, left, bottom, right]); convlab pads both sides alike, as PyTorch's ` +
        `padding=… does, so top must equal bottom and left equal right`,
    );
  }
  return { kernel: [kernel[0], kernel[1]], stride: [strides[0], strides[1]], padding: [pads[0], pads[1]] };
}

/** A size pair as the presets write it: one number when both sides agree (`3`), else [height, width]. */
const size = ([h, w]: [number, number]): number | [number, number] => (h === w ? h : [h, w]);

/** The transpose of a [rows, cols] float32 matrix. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** A layer's identity for comparing specs: type, hyperparameters with defaults filled in, and its key if it has weights. */
function canonical(row: TraceRow): string {
  const l = row.layer;
  switch (l.type) {
    case "Conv2d":
      return JSON.stringify([
        l.type,
        row.key,
        l.in_channels,
        l.out_channels,
        pair(l.kernel_size, "", "", 1),
        pair(l.stride ?? 1, "", "", 1),
        pair(l.padding ?? 0, "", "", 0),
        l.bias ?? true,
      ]);
    case "Linear":
      return JSON.stringify([l.type, row.key, l.in_features, l.out_features, l.bias ?? true]);
    case "MaxPool2d":
      return JSON.stringify([
        l.type,
        pair(l.kernel_size, "", "", 1),
        pair(l.stride ?? l.kernel_size, "", "", 1),
        pair(l.padding ?? 0, "", "", 0),
      ]);
    case "ReLU":
    case "Flatten":
      return l.type;
  }
}

/**
 * Whether two valid specs compute the same function with the same state-dict keys: the same input, and layer by layer
 * the same type, hyperparameters and (for layers with weights) key. Names of layers without weights, and whether a
 * pooling layer is defined anew or reused, do not matter: the ONNX graph cannot tell them apart.
 */
export function sameLayers(a: ModelSpec, b: ModelSpec): boolean {
  if (specInput(a).join() !== specInput(b).join()) return false;
  const [ra, rb] = [traceSpec(a).rows, traceSpec(b).rows];
  return ra.length === rb.length && ra.every((row, i) => canonical(row) === canonical(rb[i]));
}

/** The file's name without folder or `.onnx`, as the spec's name when the file does not store one. */
const stem = (where: string) => where.replace(/^.*[\\/]/, "").replace(/\.onnx$/i, "") || "onnx";

/**
 * Reads an ONNX model (the bytes of a `.onnx` file) as a convlab spec and state dict. It walks the graph from its
 * input, one node after another, each node taking the previous one's output:
 *
 *   Conv               → Conv2d (weight [C_out, C_in, kH, kW] and bias from initializers)
 *   Relu               → ReLU
 *   MaxPool            → MaxPool2d (ceil_mode 0: PyTorch's floor mode)
 *   Flatten (axis 1), Reshape to [-1, F] / [0, F] / [0, -1] / [N, F] → Flatten ([N, C, H, W] → [N, C·H·W = F])
 *   Gemm (alpha = beta = 1, transB 1 as torch exports nn.Linear, or transB 0) → Linear (weight [out, in])
 *   MatMul, then optionally Add of a constant [out] → Linear (weight = the MatMul's [in, out] transposed)
 *   Constant           → a value for a later node (the shape of a Reshape)
 *
 * That covers the tutorial's model as `torch.onnx.export` writes it (opset 13) and every model convlab exports.
 * Weights may be in raw_data or float_data. A layer is named after its weight's initializer (`conv1.weight` →
 * `conv1`); when those are not names (`onnx::Conv_12`), the layers are called conv1, conv2, … and fc1, fc2, … in
 * order. A file convlab exported keeps its spec in the metadata; when the graph agrees with it, that spec is used, so
 * export → import gives back the very same spec.
 *
 * Anything else is an {@link OnnxError} naming `where` (the file), the node (index, op_type and name) and what
 * convlab supports: "UnsupportedOp", "UnsupportedGraph" (not one chain, or layers whose shapes do not fit),
 * "UnsupportedTensor", or "NotOnnx"/"Truncated" for bytes that are not a whole ONNX file.
 */
export function importOnnx(bytes: Uint8Array, where = "<buffer>"): OnnxImport {
  const onnx = decodeOnnxModel(bytes, where);
  const graph = onnx.graph;
  const opset = standardOpset(onnx, where);
  const graphError = (problem: string) => new OnnxError("UnsupportedGraph", where, `${where}: ${problem}`);
  const constants = new Map<string, OnnxTensor>(graph.initializer.map((t) => [t.name, t]));

  // The input: the one graph input that is not a weight (old exporters list the weights as inputs too).
  const inputs = graph.input.filter((v) => !constants.has(v.name));
  if (inputs.length !== 1 || graph.output.length !== 1) {
    const list = (vs: { name: string }[]) => vs.map((v) => `'${v.name}'`).join(", ") || "none";
    throw graphError(
      `the graph has inputs ${list(inputs)} and outputs ${list(graph.output)}; a convlab model takes one batch of ` +
        `images and gives one tensor`,
    );
  }
  const input = inputs[0];
  const dims = input.tensorType?.shape;
  const fixed = dims?.slice(1).map((d) => d.value);
  if (
    input.tensorType?.elemType !== DataType.FLOAT ||
    dims?.length !== 4 ||
    fixed?.some((d) => d === undefined || d < 1)
  ) {
    const shape = dims?.map((d) => d.value ?? d.param ?? "?").join(", ") ?? "unknown";
    const type = input.tensorType === undefined ? "no tensor type" : dataTypeName(input.tensorType.elemType);
    throw graphError(
      `the graph input '${input.name}' is ${type} [${shape}]; convlab models take FLOAT images [N, C, H, W] with ` +
        `fixed C, H and W (export with a sample input of that shape, e.g. torch.zeros(1, 1, 28, 28))`,
    );
  }
  const [channels, height, width] = fixed as number[];
  const batch = dims[0].value;

  const read: ReadLayer[] = [];
  // The shape of one example at the current point of the chain, to check a Reshape against.
  let features: number[] = [channels, height, width];
  let value = input.name;
  graph.node.forEach((node, index) => {
    const label = `node ${index} (${node.opType}${node.name !== "" ? ` '${node.name}'` : ""})`;
    const fail = (problem: string, code: "UnsupportedOp" | "UnsupportedGraph" = "UnsupportedOp"): never => {
      throw new OnnxError(code, where, `${where}: ${label} ${problem}`);
    };
    if (node.domain !== "" && node.domain !== "ai.onnx") {
      fail(`is from the operator set '${node.domain}'; convlab reads the standard ONNX operators: ${SUPPORTED}`);
    }
    if (node.opType === "Constant") {
      constants.set(node.output[0], constantOf(node, fail));
      return;
    }
    // Add is the one operator whose chain value may come second: torch writes a Linear's bias as Add(bias, x).
    const dataAt = node.opType === "Add" ? Math.max(0, node.input.indexOf(value)) : 0;
    if (node.input[dataAt] !== value) {
      fail(
        `takes '${node.input[dataAt]}', but the chain of layers is at '${value}'; convlab models are one chain of ` +
          `layers: ${SUPPORTED}`,
        "UnsupportedGraph",
      );
    }
    const weight = (at: number, what: string): { name: string; tensor: OnnxTensor } => {
      const name = node.input[at];
      const tensor = name === undefined || name === "" ? undefined : constants.get(name);
      if (tensor === undefined) {
        fail(
          name === undefined || name === ""
            ? `has no ${what}`
            : `takes its ${what} from '${name}', which is not an initializer or a Constant; convlab reads ` +
                `layers whose weights are stored in the file`,
          "UnsupportedGraph",
        );
      }
      return { name, tensor: tensor as OnnxTensor };
    };
    const floats = (t: OnnxTensor, what: string) => floatTensorData(t, where, `${label}'s ${what} '${t.name}'`);
    const optionalBias = (at: number, out: number): Tensor | undefined => {
      if (node.input[at] === undefined || node.input[at] === "") return undefined;
      const b = weight(at, "bias").tensor;
      if (numel(b.dims) !== out || b.dims.filter((d) => d !== 1).length > 1) {
        fail(`has a bias of shape [${b.dims.join(", ")}]; expected [${out}], one value per output`);
      }
      return new Tensor(floats(b, "bias"), [out]);
    };

    switch (node.opType) {
      case "Conv": {
        const attrs = attributesOf(
          node,
          { auto_pad: "string", dilations: "ints", group: "int", kernel_shape: "ints", pads: "ints", strides: "ints" },
          fail,
        );
        const w = weight(1, "weight");
        if (w.tensor.dims.length !== 4) {
          fail(`has a weight of shape [${w.tensor.dims.join(", ")}]; convlab's Conv2d takes [C_out, C_in, kH, kW]`);
        }
        const [out, inC, kh, kw] = w.tensor.dims;
        const group = attrs.int("group") ?? 1;
        if (group !== 1)
          fail(`has group ${group}; convlab's Conv2d supports group 1 only (no grouped or depthwise convolution)`);
        const kernelShape = attrs.ints("kernel_shape") ?? [kh, kw];
        if (kernelShape.join() !== [kh, kw].join()) {
          fail(`has kernel_shape [${kernelShape.join(", ")}] but a weight of shape [${w.tensor.dims.join(", ")}]`);
        }
        const win = windowOf(attrs, kernelShape, fail);
        const bias = optionalBias(2, out);
        read.push({
          layer: {
            type: "Conv2d",
            in_channels: inC,
            out_channels: out,
            kernel_size: size(win.kernel),
            stride: size(win.stride),
            padding: size(win.padding),
            ...(bias === undefined ? { bias: false } : {}),
          },
          weight: new Tensor(floats(w.tensor, "weight"), w.tensor.dims),
          bias,
          weightName: w.name,
          biasName: bias === undefined ? undefined : node.input[2],
        });
        features = [out, slide(features[1], win, 0), slide(features[2], win, 1)];
        break;
      }
      case "Relu":
        attributesOf(node, {}, fail);
        read.push({ layer: { type: "ReLU" } });
        break;
      case "MaxPool": {
        const attrs = attributesOf(
          node,
          {
            auto_pad: "string",
            ceil_mode: "int",
            dilations: "ints",
            kernel_shape: "ints",
            pads: "ints",
            storage_order: "int",
            strides: "ints",
          },
          fail,
        );
        if ((attrs.int("ceil_mode") ?? 0) !== 0) {
          fail(
            `has ceil_mode 1 (PyTorch's ceil_mode=True); convlab's MaxPool2d uses floor mode, ⌊(H + 2P − F)/S⌋ + 1, ` +
              `PyTorch's default`,
          );
        }
        if ((attrs.int("storage_order") ?? 0) !== 0) fail(`has storage_order 1; convlab reads row-major (0) only`);
        const win = windowOf(attrs, attrs.ints("kernel_shape"), fail);
        read.push({
          layer: {
            type: "MaxPool2d",
            kernel_size: size(win.kernel),
            stride: size(win.stride),
            ...(win.padding.some((p) => p !== 0) ? { padding: size(win.padding) } : {}),
          },
        });
        features = [features[0], slide(features[1], win, 0), slide(features[2], win, 1)];
        break;
      }
      case "Flatten": {
        const attrs = attributesOf(node, { axis: "int" }, fail);
        const rank = features.length + 1;
        const axis = attrs.int("axis") ?? 1;
        if (axis !== 1 && axis !== 1 - rank) {
          fail(`has axis ${axis}; convlab's Flatten keeps the batch dimension and flattens the rest (axis 1)`);
        }
        read.push({ layer: { type: "Flatten" } });
        features = [numel(features)];
        break;
      }
      case "Reshape": {
        const attrs = attributesOf(node, { allowzero: "int" }, fail);
        const shape = intTensorData(weight(1, "shape").tensor, where, `${label}'s shape`);
        const n = numel(features);
        const allowzero = (attrs.int("allowzero") ?? 0) !== 0;
        const [first, second] = shape;
        const keepsBatch = first === -1 || (first === 0 && !allowzero) || (batch !== undefined && first === batch);
        const flattens = second === n || (second === -1 && first !== -1);
        if (shape.length !== 2 || !keepsBatch || !flattens) {
          fail(
            `reshapes [N, ${features.join(", ")}] to [${shape.join(", ")}]; convlab reads a Reshape only as a flatten ` +
              `to [N, ${n}] (shape [-1, ${n}], as x.view(-1, ${n}) exports, or [0, -1])`,
          );
        }
        read.push({ layer: { type: "Flatten" } });
        features = [n];
        break;
      }
      case "Gemm": {
        const attrs = attributesOf(node, { alpha: "float", beta: "float", transA: "int", transB: "int" }, fail);
        for (const name of ["alpha", "beta"]) {
          const v = attrs.float(name) ?? 1;
          if (v !== 1) fail(`has ${name} ${v}; convlab's Linear computes x·Wᵀ + b, so alpha and beta must be 1`);
        }
        if ((attrs.int("transA") ?? 0) !== 0) fail(`has transA 1; convlab's Linear takes its input as [N, in]`);
        const transB = attrs.int("transB") ?? 0;
        const w = weight(1, "weight");
        if (w.tensor.dims.length !== 2) fail(`has a weight of shape [${w.tensor.dims.join(", ")}]; expected a matrix`);
        // transB 1 (torch's nn.Linear): B is W, [out, in]. transB 0: B is Wᵀ, [in, out].
        const [out, inF] = transB !== 0 ? w.tensor.dims : [w.tensor.dims[1], w.tensor.dims[0]];
        const data = floats(w.tensor, "weight");
        const bias = optionalBias(2, out);
        read.push({
          layer: {
            type: "Linear",
            in_features: inF,
            out_features: out,
            ...(bias === undefined ? { bias: false } : {}),
          },
          weight: new Tensor(transB !== 0 ? data : transpose(data, inF, out), [out, inF]),
          bias,
          weightName: w.name,
          biasName: bias === undefined ? undefined : node.input[2],
        });
        features = [out];
        break;
      }
      case "MatMul": {
        attributesOf(node, {}, fail);
        const w = weight(1, "weight");
        if (w.tensor.dims.length !== 2) fail(`has a weight of shape [${w.tensor.dims.join(", ")}]; expected a matrix`);
        const [inF, out] = w.tensor.dims;
        read.push({
          layer: { type: "Linear", in_features: inF, out_features: out, bias: false },
          weight: new Tensor(transpose(floats(w.tensor, "weight"), inF, out), [out, inF]),
          weightName: w.name,
          fromMatMul: true,
        });
        features = [out];
        break;
      }
      case "Add": {
        attributesOf(node, {}, fail);
        const last = read[read.length - 1];
        if (last?.fromMatMul !== true || last.bias !== undefined || last.layer.type !== "Linear") {
          fail(
            `is not the bias of a MatMul; convlab reads Add only there (MatMul + Add, as torch exports nn.Linear on 3-D inputs)`,
          );
        }
        const linear = last.layer as LinearSpec;
        last.bias = optionalBias(1 - dataAt, linear.out_features);
        last.biasName = node.input[1 - dataAt];
        delete linear.bias;
        break;
      }
      case "Shape":
      case "Gather":
      case "Unsqueeze":
      case "Concat":
        fail(
          `computes a shape at run time, which convlab does not follow; write x.flatten(1) or x.view(-1, N) in ` +
            `forward so that the exporter writes Flatten or a Reshape to a constant shape. convlab supports: ${SUPPORTED}`,
        );
        break;
      default:
        fail(`is not an operator convlab supports; it supports ${SUPPORTED}`);
    }
    // Checked after the operator, so that an unsupported one is named as such first (MaxPool may ask for Indices).
    if (node.output.filter((o) => o !== "").length !== 1) {
      fail(`has ${node.output.length} outputs; convlab reads ${node.opType} with one`);
    }
    value = node.output[0];
  });
  if (value !== graph.output[0].name) {
    throw graphError(
      `the chain of layers ends at '${value}', but the graph's output is '${graph.output[0].name}'; convlab models ` +
        `are one chain of layers from the input to the output: ${SUPPORTED}`,
    );
  }
  if (read.length === 0) throw graphError(`the graph has no layers`);

  const derived = specOf(read, [channels, height, width], stem(where));
  let spec = checkedSpec(derived.spec, where);
  let specFromMetadata = false;
  const stored = onnx.metadataProps.find((p) => p.key === SPEC_METADATA_KEY)?.value;
  if (stored !== undefined) {
    // The graph is the truth: the stored spec only restores what the graph cannot say (names, reuse), so it is used
    // only when it describes the same layers.
    try {
      const candidate = validateSpec(JSON.parse(stored) as unknown, `${where} (metadata '${SPEC_METADATA_KEY}')`);
      if (sameLayers(candidate, spec)) {
        spec = candidate;
        specFromMetadata = true;
      }
    } catch {
      // A stored spec that does not parse is ignored: the graph alone says what the model computes.
    }
  }
  const producer = `${onnx.producerName} ${onnx.producerVersion}`.trim();
  return {
    spec,
    tensors: derived.tensors,
    opset,
    producer,
    inputName: input.name,
    outputName: graph.output[0].name,
    specFromMetadata,
  };
}

/** ⌊(size + 2P − F)/S⌋ + 1 along one side of a window, for following the shapes through the graph. */
function slide(sizeIn: number, win: { kernel: number[]; stride: number[]; padding: number[] }, side: 0 | 1): number {
  return Math.floor((sizeIn + 2 * win.padding[side] - win.kernel[side]) / win.stride[side]) + 1;
}

/** The version of the standard operator set the model imports; files older than opset 7 used other attributes. */
function standardOpset(onnx: OnnxModel, where: string): number {
  const opset = onnx.opsetImport.find((o) => o.domain === "" || o.domain === "ai.onnx");
  if (opset === undefined || opset.version < 7) {
    throw new OnnxError(
      "UnsupportedOp",
      where,
      `${where}: the model imports ${opset === undefined ? "no standard operator set" : `operator set ${opset.version}`}` +
        `; convlab reads opset 7 and later (export with torch.onnx.export(…, opset_version=13))`,
    );
  }
  return opset.version;
}

/** The tensor a Constant node produces. */
function constantOf(node: OnnxNode, fail: (problem: string) => never): OnnxTensor {
  const a = node.attribute[0];
  if (node.attribute.length !== 1) fail(`has ${node.attribute.length} attributes; a Constant has one value`);
  const tensor = (dims: number[], dataType: number, values: number[]): OnnxTensor => ({
    dims,
    dataType,
    name: node.output[0],
    floatData: dataType === DataType.FLOAT ? values : [],
    int32Data: [],
    int64Data: dataType === DataType.INT64 ? values : [],
    doubleData: [],
    dataLocation: 0,
    externalData: [],
    docString: "",
  });
  switch (a.name) {
    case "value":
      if (a.t === undefined) fail(`has no tensor in its 'value'`);
      return a.t as OnnxTensor;
    case "value_ints":
      return tensor([a.ints.length], DataType.INT64, a.ints);
    case "value_int":
      return tensor([], DataType.INT64, [a.i ?? 0]);
    case "value_floats":
      return tensor([a.floats.length], DataType.FLOAT, a.floats);
    case "value_float":
      return tensor([], DataType.FLOAT, [a.f ?? 0]);
    default:
      return fail(`holds its value as '${a.name}'; convlab reads value, value_int(s) and value_float(s)`);
  }
}

/**
 * The spec and state dict of the layers read: each layer with weights is named after its weight's initializer when
 * that is `<identifier>.weight`, else conv1, conv2, … / fc1, fc2, … in order (and `0.weight`, an unnamed layer's key,
 * stays unnamed when it is still at index 0). A node on the same initializers as an earlier one, with the same
 * hyperparameters, is that layer run again: `{"use": …}`, as convlab exports a reused layer.
 */
function specOf(
  read: ReadLayer[],
  input: [number, number, number],
  name: string,
): { spec: ModelSpec; tensors: Record<string, Tensor> } {
  // Which earlier layer each one repeats, if any.
  const first = new Map<string, number>();
  const reuseOf = read.map((r, index) => {
    if (r.weight === undefined) return undefined;
    const id = JSON.stringify([r.weightName, r.biasName, r.layer]);
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, index);
    return earlier;
  });
  const reused = new Set(reuseOf.filter((i) => i !== undefined));

  const used = new Set<string>();
  const counts = { conv: 0, fc: 0 };
  const keys = new Map<number, { key: string; named: boolean }>();
  read.forEach((r, index) => {
    if (r.weight === undefined || reuseOf[index] !== undefined) return;
    const kind = r.layer.type === "Conv2d" ? "conv" : "fc";
    counts[kind]++;
    const prefix = r.weightName?.endsWith(".weight") ? r.weightName.slice(0, -".weight".length) : undefined;
    let key: string;
    let named = true;
    if (prefix !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix) && !used.has(prefix)) {
      key = prefix;
    } else if (prefix === String(index) && !reused.has(index)) {
      // An unnamed layer's key is its index; a layer run again needs a name for its `use`.
      key = prefix;
      named = false;
    } else {
      let n = counts[kind];
      while (used.has(`${kind}${n}`)) n++;
      key = `${kind}${n}`;
    }
    used.add(key);
    keys.set(index, { key, named });
  });

  const tensors: Record<string, Tensor> = {};
  const layers = read.map((r, index): LayerSpec => {
    const again = reuseOf[index];
    if (again !== undefined) return { use: keys.get(again)!.key };
    const k = keys.get(index);
    if (r.weight === undefined || k === undefined) return r.layer;
    tensors[`${k.key}.weight`] = r.weight;
    if (r.bias !== undefined) tensors[`${k.key}.bias`] = r.bias;
    return k.named ? { name: k.key, ...r.layer } : r.layer;
  });
  return { spec: { name, input, layers }, tensors };
}

/** Validates and traces a spec read from a graph; its problems become OnnxErrors naming the file. */
function checkedSpec(spec: ModelSpec, where: string): ModelSpec {
  try {
    const valid = validateSpec(spec, `${where} (the model read from its graph)`);
    traceSpec(valid);
    return valid;
  } catch (error) {
    throw new OnnxError(
      "UnsupportedGraph",
      where,
      `${where}: the layers read from the graph do not make a convlab model: ${(error as Error).message}`,
    );
  }
}

/**
 * An ONNX model loaded as a convlab model, as {@link modelFromWeights} loads a safetensors file: the model `asked` for
 * (the --arch flag), else a preset when the graph is one (the tutorial's model exported by PyTorch is `seed`), else
 * the spec read from the graph; checked to take MNIST images and give 10 class scores, then given the file's weights.
 * Errors name `where` (the file) and say what to do.
 */
export function modelFromOnnx(
  bytes: Uint8Array,
  where: string,
  asked?: ModelChoice,
): { choice: ModelChoice; model: SpecModel; imported: OnnxImport } {
  const imported = importOnnx(bytes, where);
  const preset = ARCHS.find((arch) => sameLayers(presetSpec(arch), imported.spec));
  const choice =
    asked ?? (preset !== undefined ? presetChoice(preset) : fromSpec(imported.spec, imported.spec.name ?? stem(where)));
  try {
    checkMnist(choice);
  } catch (error) {
    // checkMnist names the spec; a model read from the file is better named by the file.
    if (asked !== undefined) throw error;
    throw new ConvlabError("E_MODEL_NOT_MNIST", `${where}: ${(error as Error).message.replace(/^[^:]*: /, "")}`, {
      cause: error,
    });
  }
  const model = new SpecModel(choice.spec);
  try {
    model.loadStateDict(imported.tensors);
  } catch (error) {
    const fix =
      asked !== undefined
        ? "leave --arch out: the model is read from the ONNX graph itself"
        : "the graph's layers and weights disagree; export the model again";
    throw new ConvlabError(
      "E_WEIGHTS_MISMATCH",
      `${where}: does not fit the '${choice.arch}' model. ${(error as Error).message}\n` +
        `The file holds: ${Object.entries(imported.tensors)
          .map(([k, t]) => `${k} ${shapeToString(t.shape)}`)
          .join(", ")}\nFix: ${fix}`,
      { cause: error },
    );
  }
  return { choice, model, imported };
}
