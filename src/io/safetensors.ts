/**
 * The safetensors format of HuggingFace (https://github.com/huggingface/safetensors), byte for byte as the Python
 * library's `safetensors.torch.save_file` writes it and as its Rust core validates it on `load_file`:
 *
 * - 8 bytes: N, the header length, an unsigned little-endian 64-bit integer;
 * - N bytes: a UTF-8 JSON object that begins with `{` and may be padded with spaces at the end (the writer pads it so
 *   the data starts at a multiple of 8), mapping each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
 *   plus an optional `"__metadata__"` map of strings to strings;
 * - the byte buffer: the tensors' little-endian, row-major data, back to back, with offsets relative to its start.
 *
 * This module must not import Node's built-ins: it runs in the browser too (file access lives in src/node).
 */
import { ConvlabError } from "../errors.js";
import { Tensor, numel, shapeToString, type DType } from "../tensor/tensor.js";
import { jsonDepth, preview } from "./json.js";
import { halfToNumber } from "./half.js";

/**
 * Every dtype the Rust library knows, in the order of its `Dtype` enum. `save_file` sorts tensors by this order,
 * descending (wider types first, so the data stays aligned), then by name; the index here is that rank.
 */
const DTYPE_BITS = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
} as const;

/** A dtype name of the safetensors format, such as `"F32"`. */
export type SafetensorsDType = keyof typeof DTYPE_BITS;

const DTYPE_RANK = new Map(Object.keys(DTYPE_BITS).map((name, rank) => [name, rank]));

const FILE_DTYPE: Record<DType, SafetensorsDType> = { float32: "F32", float64: "F64", int32: "I32" };

/** The Rust library's limit: a larger header is rejected as corrupt rather than allocated. */
const MAX_HEADER_SIZE = 100_000_000;

const METADATA_KEY = "__metadata__";

const CORRUPT_HINT = "the file is corrupt or was not written by safetensors";

/**
 * serde_json's recursion limit, which the Rust library's header parser inherits: a header nested deeper is refused
 * (before parsing, so it cannot overflow a stack here either). A valid header nests 3 levels.
 */
const MAX_HEADER_DEPTH = 128;

/**
 * Which check failed, by the Rust library's `SafeTensorError` variant where one exists (`HeaderTooDeep`, `FileNotFound`
 * and the dtype and tensor checks are convlab's). Each has a stable {@link SafetensorsErrorCode}: see {@link SAFETENSORS_CODES}.
 */
export type SafetensorsErrorReason = keyof typeof SAFETENSORS_CODES;

/**
 * The stable `code` of each {@link SafetensorsErrorReason}: `E_SAFETENSORS_` and the variant's name in capitals,
 * so `HeaderTooLarge` is `E_SAFETENSORS_HEADER_TOO_LARGE`.
 */
export const SAFETENSORS_CODES = {
  HeaderTooSmall: "E_SAFETENSORS_HEADER_TOO_SMALL",
  HeaderTooLarge: "E_SAFETENSORS_HEADER_TOO_LARGE",
  HeaderTooDeep: "E_SAFETENSORS_HEADER_TOO_DEEP",
  InvalidHeaderLength: "E_SAFETENSORS_INVALID_HEADER_LENGTH",
  InvalidHeader: "E_SAFETENSORS_INVALID_HEADER",
  InvalidHeaderStart: "E_SAFETENSORS_INVALID_HEADER_START",
  InvalidHeaderDeserialization: "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION",
  InvalidOffset: "E_SAFETENSORS_INVALID_OFFSET",
  TensorInvalidInfo: "E_SAFETENSORS_TENSOR_INVALID_INFO",
  ValidationOverflow: "E_SAFETENSORS_VALIDATION_OVERFLOW",
  MisalignedSlice: "E_SAFETENSORS_MISALIGNED_SLICE",
  MetadataIncompleteBuffer: "E_SAFETENSORS_METADATA_INCOMPLETE_BUFFER",
  UnsupportedDType: "E_SAFETENSORS_UNSUPPORTED_DTYPE",
  ValueOutOfRange: "E_SAFETENSORS_VALUE_OUT_OF_RANGE",
  InvalidTensors: "E_SAFETENSORS_INVALID_TENSORS",
  FileNotFound: "E_SAFETENSORS_FILE_NOT_FOUND",
} as const;

/** A stable code of {@link SafetensorsError}, such as `E_SAFETENSORS_HEADER_TOO_LARGE`. */
export type SafetensorsErrorCode = (typeof SAFETENSORS_CODES)[SafetensorsErrorReason];

/**
 * A safetensors file that cannot be read or written. The message names the source (file path), the key or field at
 * fault, what was expected, what was found and how to fix it; `code` (stable), `reason` (the Rust library's name
 * for the check), `source` and `key` carry the same for programs.
 */
export class SafetensorsError extends ConvlabError {
  declare readonly code: SafetensorsErrorCode;

  constructor(
    readonly reason: SafetensorsErrorReason,
    readonly source: string,
    /** The tensor name, metadata key or header field at fault. */
    readonly key: string,
    message: string,
  ) {
    super(SAFETENSORS_CODES[reason], message);
  }
}

/** What {@link decodeSafetensors} returns: the tensors in file order, and the `__metadata__` map (empty if absent). */
export interface SafetensorsContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** One header entry, checked for types but not yet for consistency with the others. */
interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Serializes tensors as safetensors, byte-identical to `safetensors.torch.save_file(tensors, path, metadata)`:
 * float32 as F32, float64 as F64, int32 as I32. Tensors are laid out by dtype rank descending, then by name, and
 * `__metadata__` (its keys sorted, since Rust's map has no order to copy) comes first when given.
 */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const source = "encodeSafetensors";
  const entries = Object.entries(tensors).map(([name, tensor]) => {
    if (name === METADATA_KEY) {
      throw new SafetensorsError(
        "InvalidTensors",
        source,
        name,
        `${source}: a tensor may not be named '${METADATA_KEY}', which the format reserves for the metadata map; rename it`,
      );
    }
    if (!(tensor instanceof Tensor)) {
      throw new SafetensorsError(
        "InvalidTensors",
        source,
        name,
        `${source}: '${name}' should be a Tensor, found ${describe(tensor)}; pass a map of names to tensors`,
      );
    }
    return { name, tensor, dtype: FILE_DTYPE[tensor.dtype] };
  });
  entries.sort((a, b) => rank(b.dtype) - rank(a.dtype) || compareCodePoints(a.name, b.name));

  // The JSON is assembled by hand: a JS object would move integer-like names ("0") ahead of the others.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${encodeMetadata(metadata, source)}`);
  let offset = 0;
  for (const { name, tensor, dtype } of entries) {
    const end = offset + tensor.data.byteLength;
    const info = { dtype, shape: tensor.shape, data_offsets: [offset, end] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  // Space padding to a multiple of 8 puts the data at an 8-aligned file offset, so readers can map it in place.
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_HEADER_SIZE) {
    throw new SafetensorsError(
      "HeaderTooLarge",
      source,
      "header",
      `${source}: the header would be ${headerLength} bytes, over the ${MAX_HEADER_SIZE}-byte limit that safetensors ` +
        `readers enforce; save fewer tensors per file`,
    );
  }

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { tensor } of entries) {
    writeLittleEndian(view, at, tensor);
    at += tensor.data.byteLength;
  }
  return out;
}

/**
 * Parses a safetensors file, with every check the Rust library makes, and converts its tensors: F32, F64 and I32
 * keep their type; F16 and BF16 become float32; I64 becomes int32 when every value fits. Other dtypes are refused.
 * `source` names the file in error messages. The tensors own copies of their data, not views of `bytes`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = "<buffer>"): SafetensorsContent {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = readHeaderLength(view, source);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), source);

  const metadata = readMetadata(header[METADATA_KEY], source);
  const infos = Object.keys(header)
    .filter((key) => key !== METADATA_KEY)
    .map((name) => readTensorInfo(name, header[name], source));
  const bufferLength = bytes.length - 8 - headerLength;
  checkLayout(infos, bufferLength, source);

  const tensors: Record<string, Tensor> = {};
  for (const info of infos) {
    const tensor = new Tensor(readTensorData(view, 8 + headerLength + info.begin, info, source), info.shape);
    // defineProperty, since plain assignment of a tensor named "__proto__" would replace the object's prototype.
    Object.defineProperty(tensors, info.name, { value: tensor, enumerable: true, writable: true, configurable: true });
  }
  return { tensors, metadata };
}

function readHeaderLength(view: DataView, source: string): number {
  if (view.byteLength < 8) {
    throw new SafetensorsError(
      "HeaderTooSmall",
      source,
      "header length",
      `${source}: the file is ${view.byteLength} bytes, but a safetensors file starts with an 8-byte header length; ` +
        `the file is truncated or is not a safetensors file`,
    );
  }
  const length = view.getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_SIZE)) {
    throw new SafetensorsError(
      "HeaderTooLarge",
      source,
      "header length",
      `${source}: the header length field says ${length} bytes, over the ${MAX_HEADER_SIZE}-byte limit of ` +
        `safetensors; ${CORRUPT_HINT}`,
    );
  }
  const n = Number(length);
  if (8 + n > view.byteLength) {
    throw new SafetensorsError(
      "InvalidHeaderLength",
      source,
      "header length",
      `${source}: the header length field says ${n} bytes of JSON header, but only ${view.byteLength - 8} bytes ` +
        `follow it; the file is truncated (copy or save it again) or is not a safetensors file`,
    );
  }
  return n;
}

function parseHeader(jsonBytes: Uint8Array, source: string): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so that it fails the '{' check below instead of vanishing.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(jsonBytes);
  } catch {
    throw new SafetensorsError(
      "InvalidHeader",
      source,
      "header",
      `${source}: the JSON header (bytes 8 to ${8 + jsonBytes.length}) should be UTF-8 text, but it is not valid ` +
        `UTF-8; ${CORRUPT_HINT}`,
    );
  }
  if (!text.startsWith("{")) {
    throw new SafetensorsError(
      "InvalidHeaderStart",
      source,
      "header",
      `${source}: the JSON header should be an object starting with '{', but it starts with ` +
        `${JSON.stringify(text.slice(0, 20))}; ${CORRUPT_HINT}`,
    );
  }
  // Before parsing: a deeply nested value would overflow the stack of whatever walks it next.
  const depth = jsonDepth(text, MAX_HEADER_DEPTH);
  if (depth > MAX_HEADER_DEPTH) {
    throw new SafetensorsError(
      "HeaderTooDeep",
      source,
      "header",
      `${source}: the JSON header nests more than ${MAX_HEADER_DEPTH} levels deep (the limit of the Rust ` +
        `safetensors library's JSON parser; a valid header nests 3); ${CORRUPT_HINT}`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(
      "InvalidHeaderDeserialization",
      source,
      "header",
      `${source}: the header should be valid JSON, but parsing it failed (${(error as Error).message}); ${CORRUPT_HINT}`,
    );
  }
  // A text starting with '{' that parses is an object, but the type system cannot know that.
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new SafetensorsError(
      "InvalidHeaderDeserialization",
      source,
      "header",
      `${source}: the header should be a JSON object, found ${describe(header)}; ${CORRUPT_HINT}`,
    );
  }
  return header as Record<string, unknown>;
}

function readMetadata(value: unknown, source: string): Record<string, string> {
  const metadata: Record<string, string> = {};
  // serde reads a null `__metadata__` as absent, so it is accepted here too.
  if (value === undefined || value === null) return metadata;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw headerError(
      source,
      METADATA_KEY,
      `'${METADATA_KEY}' should be an object of strings, found ${describe(value)}`,
    );
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      throw headerError(source, key, `metadata '${key}' should be a string, found ${describe(item)}`);
    }
    Object.defineProperty(metadata, key, { value: item, enumerable: true, writable: true, configurable: true });
  }
  return metadata;
}

function readTensorInfo(name: string, value: unknown, source: string): TensorInfo {
  const what = `tensor '${name}'`;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw headerError(source, name, `${what} should be {"dtype", "shape", "data_offsets"}, found ${describe(value)}`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string" || !DTYPE_RANK.has(dtype)) {
    throw headerError(
      source,
      name,
      `${what} has dtype ${describe(dtype)}, expected one of ${Object.keys(DTYPE_BITS).join(", ")}`,
      "the file is corrupt, or uses a dtype newer than this reader knows",
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw headerError(source, name, `${what} has shape ${describe(shape)}, expected an array of sizes >= 0`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw headerError(
      source,
      name,
      `${what} has data_offsets ${describe(offsets)}, expected [begin, end] with integers >= 0`,
    );
  }
  for (const n of [...shape, ...offsets] as number[]) {
    if (!Number.isSafeInteger(n)) {
      throw new SafetensorsError(
        "ValidationOverflow",
        source,
        name,
        `${source}: ${what} has the number ${n} in its shape or data_offsets, more than the ` +
          `${Number.MAX_SAFE_INTEGER} this reader can address; ${CORRUPT_HINT}`,
      );
    }
  }
  return { name, dtype: dtype as SafetensorsDType, shape, begin: offsets[0], end: offsets[1] };
}

/**
 * The Rust library's `Metadata::validate` and buffer check: taken in order of offsets, the tensors must tile the
 * buffer from byte 0, each spanning exactly the bytes its shape and dtype need, and the last must end the file.
 */
function checkLayout(infos: TensorInfo[], bufferLength: number, source: string): void {
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: TensorInfo | undefined;
  for (const info of infos) {
    const offsets = `[${info.begin}, ${info.end}]`;
    if (info.begin !== expected || info.end < info.begin) {
      const after = previous === undefined ? "as the first tensor" : `after tensor '${previous.name}'`;
      const found =
        info.end < info.begin
          ? "an end before its begin"
          : info.begin < expected
            ? `an overlap of ${expected - info.begin} bytes`
            : `a gap of ${info.begin - expected} unindexed bytes`;
      throw new SafetensorsError(
        "InvalidOffset",
        source,
        info.name,
        `${source}: tensor '${info.name}' has data_offsets ${offsets}, but ${after} it should begin at byte ` +
          `${expected} (tensors tile the data buffer back to back); found ${found}; ${CORRUPT_HINT}`,
      );
    }
    const bits = sizeInBits(info.shape, DTYPE_BITS[info.dtype]);
    if (bits === undefined) {
      throw new SafetensorsError(
        "ValidationOverflow",
        source,
        info.name,
        `${source}: tensor '${info.name}' has shape ${shapeToString(info.shape)}, whose size in bytes overflows; ` +
          CORRUPT_HINT,
      );
    }
    if (bits % 8 !== 0) {
      throw new SafetensorsError(
        "MisalignedSlice",
        source,
        info.name,
        `${source}: tensor '${info.name}' of ${info.dtype} with shape ${shapeToString(info.shape)} takes ${bits} ` +
          `bits, expected a whole number of bytes; ${CORRUPT_HINT}`,
      );
    }
    if (info.end - info.begin !== bits / 8) {
      throw new SafetensorsError(
        "TensorInvalidInfo",
        source,
        info.name,
        `${source}: tensor '${info.name}' has data_offsets ${offsets} but shape ${shapeToString(info.shape)} of ` +
          `${info.dtype} needs ${bits / 8} bytes; ${CORRUPT_HINT}`,
      );
    }
    expected = info.end;
    previous = info;
  }
  if (expected !== bufferLength) {
    const last = previous?.name ?? "(no tensors)";
    const found =
      bufferLength < expected
        ? `only ${bufferLength} bytes: the file is truncated (copy or save it again)`
        : `${bufferLength} bytes, ${bufferLength - expected} of them not part of any tensor: ${CORRUPT_HINT}`;
    throw new SafetensorsError(
      "MetadataIncompleteBuffer",
      source,
      last,
      `${source}: the data offsets end at byte ${expected} (with tensor '${last}'), so the data buffer after the ` +
        `header should be ${expected} bytes, but it has ${found}`,
    );
  }
}

/** Copies (never views: the offsets need not be aligned for a typed array) and converts one tensor's data. */
function readTensorData(
  view: DataView,
  at: number,
  info: TensorInfo,
  source: string,
): Float32Array | Float64Array | Int32Array {
  const n = numel(info.shape);
  switch (info.dtype) {
    case "F32": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(at + 4 * i, true);
      return out;
    }
    case "F64": {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(at + 8 * i, true);
      return out;
    }
    case "I32": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(at + 4 * i, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToNumber(view.getUint16(at + 2 * i, true));
      return out;
    }
    case "BF16": {
      // A bfloat16 is the top half of a float32: shift its bits up and reinterpret them.
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(at + 2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
    case "I64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const value = view.getBigInt64(at + 8 * i, true);
        if (value < -0x80000000n || value > 0x7fffffffn) {
          throw new SafetensorsError(
            "ValueOutOfRange",
            source,
            info.name,
            `${source}: tensor '${info.name}' of I64 holds ${value} at index ${i}, but convlab stores integers as ` +
              `int32 (-2147483648 to 2147483647); clamp or convert the tensor in Python (e.g. .int()) before saving`,
          );
        }
        out[i] = Number(value);
      }
      return out;
    }
    default:
      throw new SafetensorsError(
        "UnsupportedDType",
        source,
        info.name,
        `${source}: tensor '${info.name}' has dtype ${info.dtype}, which convlab cannot load; expected F32, F64, ` +
          `I32, F16 or BF16 (read as float32) or I64 (read as int32); convert it in Python (e.g. .float()) before saving`,
      );
  }
}

/** DataView writes are little-endian on any host and need no alignment. */
function writeLittleEndian(view: DataView, at: number, tensor: Tensor): void {
  const data = tensor.data;
  if (data instanceof Float32Array) for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i], true);
  else if (data instanceof Float64Array)
    for (let i = 0; i < data.length; i++) view.setFloat64(at + 8 * i, data[i], true);
  else for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i], true);
}

function encodeMetadata(metadata: Record<string, string>, source: string): string {
  const keys = Object.keys(metadata).sort(compareCodePoints);
  for (const key of keys) {
    if (typeof metadata[key] !== "string") {
      throw new SafetensorsError(
        "InvalidTensors",
        source,
        key,
        `${source}: metadata '${key}' should be a string, found ${describe(metadata[key])}; the format only stores ` +
          `strings, so convert it (e.g. String(value) or JSON.stringify(value))`,
      );
    }
  }
  return `{${keys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`).join(",")}}`;
}

function headerError(source: string, key: string, problem: string, hint = CORRUPT_HINT): SafetensorsError {
  return new SafetensorsError("InvalidHeaderDeserialization", source, key, `${source}: ${problem}; ${hint}`);
}

function rank(dtype: SafetensorsDType): number {
  return DTYPE_RANK.get(dtype) ?? 0;
}

/** Orders strings by code point, which is the byte order of their UTF-8 that Rust's `String` sort uses. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Elements times bits per element, or undefined when a partial product leaves the exact integers (Rust's checked_mul). */
function sizeInBits(shape: readonly number[], bitsPerElement: number): number | undefined {
  let product = bitsPerElement;
  for (const size of shape) {
    product *= size;
    if (!Number.isSafeInteger(product)) return undefined;
  }
  return product;
}

function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

/** A short description of a JSON value for messages: the value itself when small, else its kind. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value instanceof Tensor) return value.toString();
  const text = preview(value, 41);
  if (text.length <= 40) return text;
  return Array.isArray(value) ? `an array of ${value.length} items` : `a ${typeof value}`;
}
