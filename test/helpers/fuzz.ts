/**
 * The fuzz targets of convlab's parsers, shared by the short pass of `npm test` (test/fuzz.test.ts) and the long one
 * of `npm run fuzz` (scripts/fuzz.ts). Each target starts from small valid inputs (its seeds) and applies random
 * mutations drawn by fast-check: byte flips, truncations, header edits, gzip of mutated content and gzip bombs for
 * IDX; mutated headers, deep JSON and huge lengths for safetensors; mutated JSON of the presets for model specs;
 * chunk-aware edits with fixed CRCs for PNG, frame-header edits for JPEG; byte edits of exported models for ONNX.
 *
 * The invariant, as issue 12 states it: every input gives a value or a {@link ConvlabError}, within a time bound.
 * Any other exception (a RangeError, "Maximum call stack size exceeded", a decoder's own Error) is a failure.
 *
 * fast-check generates small descriptions of the mutations (an index of a seed and a list of edits), never the
 * hostile values themselves, which are built inside the run: a value nested 100,000 deep would overflow the stack of
 * fast-check's own printer when it reports a counterexample.
 */
import { deflateSync } from "node:zlib";
import fc from "fast-check";
import { gzipSync } from "fflate";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { parseIdx, parseMnistImages, parseMnistLabels } from "../../src/data/idx.js";
import { preprocessDigit } from "../../src/data/preprocess.js";
import { isConvlabError } from "../../src/errors.js";
import { decodeOnnxModel } from "../../src/io/onnx-proto.js";
import { decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors.js";
import { modelLimits } from "../../src/models/limits.js";
import { exportOnnx } from "../../src/models/onnx-export.js";
import { importOnnx } from "../../src/models/onnx-import.js";
import { presetSpec } from "../../src/models/presets.js";
import { buildModel, SpecModel, type ModelSpec } from "../../src/models/spec.js";
import { formatTrace, traceSpec } from "../../src/models/trace.js";
import { validateSpec } from "../../src/models/validate.js";
import { ADAM7, decodeImage } from "../../src/node/image-file.js";
import { manualSeed } from "../../src/tensor/random.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { idxBytes } from "./idx.js";
import { crc32 } from "../../src/io/crc32.js";
import { pngChunk } from "../../src/data/gray-png.js";

/** The time one call may take; the bound is 2 s for a ConvlabError on every hostile case. */
export const CALL_LIMIT_MS = 2000;

/** One target: how to draw an input (as a description), build it, and run the parser on it. */
export interface FuzzTarget<D = unknown> {
  name: string;
  /** Draws a description of an input. */
  arbitrary: fc.Arbitrary<D>;
  /** Builds the input's bytes (saved with a failure) or value. */
  build: (description: D) => Uint8Array | unknown;
  /** Runs the parser(s); returns normally for a value, throws for an error. */
  run: (input: unknown) => void;
}

/** What one call gave: a value, a ConvlabError (with its code), or a failure (anything else, or too slow). */
export type Outcome =
  | { kind: "value"; ms: number }
  | { kind: "error"; code: string; ms: number }
  | { kind: "failure"; problem: string; ms: number };

/** Runs `target` on one built input and classifies the outcome; `limit` is the time bound in milliseconds. */
export function runOnce(target: FuzzTarget, input: unknown, limit = CALL_LIMIT_MS): Outcome {
  const start = performance.now();
  let outcome: Outcome;
  try {
    target.run(input);
    outcome = { kind: "value", ms: 0 };
  } catch (error) {
    outcome = isConvlabError(error)
      ? { kind: "error", code: error.code, ms: 0 }
      : { kind: "failure", problem: describeError(error), ms: 0 };
  }
  outcome.ms = performance.now() - start;
  if (outcome.kind !== "failure" && outcome.ms > limit) {
    return { kind: "failure", problem: `took ${outcome.ms.toFixed(0)} ms, over ${limit} ms`, ms: outcome.ms };
  }
  return outcome;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error).slice(0, 200)}`;
  return `${error.name}: ${error.message.split("\n")[0].slice(0, 200)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Byte mutations.
// ---------------------------------------------------------------------------------------------------------------

/** A number that often hits the interesting cases of a 32-bit size field. */
const u32 = fc.oneof(
  fc.constantFrom(
    0,
    1,
    2,
    3,
    7,
    8,
    28,
    255,
    256,
    0x7fffffff,
    0x80000000,
    0xfffffffe,
    0xffffffff,
    60000,
    65535,
    1 << 20,
  ),
  fc.nat(),
  fc.integer({ min: 0, max: 0xffffffff }),
);

/** One edit of a byte array; positions are taken modulo the length at the time the edit applies. */
export type ByteEdit =
  | { op: "flip"; at: number; bit: number }
  | { op: "set"; at: number; value: number }
  | { op: "u32be" | "u32le"; at: number; value: number }
  | { op: "truncate"; keep: number }
  | { op: "insert"; at: number; bytes: number[] }
  | { op: "delete"; at: number; length: number }
  | { op: "repeat"; at: number; length: number; times: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constantFrom("u32be" as const, "u32le" as const), at: fc.nat(), value: u32 }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("truncate" as const), keep: fc.double({ min: 0, max: 1, noNaN: true }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("insert" as const),
      at: fc.nat(),
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("repeat" as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 64 }),
      times: fc.integer({ min: 1, max: 50 }),
    }),
  },
);

/** Up to `max` byte edits. */
export const byteEdits = (max = 4) => fc.array(byteEdit, { minLength: 1, maxLength: max });

/** Applies byte edits to a copy of `seed`. */
export function applyEdits(seed: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let bytes: Uint8Array = seed.slice();
  for (const edit of edits) {
    const n = bytes.length;
    switch (edit.op) {
      case "flip":
        if (n > 0) bytes[edit.at % n] ^= 1 << edit.bit;
        break;
      case "set":
        if (n > 0) bytes[edit.at % n] = edit.value;
        break;
      case "u32be":
      case "u32le":
        if (n >= 4) new DataView(bytes.buffer).setUint32(edit.at % (n - 3), edit.value, edit.op === "u32le");
        break;
      case "truncate":
        bytes = bytes.slice(0, Math.floor(n * edit.keep));
        break;
      case "insert": {
        const at = n === 0 ? 0 : edit.at % (n + 1);
        bytes = concat(bytes.subarray(0, at), Uint8Array.from(edit.bytes), bytes.subarray(at));
        break;
      }
      case "delete": {
        if (n === 0) break;
        const at = edit.at % n;
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + edit.length));
        break;
      }
      case "repeat": {
        if (n === 0) break;
        const at = edit.at % n;
        const piece = bytes.subarray(at, at + edit.length);
        bytes = concat(bytes.subarray(0, at), ...Array<Uint8Array>(edit.times).fill(piece), bytes.subarray(at));
        break;
      }
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON mutations: edit a value at a path, with values chosen to break size checks and recursion.
// ---------------------------------------------------------------------------------------------------------------

/** A value to put into JSON: a special number, a wrong type, or a deep nest (built at run time, see the top). */
export type WeirdValue =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "json"; value: unknown }
  | { kind: "deep"; depth: number; object: boolean }
  | { kind: "long"; length: number };

const weirdValue: fc.Arbitrary<WeirdValue> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("number" as const),
      value: fc.oneof(
        fc.constantFrom(0, -1, 1, 2, 3, 4, 5, 10, 16, 28, 32, 64, 784, 800, 1e6, 1e9, 1e12, 1e15, 2 ** 31, 2 ** 32),
        fc.constantFrom(2 ** 53, 2 ** 53 + 2, 1e308, -1e9, 0.5, 1.5, -0, Number.MAX_SAFE_INTEGER),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("string" as const),
      value: fc.oneof(
        fc.constantFrom("F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F8_E4M3", "C64", "__metadata__"),
        fc.constantFrom("Conv2d", "Linear", "ReLU", "Flatten", "MaxPool2d", "conv1", "pool", "fc1", "__proto__"),
        fc.constantFrom("constructor", "toString", "", "kernal_size", "in_chanels", "type", "use", "name"),
        fc.string({ maxLength: 12 }),
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("json" as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("deep" as const),
      depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.constantFrom(1000, 10_000, 100_000)),
      object: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("long" as const), length: fc.constantFrom(100, 10_000, 1_000_000) }),
  },
);

/** Builds a weird value; a deep one without recursion. */
function materialize(weird: WeirdValue): unknown {
  switch (weird.kind) {
    case "number":
    case "string":
    case "json":
      return weird.value;
    case "long":
      return Array.from({ length: weird.length }, (_, i) => i % 7);
    case "deep": {
      let value: unknown = 1;
      for (let i = 0; i < weird.depth; i++) value = weird.object ? { a: value } : [value];
      return value;
    }
  }
}

/** One edit of a JSON value: replace, delete, duplicate or add at the `pick`-th node (in a fixed walk order). */
export type JsonEdit =
  | { op: "replace"; pick: number; value: WeirdValue }
  | { op: "delete"; pick: number }
  | { op: "duplicate"; pick: number; times: number }
  | { op: "add"; pick: number; key: string; value: WeirdValue };

const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("replace" as const), pick: fc.nat(), value: weirdValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("duplicate" as const),
      pick: fc.nat(),
      times: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constantFrom(1000, 5000)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("add" as const),
      pick: fc.nat(),
      key: fc.oneof(
        fc.constantFrom("stride", "padding", "bias", "name", "use", "type", "x", "__proto__"),
        fc.string({ maxLength: 8 }),
      ),
      value: weirdValue,
    }),
  },
);

export const jsonEdits = (max = 3) => fc.array(jsonEdit, { minLength: 1, maxLength: max });

/** The containers and keys of a (small, seed-sized) JSON value, in a fixed order. */
function slots(root: unknown): { parent: Record<string, unknown> | unknown[]; key: string | number }[] {
  const out: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0 && out.length < 10_000) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        out.push({ parent: value, key: i });
        stack.push(item);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        out.push({ parent: value as Record<string, unknown>, key });
        stack.push(item);
      }
    }
  }
  return out;
}

/** Applies JSON edits to a deep copy of `seed` (seeds are small and shallow, so structuredClone is safe). */
export function applyJsonEdits(seed: unknown, edits: readonly JsonEdit[]): unknown {
  const root = { value: structuredClone(seed) };
  for (const edit of edits) {
    const all = slots(root);
    if (all.length === 0) break;
    const { parent, key } = all[edit.pick % all.length];
    const target = parent as Record<string | number, unknown>;
    switch (edit.op) {
      case "replace":
        target[key] = materialize(edit.value);
        break;
      case "delete":
        if (parent === root) break;
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete target[key];
        break;
      case "duplicate":
        if (Array.isArray(parent)) {
          const item = parent[key as number];
          // The same item again (not a clone: structuredClone recurses, and the item may be 100,000 levels deep).
          const copies: unknown[] = Array(edit.times).fill(item);
          parent.splice(key as number, 0, ...copies);
        }
        break;
      case "add": {
        const item = target[key];
        if (typeof item === "object" && item !== null && !Array.isArray(item)) {
          Object.defineProperty(item, edit.key, {
            value: materialize(edit.value),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        break;
      }
    }
  }
  return root.value;
}

// ---------------------------------------------------------------------------------------------------------------
// IDX, raw and gzip.
// ---------------------------------------------------------------------------------------------------------------

const IDX_SEEDS: Uint8Array[] = [
  idxBytes([10], Uint8Array.from([5, 0, 4, 1, 9, 2, 1, 3, 1, 4])),
  idxBytes([3, 28, 28]),
  idxBytes([2, 3, 4]),
  idxBytes([1]),
];

/** Gzip with a trailer whose size and CRC claim `size` bytes: the "18-byte bomb" when the deflate data is empty. */
export function lyingGzip(deflate: Uint8Array, size: number, crc: number): Uint8Array {
  const out = new Uint8Array(10 + deflate.length + 8);
  out.set([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03]);
  out.set(deflate, 10);
  const view = new DataView(out.buffer);
  view.setUint32(10 + deflate.length, crc, true);
  view.setUint32(14 + deflate.length, size, true);
  return out;
}

/** An IDX header (labels `[n]` or images `[n, 28, 28]`) followed by `zeros` zero bytes, gzip'ed: a real bomb. */
export function zeroBomb(dims: number[], zeros: number): Uint8Array {
  const header = idxBytes(dims, new Uint8Array(0));
  const raw = new Uint8Array(header.length + zeros);
  raw.set(header);
  return gzipSync(raw, { level: 9 });
}

let gzipBombSeeds: Uint8Array[] | undefined;
const bombs = () =>
  (gzipBombSeeds ??= [
    lyingGzip(new Uint8Array(0), 0xffffffff, 0),
    lyingGzip(Uint8Array.of(0x03, 0x00), 0xfffffff0, 0x12345678),
    zeroBomb([60000], 8 << 20),
    zeroBomb([10, 28, 28], 8 << 20),
    zeroBomb([0xffffffff, 28, 28], 1 << 16),
  ]);

type IdxDescription = {
  seed: number;
  rawEdits: ByteEdit[];
  gzip: "none" | "before" | "after" | "bomb";
  gzEdits: ByteEdit[];
};

const idxRaw: FuzzTarget<IdxDescription> = {
  name: "idx (raw)",
  arbitrary: fc.record({
    seed: fc.nat(),
    rawEdits: byteEdits(),
    gzip: fc.constant("none" as const),
    gzEdits: fc.constant<ByteEdit[]>([]),
  }),
  build: buildIdx,
  run: runIdx,
};

const idxGzip: FuzzTarget<IdxDescription> = {
  name: "idx (gzip)",
  arbitrary: fc.record({
    seed: fc.nat(),
    rawEdits: fc.oneof(fc.constant<ByteEdit[]>([]), byteEdits()),
    gzip: fc.constantFrom("before" as const, "after" as const, "bomb" as const),
    gzEdits: fc.oneof(fc.constant<ByteEdit[]>([]), byteEdits(3)),
  }),
  build: buildIdx,
  run: runIdx,
};

function buildIdx(d: IdxDescription): Uint8Array {
  if (d.gzip === "bomb") {
    const seeds = bombs();
    return applyEdits(seeds[d.seed % seeds.length], d.gzEdits);
  }
  const raw = applyEdits(IDX_SEEDS[d.seed % IDX_SEEDS.length], d.rawEdits);
  if (d.gzip === "none") return raw;
  const gz = gzipSync(raw);
  // "before": only the content was mutated (a valid stream of a bad file); "after": the stream too.
  return d.gzip === "before" ? gz : applyEdits(gz, d.gzEdits);
}

/** Runs the three IDX parsers; a value if any of them gives one, else the first one's ConvlabError. */
function runIdx(input: unknown): void {
  const bytes = input as Uint8Array;
  const results = [];
  let first: unknown;
  for (const parse of [parseIdx, parseMnistImages, parseMnistLabels]) {
    try {
      results.push(parse(bytes, "fuzz-idx"));
    } catch (error) {
      if (!isConvlabError(error)) throw error;
      first ??= error;
    }
  }
  // A value must be consistent: dims describe the data.
  for (const { dims, data } of results) {
    if ((dims.includes(0) ? 0 : dims.reduce((a, b) => a * b, 1)) !== data.length)
      throw new Error(`dims [${dims}] do not describe ${data.length} bytes`);
  }
  if (results.length === 0) throw first;
}

// ---------------------------------------------------------------------------------------------------------------
// safetensors.
// ---------------------------------------------------------------------------------------------------------------

let safetensorsSeeds: Uint8Array[] | undefined;
const stSeeds = () =>
  (safetensorsSeeds ??= [
    encodeSafetensors(
      {
        "conv1.weight": new Tensor(new Float32Array([0.1, -0.2, 0.3, 0.4, 0.5, 0.6]), [1, 2, 3]),
        "conv1.bias": new Tensor(new Float32Array([1, 2]), [2]),
        steps: new Tensor(new Int32Array([7]), [1]),
        double: new Tensor(new Float64Array([Math.PI]), []),
      },
      { format: "pt", arch: "seed" },
    ),
    encodeSafetensors({ empty: new Tensor(new Float32Array(0), [0, 3]) }),
    handmadeSafetensors(
      '{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"i":{"dtype":"I64","shape":[1],"data_offsets":[6,14]}}',
      14,
    ),
  ]);

/** A file of `header` (padded as the writer pads it) and `dataLength` bytes of data. */
export function handmadeSafetensors(header: string, dataLength: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  for (let i = 8 + padded; i < out.length; i++) out[i] = (i * 29) % 256;
  return out;
}

type SafetensorsDescription = {
  seed: number;
  jsonEdits: JsonEdit[];
  lengthField: "keep" | "fix" | { value: string };
  byteEdits: ByteEdit[];
};

const safetensors: FuzzTarget<SafetensorsDescription> = {
  name: "safetensors",
  arbitrary: fc.record({
    seed: fc.nat(),
    jsonEdits: fc.oneof(fc.constant<JsonEdit[]>([]), jsonEdits()),
    lengthField: fc.oneof(
      fc.constantFrom("keep" as const, "fix" as const),
      fc.record({
        value: fc.oneof(
          fc.constantFrom("0", "1", "7", "8", "100000000", "100000001", "9007199254740993", "18446744073709551615"),
          fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
        ),
      }),
    ),
    byteEdits: fc.oneof(fc.constant<ByteEdit[]>([]), byteEdits(3)),
  }),
  build(d) {
    const seed = stSeeds()[d.seed % stSeeds().length];
    let bytes: Uint8Array = seed.slice();
    if (d.jsonEdits.length > 0) {
      const length = Number(new DataView(seed.buffer, seed.byteOffset).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(seed.subarray(8, 8 + length))) as unknown;
      const data = seed.subarray(8 + length);
      // Deep values are written by hand: JSON.stringify recurses once per level.
      const deep: string[] = [];
      const edited = applyJsonEdits(
        header,
        d.jsonEdits.map((e) => swapDeep(e, deep)),
      );
      let text = JSON.stringify(edited) ?? "null";
      deep.forEach((nest, i) => (text = text.replace(`"\u0000deep${i}"`, nest)));
      const json = new TextEncoder().encode(text);
      bytes = concat(new Uint8Array(8), json, data);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    }
    if (typeof d.lengthField === "object")
      new DataView(bytes.buffer).setBigUint64(0, BigInt(d.lengthField.value), true);
    bytes = applyEdits(bytes, d.byteEdits);
    if (d.lengthField === "fix" && bytes.length >= 8) {
      // Keep the length field consistent with what follows, so the header itself gets parsed.
      const view = new DataView(bytes.buffer);
      const length = Number(view.getBigUint64(0, true));
      if (length > bytes.length - 8) view.setBigUint64(0, BigInt(bytes.length - 8), true);
    }
    return bytes;
  },
  run(input) {
    const { tensors } = decodeSafetensors(input as Uint8Array, "fuzz.safetensors");
    for (const tensor of Object.values(tensors)) if (!(tensor instanceof Tensor)) throw new Error("not a Tensor");
  },
};

/** Replaces a deep value by a placeholder string that {@link safetensors}'s build swaps for the nest as text. */
function swapDeep(edit: JsonEdit, deep: string[]): JsonEdit {
  if ((edit.op !== "replace" && edit.op !== "add") || edit.value.kind !== "deep") return edit;
  const { depth, object } = edit.value;
  deep.push(object ? '{"a":'.repeat(depth) + "1" + "}".repeat(depth) : "[".repeat(depth) + "]".repeat(depth));
  return { ...edit, value: { kind: "string", value: `\u0000deep${deep.length - 1}` } };
}

// ---------------------------------------------------------------------------------------------------------------
// Model specs.
// ---------------------------------------------------------------------------------------------------------------

const SPEC_SEEDS: ModelSpec[] = [
  presetSpec("seed"),
  presetSpec("conv3"),
  {
    name: "small",
    input: [2, 9, 7],
    layers: [
      {
        name: "conv",
        type: "Conv2d",
        in_channels: 2,
        out_channels: 3,
        kernel_size: [3, 2],
        stride: [1, 2],
        padding: 1,
      },
      { type: "ReLU" },
      { name: "pool", type: "MaxPool2d", kernel_size: 2, stride: 1, padding: 1 },
      { type: "Flatten" },
      { name: "fc", type: "Linear", in_features: 150, out_features: 4, bias: false },
    ],
  },
];

/** Small limits while fuzzing, so a spec that passes is built at once; restored after each run. */
const FUZZ_LIMITS = { maxParameters: 2e6, maxActivationBytes: 2e8 };

const spec: FuzzTarget<{ seed: number; edits: JsonEdit[] }> = {
  name: "model spec",
  arbitrary: fc.record({ seed: fc.nat(), edits: jsonEdits(4) }),
  build: (d) => applyJsonEdits(SPEC_SEEDS[d.seed % SPEC_SEEDS.length], d.edits),
  run(input) {
    const saved = { ...modelLimits };
    Object.assign(modelLimits, FUZZ_LIMITS);
    try {
      const valid = validateSpec(input, "fuzz.json");
      const trace = traceSpec(valid);
      formatTrace(trace.input, trace.rows, true);
      buildModel(valid);
    } finally {
      Object.assign(modelLimits, saved);
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Images: PNG and JPEG, then the predict pipeline's preprocessing.
// ---------------------------------------------------------------------------------------------------------------

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** A PNG from its IHDR fields and the (zlib) IDAT data, with an IEND; `extra` chunks go before the IDAT. */
export function pngFile(
  ihdr: { width: number; height: number; depth?: number; colour?: number; interlace?: number },
  idat: Uint8Array,
  extra: Uint8Array[] = [],
): Uint8Array {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, ihdr.width);
  view.setUint32(4, ihdr.height);
  header.set([ihdr.depth ?? 8, ihdr.colour ?? 6, 0, 0, ihdr.interlace ?? 0], 8);
  return concat(
    PNG_SIGNATURE,
    pngChunk("IHDR", header),
    ...extra,
    pngChunk("IDAT", idat),
    pngChunk("IEND", new Uint8Array()),
  );
}

/** The chunks of a PNG as [offset, length, type]; stops at the first that does not fit. */
function pngChunks(bytes: Uint8Array): { at: number; length: number; type: string }[] {
  const out = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) break;
    out.push({ at, length, type: String.fromCharCode(...bytes.subarray(at + 4, at + 8)) });
    at += 12 + length;
  }
  return out;
}

/** Recomputes every chunk's CRC, so pngjs's checksum test lets the mutated content through. */
function fixPngCrcs(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const { at, length } of pngChunks(bytes))
    view.setUint32(at + 8 + length, crc32(bytes.subarray(at + 4, at + 8 + length)));
  return bytes;
}

/** A digit-like picture: a dark stroke on light paper, RGBA. */
function digitPixels(width: number, height: number, channels = 4): Uint8Array {
  const data = new Uint8Array(width * height * channels).fill(235);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const on = Math.abs(x - width / 2) < Math.max(1, width / 8) && y > height / 5 && y < (4 * height) / 5;
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = c === 3 ? 255 : on ? 20 : 235;
    }
  }
  return data;
}

/** Raw scanlines (filter 0) of an image, Adam7-interlaced when asked: what a PNG's IDAT deflates. */
function scanlines(
  width: number,
  height: number,
  bytesPerPixel: number,
  pixels: Uint8Array,
  interlace: boolean,
): Uint8Array {
  const passes = interlace ? ADAM7 : [[0, 0, 1, 1]];
  const rows: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.max(0, Math.ceil((width - x0) / dx));
    if (w === 0) continue;
    for (let y = y0; y < height; y += dy) {
      rows.push(0);
      for (let x = x0; x < width; x += dx) {
        for (let b = 0; b < bytesPerPixel; b++) rows.push(pixels[(y * width + x) * bytesPerPixel + b]);
      }
    }
  }
  return Uint8Array.from(rows);
}

let imageSeedList: Uint8Array[] | undefined;
/** Small valid images of several kinds: pngjs's colour types, hand-made interlaced and palette PNGs, JPEGs. */
export const imageSeeds = () =>
  (imageSeedList ??= (() => {
    const encode = (width: number, height: number, options: { colorType?: 0 | 2 | 4 | 6; bitDepth?: 8 | 16 }) => {
      const png = new PNG({ width, height, colorType: options.colorType, bitDepth: options.bitDepth });
      png.data.set(digitPixels(width, height));
      return new Uint8Array(
        PNG.sync.write(png, { colorType: options.colorType ?? 6, bitDepth: options.bitDepth ?? 8 }),
      );
    };
    const palette = new Uint8Array(3 * 4).fill(0);
    palette.set([255, 255, 255, 0, 0, 0, 128, 128, 128, 30, 30, 30]);
    const indices = Uint8Array.from({ length: 10 * 9 }, (_, i) => (i % 10 === 5 ? 1 : 0));
    const interlacedPixels = digitPixels(9, 11);
    return [
      encode(12, 10, {}),
      encode(7, 13, { colorType: 0 }),
      encode(8, 8, { colorType: 2 }),
      encode(6, 9, { colorType: 4, bitDepth: 16 }),
      pngFile({ width: 9, height: 11, interlace: 1 }, deflateSync(scanlines(9, 11, 4, interlacedPixels, true))),
      pngFile({ width: 10, height: 9, colour: 3 }, deflateSync(scanlines(10, 9, 1, indices, false)), [
        pngChunk("PLTE", palette),
      ]),
      new Uint8Array(jpeg.encode({ width: 16, height: 16, data: digitPixels(16, 16) }, 90).data),
      new Uint8Array(jpeg.encode({ width: 33, height: 17, data: digitPixels(33, 17) }, 40).data),
    ];
  })());

/** A chunk- or segment-aware edit of an image, or a plain byte edit. */
export type ImageEdit =
  | { op: "bytes"; edits: ByteEdit[]; fixCrc: boolean }
  | { op: "size"; width: number; height: number }
  | { op: "cutData"; keep: number }
  | { op: "dropChunk"; pick: number }
  | { op: "ihdrByte"; index: number; value: number };

const imageEdit: fc.Arbitrary<ImageEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("bytes" as const), edits: byteEdits(3), fixCrc: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("size" as const),
      width: fc.oneof(u32, fc.constantFrom(32000, 65535, 8192, 8193, 100000)),
      height: fc.oneof(u32, fc.constantFrom(32000, 65535, 8192, 8193, 100000)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("cutData" as const), keep: fc.double({ min: 0, max: 1, noNaN: true }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("dropChunk" as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("ihdrByte" as const),
      index: fc.integer({ min: 8, max: 12 }),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
);

/** Applies image edits: on a PNG with fixed CRCs (so pngjs reads the content), on a JPEG by its frame header. */
export function applyImageEdits(seed: Uint8Array, edits: readonly ImageEdit[]): Uint8Array {
  let bytes: Uint8Array = seed.slice();
  const isPng = seed[0] === 0x89;
  for (const edit of edits) {
    if (edit.op === "bytes") {
      bytes = applyEdits(bytes, edit.edits);
      if (edit.fixCrc && isPng) bytes = fixPngCrcs(bytes);
      continue;
    }
    if (isPng) {
      const chunks = pngChunks(bytes);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const ihdr = chunks.find((c) => c.type === "IHDR");
      const idat = chunks.find((c) => c.type === "IDAT");
      if (edit.op === "size" && ihdr && ihdr.length >= 8) {
        view.setUint32(ihdr.at + 8, edit.width);
        view.setUint32(ihdr.at + 12, edit.height);
      } else if (edit.op === "ihdrByte" && ihdr && ihdr.length >= 13) {
        bytes[ihdr.at + edit.index] = edit.value;
      } else if (edit.op === "cutData" && idat) {
        // Cuts the IDAT's data and fixes its length and CRC: a well-formed file with part of its pixels missing.
        const keep = Math.floor(idat.length * edit.keep);
        const data = bytes.subarray(idat.at + 8, idat.at + 8 + keep);
        bytes = concat(bytes.subarray(0, idat.at), pngChunk("IDAT", data), bytes.subarray(idat.at + 12 + idat.length));
      } else if (edit.op === "dropChunk" && chunks.length > 0) {
        const c = chunks[edit.pick % chunks.length];
        bytes = concat(bytes.subarray(0, c.at), bytes.subarray(c.at + 12 + c.length));
      }
      bytes = fixPngCrcs(bytes);
    } else {
      const sof = findMarker(bytes, 0xc0);
      const sos = findMarker(bytes, 0xda);
      if (edit.op === "size" && sof >= 0 && sof + 9 <= bytes.length) {
        bytes[sof + 5] = (edit.height >> 8) & 0xff;
        bytes[sof + 6] = edit.height & 0xff;
        bytes[sof + 7] = (edit.width >> 8) & 0xff;
        bytes[sof + 8] = edit.width & 0xff;
      } else if (edit.op === "cutData" && sos >= 0) {
        // Keeps the end marker, so the cut is in the middle of the scan.
        const scanLength = bytes.length - 2 - sos;
        const keep = Math.floor(scanLength * edit.keep);
        bytes = concat(bytes.subarray(0, sos + keep), Uint8Array.of(0xff, 0xd9));
      } else if (edit.op === "ihdrByte" && sof >= 0 && sof + edit.index < bytes.length) {
        bytes[sof + edit.index] = edit.value;
      } else if (edit.op === "dropChunk" && sos >= 0) {
        bytes = bytes.subarray(0, bytes.length - 2);
      }
    }
  }
  return bytes;
}

function findMarker(bytes: Uint8Array, marker: number): number {
  for (let i = 2; i + 1 < bytes.length; i++) if (bytes[i] === 0xff && bytes[i + 1] === marker) return i;
  return -1;
}

const image: FuzzTarget<{ seed: number; edits: ImageEdit[] }> = {
  name: "image (PNG/JPEG)",
  arbitrary: fc.record({ seed: fc.nat(), edits: fc.array(imageEdit, { minLength: 1, maxLength: 3 }) }),
  build: (d) => applyImageEdits(imageSeeds()[d.seed % imageSeeds().length], d.edits),
  run(input) {
    const decoded = decodeImage(input as Uint8Array, "fuzz-image");
    if (decoded.data.length !== 4 * decoded.width * decoded.height) throw new Error("RGBA data of the wrong length");
    // The predict pipeline goes on with the decoded pixels.
    preprocessDigit(decoded.data, decoded.width, decoded.height, 4);
  },
};

/** Pixel arrays as any caller may pass them: wrong lengths, non-finite values, odd sizes. */
const preprocess: FuzzTarget<{
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  values: number[];
  fill: number;
}> = {
  name: "preprocessDigit",
  arbitrary: fc.record({
    width: fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 1e9, NaN, Infinity) },
    ),
    height: fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 1e9, NaN, Infinity) },
    ),
    channels: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    values: fc.array(
      fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(Infinity, -Infinity, NaN, -1, 256, 1e300, -0)),
      { maxLength: 20 },
    ),
    fill: fc.integer({ min: 0, max: 255 }),
  }),
  build(d) {
    // A drawn digit, then the drawn values written over its start; the length may not match the sizes.
    const w = Number.isInteger(d.width) && d.width > 0 && d.width <= 40 ? d.width : 8;
    const h = Number.isInteger(d.height) && d.height > 0 && d.height <= 40 ? d.height : 8;
    const pixels = Array.from(digitPixels(w, h, d.channels), (v) => (v === 235 ? d.fill : v));
    pixels.splice(0, d.values.length, ...d.values);
    return { pixels, width: d.width, height: d.height, channels: d.channels };
  },
  run(input) {
    const { pixels, width, height, channels } = input as {
      pixels: number[];
      width: number;
      height: number;
      channels: 1 | 2 | 3 | 4;
    };
    const digit = preprocessDigit(pixels, width, height, channels);
    if (!digit.tensor.data.every(Number.isFinite)) throw new Error("non-finite values in the 28×28 result");
  },
};

// ---------------------------------------------------------------------------------------------------------------
// ONNX.
// ---------------------------------------------------------------------------------------------------------------

let onnxSeedList: Uint8Array[] | undefined;
const onnxSeeds = () =>
  (onnxSeedList ??= (() => {
    manualSeed(0);
    const seed = exportOnnx(new SpecModel(presetSpec("seed")));
    const small = exportOnnx(new SpecModel(SPEC_SEEDS[2]), { batch: 1 });
    return [seed, small];
  })());

const onnx: FuzzTarget<{ seed: number; edits: ByteEdit[] }> = {
  name: "onnx",
  arbitrary: fc.record({ seed: fc.nat(), edits: byteEdits(4) }),
  build: (d) => applyEdits(onnxSeeds()[d.seed % onnxSeeds().length], d.edits),
  run(input) {
    decodeOnnxModel(input as Uint8Array, "fuzz.onnx");
    const saved = { ...modelLimits };
    Object.assign(modelLimits, FUZZ_LIMITS);
    try {
      importOnnx(input as Uint8Array, "fuzz.onnx");
    } finally {
      Object.assign(modelLimits, saved);
    }
  },
};

/** Every target, in the order the passes run them. */
export const TARGETS: FuzzTarget[] = [idxRaw, idxGzip, safetensors, spec, image, preprocess, onnx] as FuzzTarget[];

/** Tallies of a pass over one target. */
export interface FuzzStats {
  tried: number;
  values: number;
  errors: Map<string, number>;
  failures: { problem: string; description: unknown; input: unknown }[];
  slowestMs: number;
}

/**
 * Runs `target` for `ms` milliseconds or `maxRuns` inputs, whichever comes first, drawing inputs with fast-check
 * from `seed` on; keeps going after a failure, so one pass finds every kind of failure it can.
 */
export function fuzzFor(
  target: FuzzTarget,
  options: { ms: number; maxRuns?: number; seed?: number; limit?: number },
): FuzzStats {
  const stats: FuzzStats = { tried: 0, values: 0, errors: new Map(), failures: [], slowestMs: 0 };
  const end = performance.now() + options.ms;
  let seed = options.seed ?? 1;
  const maxRuns = options.maxRuns ?? Infinity;
  while (performance.now() < end && stats.tried < maxRuns) {
    const batch = fc.sample(target.arbitrary, { numRuns: 20, seed: seed++ });
    for (const description of batch) {
      if (performance.now() >= end || stats.tried >= maxRuns) break;
      let input: unknown;
      try {
        input = target.build(description);
      } catch (error) {
        throw new Error(`the fuzz target ${target.name} could not build an input: ${describeError(error)}`, {
          cause: error,
        });
      }
      const outcome = runOnce(target, input, options.limit);
      stats.tried++;
      stats.slowestMs = Math.max(stats.slowestMs, outcome.ms);
      if (outcome.kind === "value") stats.values++;
      else if (outcome.kind === "error") stats.errors.set(outcome.code, (stats.errors.get(outcome.code) ?? 0) + 1);
      else stats.failures.push({ problem: outcome.problem, description, input });
    }
  }
  return stats;
}
