/**
 * The few ONNX protobuf messages convlab writes and reads: a model, its graph, nodes, attributes, tensors and the
 * input/output types. The field numbers and enums are onnx/onnx.proto's (checked against it; they never change once
 * published, which is protobuf's compatibility rule):
 *
 *   ModelProto          1 ir_version · 2 producer_name · 3 producer_version · 4 domain · 5 model_version
 *                       6 doc_string · 7 graph · 8 opset_import · 14 metadata_props
 *   OperatorSetIdProto  1 domain · 2 version
 *   StringStringEntry   1 key · 2 value
 *   GraphProto          1 node · 2 name · 5 initializer · 10 doc_string · 11 input · 12 output · 13 value_info
 *   NodeProto           1 input · 2 output · 3 name · 4 op_type · 5 attribute · 6 doc_string · 7 domain
 *   AttributeProto      1 name · 2 f · 3 i · 4 s · 5 t · 7 floats · 8 ints · 9 strings · 10 tensors · 13 doc_string
 *                       20 type (AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7,
 *                       STRINGS 8, TENSORS 9, GRAPHS 10, SPARSE_TENSOR 11, SPARSE_TENSORS 12)
 *   TensorProto         1 dims · 2 data_type · 4 float_data · 5 int32_data · 7 int64_data · 8 name · 9 raw_data
 *                       10 double_data · 12 doc_string · 13 external_data · 14 data_location (DEFAULT 0, EXTERNAL 1)
 *   ValueInfoProto      1 name · 2 type · 3 doc_string
 *   TypeProto           1 tensor_type (TypeProto.Tensor: 1 elem_type · 2 shape)
 *   TensorShapeProto    1 dim (Dimension: 1 dim_value · 2 dim_param)
 *
 * Fields outside this list (sub-graphs, sparse tensors, training info…) are skipped when read, as protobuf readers
 * skip unknown fields; convlab's models need none of them.
 *
 * Why the `pbf` library and not the generated onnx-proto / protobufjs code: pbf is a small, maintained reader and
 * writer of the protobuf wire format (varints, length-delimited fields, packed arrays), and the schema of the few
 * messages above is written here by hand. A generated binding of all of onnx.proto would be many times bigger, and
 * this encoder must also run in the browser lab, where every kilobyte is downloaded.
 *
 * This module must not import Node's built-ins: it runs in the browser too (file access lives in src/node).
 */
import { PbfReader, PbfWriter } from "pbf";
import { ConvlabError } from "../errors.js";
import { halfToNumber } from "./half.js";

/** TensorProto.DataType, the element types convlab knows by name (onnx.proto's numbers). */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
} as const;

/** AttributeProto.AttributeType. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
} as const;

/** A name for a DataType number, for messages: `FLOAT`, or `type 42` for one onnx.proto does not list. */
export function dataTypeName(type: number): string {
  return Object.entries(DataType).find(([, n]) => n === type)?.[0] ?? `type ${type}`;
}

/** ModelProto: the file. */
export interface OnnxModel {
  irVersion: number;
  opsetImport: OnnxOpset[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graph: OnnxGraph;
  /** Named strings, such as convlab's spec; keys should be distinct. */
  metadataProps: { key: string; value: string }[];
}

/** OperatorSetIdProto: a domain ("" is the standard ONNX operators) at a version. */
export interface OnnxOpset {
  domain: string;
  version: number;
}

/** GraphProto: nodes in topological order, the weights (initializers), and the typed inputs and outputs. */
export interface OnnxGraph {
  node: OnnxNode[];
  name: string;
  initializer: OnnxTensor[];
  docString: string;
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

/** NodeProto: one operator call; values are connected by name. */
export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: OnnxAttribute[];
  docString: string;
}

/** AttributeProto, with the value fields convlab uses (`type` says which one holds the value). */
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  tensors: OnnxTensor[];
}

/**
 * TensorProto. The elements are in exactly one of the typed lists or `rawData` (fixed-width little-endian, row-major);
 * `dataLocation` 1 (EXTERNAL) means they are in another file, named by `externalData`.
 */
export interface OnnxTensor {
  dims: number[];
  dataType: number;
  name: string;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  rawData?: Uint8Array;
  dataLocation: number;
  externalData: { key: string; value: string }[];
  docString: string;
}

/** ValueInfoProto: a named value and, for graph inputs and outputs, its tensor type. */
export interface OnnxValueInfo {
  name: string;
  /** TypeProto.tensor_type; undefined when the value has no type or another kind (sequence, map). */
  tensorType?: { elemType: number; shape?: OnnxDim[] };
  docString: string;
}

/** TensorShapeProto.Dimension: a fixed size, a named symbolic one (`batch`), or neither (unknown). */
export interface OnnxDim {
  value?: number;
  param?: string;
}

/** Which check failed, in words; each has a stable {@link OnnxErrorCode} (see {@link ONNX_CODES}). */
export type OnnxErrorReason =
  /** The bytes are not a protobuf message of the expected shape: not an ONNX file, or corrupt. */
  | "NotOnnx"
  /** A field runs past the end of the file: the file was cut short. */
  | "Truncated"
  /** A node's operator, or an attribute value, that convlab's layers cannot express. */
  | "UnsupportedOp"
  /** A tensor of a type or storage convlab cannot read. */
  | "UnsupportedTensor"
  /** A graph that is not one chain from the input to the output, or that lacks something it refers to. */
  | "UnsupportedGraph"
  | "FileNotFound";

/** The stable `code` of each {@link OnnxErrorReason}. */
export const ONNX_CODES = {
  NotOnnx: "E_ONNX_INVALID",
  Truncated: "E_ONNX_TRUNCATED",
  UnsupportedOp: "E_ONNX_UNSUPPORTED_OP",
  UnsupportedTensor: "E_ONNX_UNSUPPORTED_TENSOR",
  UnsupportedGraph: "E_ONNX_UNSUPPORTED_GRAPH",
  FileNotFound: "E_ONNX_FILE_NOT_FOUND",
} as const satisfies Record<OnnxErrorReason, string>;

/** A stable code of {@link OnnxError}, such as `E_ONNX_TRUNCATED`. */
export type OnnxErrorCode = (typeof ONNX_CODES)[OnnxErrorReason];

/**
 * An ONNX file that cannot be read, or a graph convlab cannot turn into a model. The message names the source (the
 * file), what is wrong and what to do; `code` (stable), `reason`, and `source` carry the same for programs and tests.
 */
export class OnnxError extends ConvlabError {
  declare readonly code: OnnxErrorCode;

  constructor(
    readonly reason: OnnxErrorReason,
    readonly source: string,
    message: string,
  ) {
    super(ONNX_CODES[reason], message);
  }
}

// The wire types of protobuf: how a field's value is laid out after its tag.
const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

// ---------------------------------------------------------------------------------------------------------------
// Writing. Fields go out in field-number order, as protobuf's own serializers write them. Repeated int64 fields are
// written unpacked, as onnx.proto (proto2, no [packed = true] on them) says; float_data is packed, as it says.
// ---------------------------------------------------------------------------------------------------------------

/** Serializes a ModelProto: the bytes of a `.onnx` file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const pbf = new PbfWriter();
  pbf.writeVarintField(1, model.irVersion);
  writeString(pbf, 2, model.producerName);
  writeString(pbf, 3, model.producerVersion);
  writeString(pbf, 4, model.domain);
  if (model.modelVersion !== 0) pbf.writeVarintField(5, model.modelVersion);
  writeString(pbf, 6, model.docString);
  pbf.writeMessage(7, writeGraph, model.graph);
  for (const opset of model.opsetImport) pbf.writeMessage(8, writeOpset, opset);
  for (const entry of model.metadataProps) pbf.writeMessage(14, writeEntry, entry);
  // finish() returns a view of pbf's growing buffer; a copy of the exact length is what callers expect to own.
  return pbf.finish().slice();
}

function writeString(pbf: PbfWriter, tag: number, value: string): void {
  if (value !== "") pbf.writeStringField(tag, value);
}

function writeOpset(opset: OnnxOpset, pbf: PbfWriter): void {
  writeString(pbf, 1, opset.domain);
  pbf.writeVarintField(2, opset.version);
}

function writeEntry(entry: { key: string; value: string }, pbf: PbfWriter): void {
  pbf.writeStringField(1, entry.key);
  pbf.writeStringField(2, entry.value);
}

function writeGraph(graph: OnnxGraph, pbf: PbfWriter): void {
  for (const node of graph.node) pbf.writeMessage(1, writeNode, node);
  writeString(pbf, 2, graph.name);
  for (const tensor of graph.initializer) pbf.writeMessage(5, writeTensor, tensor);
  writeString(pbf, 10, graph.docString);
  for (const value of graph.input) pbf.writeMessage(11, writeValueInfo, value);
  for (const value of graph.output) pbf.writeMessage(12, writeValueInfo, value);
  for (const value of graph.valueInfo) pbf.writeMessage(13, writeValueInfo, value);
}

function writeNode(node: OnnxNode, pbf: PbfWriter): void {
  for (const name of node.input) pbf.writeStringField(1, name);
  for (const name of node.output) pbf.writeStringField(2, name);
  writeString(pbf, 3, node.name);
  pbf.writeStringField(4, node.opType);
  for (const attribute of node.attribute) pbf.writeMessage(5, writeAttribute, attribute);
  writeString(pbf, 6, node.docString);
  writeString(pbf, 7, node.domain);
}

function writeAttribute(a: OnnxAttribute, pbf: PbfWriter): void {
  pbf.writeStringField(1, a.name);
  if (a.f !== undefined) pbf.writeFloatField(2, a.f);
  if (a.i !== undefined) pbf.writeVarintField(3, a.i);
  if (a.s !== undefined) pbf.writeBytesField(4, a.s);
  if (a.t !== undefined) pbf.writeMessage(5, writeTensor, a.t);
  for (const f of a.floats) pbf.writeFloatField(7, f);
  for (const i of a.ints) pbf.writeVarintField(8, i);
  for (const s of a.strings) pbf.writeBytesField(9, s);
  for (const t of a.tensors) pbf.writeMessage(10, writeTensor, t);
  pbf.writeVarintField(20, a.type);
}

function writeTensor(t: OnnxTensor, pbf: PbfWriter): void {
  for (const d of t.dims) pbf.writeVarintField(1, d);
  pbf.writeVarintField(2, t.dataType);
  if (t.floatData.length > 0) pbf.writePackedFloat(4, t.floatData);
  if (t.int32Data.length > 0) pbf.writePackedVarint(5, t.int32Data);
  if (t.int64Data.length > 0) pbf.writePackedVarint(7, t.int64Data);
  writeString(pbf, 8, t.name);
  if (t.rawData !== undefined) pbf.writeBytesField(9, t.rawData);
  if (t.doubleData.length > 0) pbf.writePackedDouble(10, t.doubleData);
  writeString(pbf, 12, t.docString);
}

function writeValueInfo(v: OnnxValueInfo, pbf: PbfWriter): void {
  pbf.writeStringField(1, v.name);
  if (v.tensorType !== undefined) pbf.writeMessage(2, writeType, v.tensorType);
  writeString(pbf, 3, v.docString);
}

function writeType(type: NonNullable<OnnxValueInfo["tensorType"]>, pbf: PbfWriter): void {
  pbf.writeMessage(1, writeTensorType, type);
}

function writeTensorType(type: NonNullable<OnnxValueInfo["tensorType"]>, pbf: PbfWriter): void {
  pbf.writeVarintField(1, type.elemType);
  if (type.shape !== undefined) pbf.writeMessage(2, writeShape, type.shape);
}

function writeShape(dims: OnnxDim[], pbf: PbfWriter): void {
  for (const dim of dims) pbf.writeMessage(1, writeDim, dim);
}

function writeDim(dim: OnnxDim, pbf: PbfWriter): void {
  if (dim.value !== undefined) pbf.writeVarintField(1, dim.value);
  else if (dim.param !== undefined) pbf.writeStringField(2, dim.param);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading. pbf trusts its input, so each length is checked against the bytes left before it is followed, and each
// field's wire type against the schema: a truncated or foreign file is then an OnnxError naming it, not a garbage
// model or an endless loop.
// ---------------------------------------------------------------------------------------------------------------

/** What a reader of one message does with each field: `read(tag)` consumes it, or returns false to skip it. */
type FieldReader = (tag: number) => boolean;

/** The reading state: pbf's reader, the source for messages, and the message being read (for errors). */
class Reader {
  readonly pbf: PbfReader;
  readonly #source: string;
  #path: string[] = [];

  constructor(bytes: Uint8Array, source: string) {
    this.pbf = new PbfReader(bytes);
    this.#source = source;
  }

  fail(code: "NotOnnx" | "Truncated", problem: string): never {
    const at = this.#path.length > 0 ? ` in ${this.#path.join(" > ")}` : "";
    const fix =
      code === "Truncated"
        ? "the file was cut short: copy or export it again"
        : "the file is corrupt or is not an ONNX model (export one with torch.onnx.export or convlab export)";
    throw new OnnxError(code, this.#source, `${this.#source}: ${problem}${at} (byte ${this.pbf.pos}); ${fix}`);
  }

  /** Reads fields up to `end`, giving each to `read`; skips those it does not take. */
  fields(name: string, end: number, read: FieldReader): void {
    this.#path.push(name);
    const pbf = this.pbf;
    while (pbf.pos < end) {
      const key = this.varint();
      const tag = Math.floor(key / 8);
      pbf.type = key & 7;
      if (tag === 0) this.fail("NotOnnx", "found field number 0, which protobuf does not allow");
      if (!read(tag)) this.skip();
      if (pbf.pos > end) this.fail("Truncated", `field ${tag} runs past the end of its message`);
    }
    this.#path.pop();
  }

  /** A length-delimited field's end, checked to lie within the bytes. */
  lengthEnd(): number {
    const length = this.varint();
    if (length < 0) this.fail("NotOnnx", `a field says it holds ${length} bytes`);
    const end = this.pbf.pos + length;
    if (end > this.pbf.length) {
      this.fail(
        "Truncated",
        `a field says it holds ${length} bytes, but only ${this.pbf.length - this.pbf.pos} are left`,
      );
    }
    return end;
  }

  /** A varint, checked first to end within the bytes and within 10 of them (pbf reads on past the end). */
  varint(): number {
    const pbf = this.pbf;
    let last = pbf.pos;
    while (last < pbf.length && last - pbf.pos < 10 && pbf.buf[last] >= 0x80) last++;
    if (last - pbf.pos === 10) this.fail("NotOnnx", "found a number longer than 10 bytes");
    if (last >= pbf.length) this.fail("Truncated", "a number runs past the end of the file");
    // int64 fields are read signed, so -1 comes back as -1 rather than 2^64 − 1.
    return pbf.readVarint(true);
  }

  expect(wire: number, what: string): void {
    if (this.pbf.type !== wire) {
      this.fail("NotOnnx", `${what} has wire type ${this.pbf.type}, expected ${wire}`);
    }
  }

  skip(): void {
    const pbf = this.pbf;
    switch (pbf.type) {
      case VARINT:
        this.varint();
        return;
      case BYTES:
        pbf.pos = this.lengthEnd();
        return;
      case FIXED32:
        this.advance(4);
        return;
      case FIXED64:
        this.advance(8);
        return;
      default:
        // 3 and 4 are proto2 groups, which onnx.proto never uses; 6 and 7 do not exist.
        this.fail("NotOnnx", `found wire type ${pbf.type}, which ONNX files never contain`);
    }
  }

  advance(bytes: number): void {
    if (this.pbf.pos + bytes > this.pbf.length) this.fail("Truncated", "a fixed-size number runs past the end");
    this.pbf.pos += bytes;
  }

  message<T>(name: string, result: T, read: (r: Reader, result: T, tag: number) => boolean): T {
    this.expect(BYTES, name);
    const end = this.lengthEnd();
    this.fields(name, end, (tag) => read(this, result, tag));
    return result;
  }

  string(what: string): string {
    this.expect(BYTES, what);
    const end = this.lengthEnd();
    const text = new TextDecoder().decode(this.pbf.buf.subarray(this.pbf.pos, end));
    this.pbf.pos = end;
    return text;
  }

  bytes(what: string): Uint8Array {
    this.expect(BYTES, what);
    const end = this.lengthEnd();
    const bytes = this.pbf.buf.subarray(this.pbf.pos, end);
    this.pbf.pos = end;
    return bytes;
  }

  int(what: string): number {
    this.expect(VARINT, what);
    return this.varint();
  }

  float(what: string): number {
    this.expect(FIXED32, what);
    this.advance(4);
    return this.pbf.dataView.getFloat32(this.pbf.pos - 4, true);
  }

  /** A repeated scalar, packed (one length-delimited run) or not (one field per value): readers must take both. */
  repeated(into: number[], wire: number, what: string, read: () => number): void {
    if (this.pbf.type === BYTES && wire !== BYTES) {
      const end = this.lengthEnd();
      while (this.pbf.pos < end) into.push(read());
      if (this.pbf.pos !== end) this.fail("NotOnnx", `the packed ${what} do not end where their length says`);
      return;
    }
    this.expect(wire, what);
    into.push(read());
  }

  ints(into: number[], what: string): void {
    this.repeated(into, VARINT, what, () => this.varint());
  }

  floats(into: number[], what: string): void {
    this.repeated(into, FIXED32, what, () => {
      this.advance(4);
      return this.pbf.dataView.getFloat32(this.pbf.pos - 4, true);
    });
  }

  doubles(into: number[], what: string): void {
    this.repeated(into, FIXED64, what, () => {
      this.advance(8);
      return this.pbf.dataView.getFloat64(this.pbf.pos - 8, true);
    });
  }
}

/**
 * Parses the bytes of a `.onnx` file (a serialized ModelProto). Throws {@link OnnxError} naming `source` when the
 * bytes are cut short ("Truncated") or are not an ONNX model ("NotOnnx"). Tensors' `rawData` are views into
 * `bytes`, so keep them unchanged while the model is in use.
 */
export function decodeOnnxModel(bytes: Uint8Array, source = "<buffer>"): OnnxModel {
  const r = new Reader(bytes, source);
  const model: Partial<OnnxModel> & { opsetImport: OnnxOpset[]; metadataProps: { key: string; value: string }[] } = {
    opsetImport: [],
    metadataProps: [],
  };
  let sawIrVersion = false;
  const readModel = (tag: number): boolean => {
    switch (tag) {
      case 1:
        model.irVersion = r.int("ir_version");
        sawIrVersion = true;
        return true;
      case 2:
        model.producerName = r.string("producer_name");
        return true;
      case 3:
        model.producerVersion = r.string("producer_version");
        return true;
      case 4:
        model.domain = r.string("domain");
        return true;
      case 5:
        model.modelVersion = r.int("model_version");
        return true;
      case 6:
        model.docString = r.string("doc_string");
        return true;
      case 7:
        model.graph = r.message("GraphProto", emptyGraph(), readGraph);
        return true;
      case 8:
        model.opsetImport.push(r.message("OperatorSetIdProto", { domain: "", version: 0 }, readOpset));
        return true;
      case 14:
        model.metadataProps.push(r.message("StringStringEntryProto", { key: "", value: "" }, readEntry));
        return true;
      default:
        return false;
    }
  };
  try {
    r.fields("ModelProto", bytes.length, readModel);
  } catch (error) {
    if (error instanceof OnnxError) throw error;
    // The checks above should leave pbf nothing to trip on; if it does, the bytes are still not a model.
    r.fail("NotOnnx", `the protobuf reader failed (${(error as Error).message})`);
  }
  if (!sawIrVersion || model.graph === undefined) {
    const missing = !sawIrVersion ? "ir_version" : "graph";
    throw new OnnxError(
      "NotOnnx",
      source,
      `${source}: not an ONNX model: the ModelProto has no ${missing}; the file is corrupt or is another format ` +
        `(export an ONNX model with torch.onnx.export or convlab export)`,
    );
  }
  return {
    irVersion: model.irVersion ?? 0,
    opsetImport: model.opsetImport,
    producerName: model.producerName ?? "",
    producerVersion: model.producerVersion ?? "",
    domain: model.domain ?? "",
    modelVersion: model.modelVersion ?? 0,
    docString: model.docString ?? "",
    graph: model.graph,
    metadataProps: model.metadataProps,
  };
}

function readOpset(r: Reader, opset: OnnxOpset, tag: number): boolean {
  if (tag === 1) opset.domain = r.string("domain");
  else if (tag === 2) opset.version = r.int("version");
  else return false;
  return true;
}

function readEntry(r: Reader, entry: { key: string; value: string }, tag: number): boolean {
  if (tag === 1) entry.key = r.string("key");
  else if (tag === 2) entry.value = r.string("value");
  else return false;
  return true;
}

function emptyGraph(): OnnxGraph {
  return { node: [], name: "", initializer: [], docString: "", input: [], output: [], valueInfo: [] };
}

function readGraph(r: Reader, graph: OnnxGraph, tag: number): boolean {
  switch (tag) {
    case 1:
      graph.node.push(r.message("NodeProto", emptyNode(), readNode));
      return true;
    case 2:
      graph.name = r.string("name");
      return true;
    case 5:
      graph.initializer.push(r.message("TensorProto", emptyTensor(), readTensor));
      return true;
    case 10:
      graph.docString = r.string("doc_string");
      return true;
    case 11:
      graph.input.push(r.message("ValueInfoProto", emptyValueInfo(), readValueInfo));
      return true;
    case 12:
      graph.output.push(r.message("ValueInfoProto", emptyValueInfo(), readValueInfo));
      return true;
    case 13:
      graph.valueInfo.push(r.message("ValueInfoProto", emptyValueInfo(), readValueInfo));
      return true;
    default:
      return false;
  }
}

function emptyNode(): OnnxNode {
  return { input: [], output: [], name: "", opType: "", domain: "", attribute: [], docString: "" };
}

function readNode(r: Reader, node: OnnxNode, tag: number): boolean {
  switch (tag) {
    case 1:
      node.input.push(r.string("input"));
      return true;
    case 2:
      node.output.push(r.string("output"));
      return true;
    case 3:
      node.name = r.string("name");
      return true;
    case 4:
      node.opType = r.string("op_type");
      return true;
    case 5:
      node.attribute.push(r.message("AttributeProto", emptyAttribute(), readAttribute));
      return true;
    case 6:
      node.docString = r.string("doc_string");
      return true;
    case 7:
      node.domain = r.string("domain");
      return true;
    default:
      return false;
  }
}

function emptyAttribute(): OnnxAttribute {
  return { name: "", type: AttributeType.UNDEFINED, floats: [], ints: [], strings: [], tensors: [] };
}

function readAttribute(r: Reader, a: OnnxAttribute, tag: number): boolean {
  switch (tag) {
    case 1:
      a.name = r.string("name");
      return true;
    case 2:
      a.f = r.float("f");
      return true;
    case 3:
      a.i = r.int("i");
      return true;
    case 4:
      a.s = r.bytes("s");
      return true;
    case 5:
      a.t = r.message("TensorProto", emptyTensor(), readTensor);
      return true;
    case 7:
      r.floats(a.floats, "floats");
      return true;
    case 8:
      r.ints(a.ints, "ints");
      return true;
    case 9:
      a.strings.push(r.bytes("strings"));
      return true;
    case 10:
      a.tensors.push(r.message("TensorProto", emptyTensor(), readTensor));
      return true;
    case 20:
      a.type = r.int("type");
      return true;
    default:
      return false;
  }
}

function emptyTensor(): OnnxTensor {
  return {
    dims: [],
    dataType: DataType.UNDEFINED,
    name: "",
    floatData: [],
    int32Data: [],
    int64Data: [],
    doubleData: [],
    dataLocation: 0,
    externalData: [],
    docString: "",
  };
}

function readTensor(r: Reader, t: OnnxTensor, tag: number): boolean {
  switch (tag) {
    case 1:
      r.ints(t.dims, "dims");
      return true;
    case 2:
      t.dataType = r.int("data_type");
      return true;
    case 4:
      r.floats(t.floatData, "float_data");
      return true;
    case 5:
      r.ints(t.int32Data, "int32_data");
      return true;
    case 7:
      r.ints(t.int64Data, "int64_data");
      return true;
    case 8:
      t.name = r.string("name");
      return true;
    case 9:
      t.rawData = r.bytes("raw_data");
      return true;
    case 10:
      r.doubles(t.doubleData, "double_data");
      return true;
    case 12:
      t.docString = r.string("doc_string");
      return true;
    case 13:
      t.externalData.push(r.message("StringStringEntryProto", { key: "", value: "" }, readEntry));
      return true;
    case 14:
      t.dataLocation = r.int("data_location");
      return true;
    default:
      return false;
  }
}

function emptyValueInfo(): OnnxValueInfo {
  return { name: "", docString: "" };
}

function readValueInfo(r: Reader, v: OnnxValueInfo, tag: number): boolean {
  switch (tag) {
    case 1:
      v.name = r.string("name");
      return true;
    case 2: {
      // TypeProto: only tensor_type (1) is read; a sequence or map type leaves tensorType undefined.
      const holder: { tensor?: NonNullable<OnnxValueInfo["tensorType"]> } = {};
      r.message("TypeProto", holder, (r2, h, t) => {
        if (t !== 1) return false;
        h.tensor = r2.message("TypeProto.Tensor", { elemType: 0 }, readTensorType);
        return true;
      });
      v.tensorType = holder.tensor;
      return true;
    }
    case 3:
      v.docString = r.string("doc_string");
      return true;
    default:
      return false;
  }
}

function readTensorType(r: Reader, type: NonNullable<OnnxValueInfo["tensorType"]>, tag: number): boolean {
  if (tag === 1) type.elemType = r.int("elem_type");
  else if (tag === 2) {
    const shape: OnnxDim[] = [];
    r.message("TensorShapeProto", shape, (r2, dims, t) => {
      if (t !== 1) return false;
      dims.push(r2.message("TensorShapeProto.Dimension", {} as OnnxDim, readDim));
      return true;
    });
    type.shape = shape;
  } else return false;
  return true;
}

function readDim(r: Reader, dim: OnnxDim, tag: number): boolean {
  if (tag === 1) dim.value = r.int("dim_value");
  else if (tag === 2) dim.param = r.string("dim_param");
  else return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Tensor data. Weights are float32; integers appear only as the shape a Reshape takes.
// ---------------------------------------------------------------------------------------------------------------

/** A FLOAT TensorProto of `data` in `raw_data`, little-endian (onnx.proto requires it whatever the host's order). */
export function float32Tensor(name: string, dims: readonly number[], data: ArrayLike<number>): OnnxTensor {
  const raw = new Uint8Array(4 * data.length);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return { ...emptyTensor(), name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw };
}

/** The number of elements `dims` describe: their product, 1 for a scalar. */
const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function tensorError(source: string, what: string, problem: string): OnnxError {
  return new OnnxError("UnsupportedTensor", source, `${source}: ${what}: ${problem}`);
}

/** The tensor's data as stored in the file, after checking that it is not elsewhere (external data). */
function checkStored(t: OnnxTensor, source: string, what: string): void {
  if (t.dataLocation === 1 || t.externalData.length > 0) {
    const location = t.externalData.find((e) => e.key === "location")?.value ?? "another file";
    throw tensorError(
      source,
      what,
      `its data is kept outside the model, in ${location}; convlab reads models whose weights are inside the file ` +
        `(torch.onnx.export does that for models under 2 GB; or save with onnx.save_model(model, path, ` +
        `save_as_external_data=False))`,
    );
  }
}

/**
 * Checks that a typed list or raw_data holds exactly the elements `dims` need, and returns how many. Runs before any
 * array is allocated, and `found` counts what the file holds, so no dims can make a reader allocate more than that.
 */
function checkCount(t: OnnxTensor, found: number, source: string, what: string): number {
  if (!t.dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new OnnxError(
      "NotOnnx",
      source,
      `${source}: ${what} has dims [${t.dims.slice(0, 8).join(", ")}${t.dims.length > 8 ? ", …" : ""}], but sizes ` +
        `are whole numbers ≥ 0; the file is corrupt`,
    );
  }
  const n = elements(t.dims);
  if (found !== n) {
    throw new OnnxError(
      "NotOnnx",
      source,
      `${source}: ${what} has dims [${t.dims.slice(0, 8).join(", ")}${t.dims.length > 8 ? ", …" : ""}] (${n} ` +
        `elements) but holds ${found}; the file is corrupt`,
    );
  }
  return n;
}

/**
 * A float tensor's elements as float32, from `raw_data` or the typed list (`float_data`, `double_data`): FLOAT is
 * read exactly; DOUBLE and FLOAT16 are converted (float16 exactly, double rounded to the nearest float32).
 * Throws {@link OnnxError} "UnsupportedTensor" for another element type or data kept in an external file.
 */
export function floatTensorData(t: OnnxTensor, source: string, what: string): Float32Array {
  checkStored(t, source, what);
  const raw = t.rawData;
  const view = raw && new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (t.dataType) {
    case DataType.FLOAT: {
      if (view === undefined) {
        checkCount(t, t.floatData.length, source, what);
        return Float32Array.from(t.floatData);
      }
      const n = checkCount(t, view.byteLength / 4, source, what);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case DataType.DOUBLE: {
      if (view === undefined) {
        checkCount(t, t.doubleData.length, source, what);
        return Float32Array.from(t.doubleData);
      }
      const n = checkCount(t, view.byteLength / 8, source, what);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case DataType.FLOAT16: {
      // float16 lives in int32_data, one value per entry, as its 16 bits (onnx.proto).
      const bits =
        view === undefined
          ? t.int32Data
          : Array.from({ length: view.byteLength / 2 }, (_, i) => view.getUint16(2 * i, true));
      checkCount(t, bits.length, source, what);
      return Float32Array.from(bits, halfToNumber);
    }
    default:
      throw tensorError(
        source,
        what,
        `its elements are ${dataTypeName(t.dataType)}, but convlab's weights are floats; export the model in ` +
          `float32 (model.float() before torch.onnx.export)`,
      );
  }
}

/** An integer tensor's elements (INT64 or INT32), from `raw_data` or the typed list, as numbers. */
export function intTensorData(t: OnnxTensor, source: string, what: string): number[] {
  checkStored(t, source, what);
  const raw = t.rawData;
  const view = raw && new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (t.dataType) {
    case DataType.INT64: {
      if (view === undefined) {
        checkCount(t, t.int64Data.length, source, what);
        return [...t.int64Data];
      }
      const n = checkCount(t, view.byteLength / 8, source, what);
      return Array.from({ length: n }, (_, i) => Number(view.getBigInt64(8 * i, true)));
    }
    case DataType.INT32: {
      if (view === undefined) {
        checkCount(t, t.int32Data.length, source, what);
        return [...t.int32Data];
      }
      const n = checkCount(t, view.byteLength / 4, source, what);
      return Array.from({ length: n }, (_, i) => view.getInt32(4 * i, true));
    }
    default:
      throw tensorError(source, what, `expected integers (INT64), found ${dataTypeName(t.dataType)}`);
  }
}

/**
 * Whether bytes look like the start of an ONNX file rather than a safetensors one: a ModelProto begins with its
 * ir_version (field 1, a varint: the byte 0x08), as every protobuf serializer writes fields in number order, while a
 * safetensors file has its JSON header's `{` at byte 8.
 */
export function looksLikeOnnx(head: Uint8Array): boolean {
  return head.length > 1 && head[0] === 0x08 && head[8] !== 0x7b;
}
