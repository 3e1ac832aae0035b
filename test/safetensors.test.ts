import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  type SafetensorsErrorCode,
} from "../src/io/safetensors.js";
import { loadSafetensorsFile, saveSafetensorsFile } from "../src/node/safetensors-file.js";
import { Tensor } from "../src/tensor/tensor.js";

const SOURCE = "model.safetensors";

/** A file built by hand: the 8-byte little-endian length of `header` (taken as is, padding included), then data. */
function file(header: string, data: ArrayLike<number> = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Asserts that `run` throws a SafetensorsError of `code` whose message contains every one of `needles`. */
function assertFails(run: () => unknown, code: SafetensorsErrorCode, ...needles: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof SafetensorsError, `expected a SafetensorsError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const needle of needles) assert.ok(error.message.includes(needle), `'${needle}' not in: ${error.message}`);
    return true;
  });
}

function f32(values: number[], shape: number[] = [values.length]): Tensor {
  return new Tensor(new Float32Array(values), shape);
}

describe("safetensors round trip", () => {
  test("keeps values, shapes, dtypes and metadata", () => {
    const tensors: Record<string, Tensor> = {
      "conv1.weight": f32([0.1, -0.2, 0.3, 1e-30, -4e30, 6], [1, 2, 3]),
      "conv1.bias": f32([Infinity, -0]),
      "bn.eps": f32([1e-5], []),
      "fc.weight": new Tensor(new Float64Array([Math.PI, -Math.E, 1 / 3, Number.MIN_VALUE]), [2, 2]),
      labels: new Tensor(new Int32Array([0, -1, 2147483647, -2147483648]), [4]),
      empty: f32([], [0, 3]),
      "0": f32([7]),
      "名前.ü": f32([8]),
    };
    const metadata = { format: "pt", note: 'quotes " and \\ and ünïcode', "": "empty key" };
    const bytes = encodeSafetensors(tensors, metadata);
    const { tensors: back, metadata: backMetadata } = decodeSafetensors(bytes, SOURCE);

    assert.deepEqual(backMetadata, metadata);
    assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      assert.equal(back[name].dtype, tensor.dtype, name);
      assert.deepEqual(back[name].shape, tensor.shape, name);
      assert.deepEqual(Array.from(back[name].data), Array.from(tensor.data), name);
      assert.equal(back[name].requiresGrad, false);
    }
    assert.ok(Object.is(back["conv1.bias"].data[1], -0));
    // The data starts 8-aligned, as the writer pads the header with spaces.
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0);
    assert.match(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)), /^\{.*\} *$/);
  });

  test("no metadata decodes to an empty map and writes no __metadata__ key", () => {
    const bytes = encodeSafetensors({ a: f32([1]) });
    assert.ok(!new TextDecoder().decode(bytes).includes("__metadata__"));
    assert.deepEqual(decodeSafetensors(bytes).metadata, {});
  });

  test("reads from a Uint8Array that is a view at an odd offset of a larger buffer", () => {
    const bytes = encodeSafetensors({ w: f32([1.5, -2.5, 3.25]) });
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 1);
    const { tensors } = decodeSafetensors(big.subarray(1, 1 + bytes.length));
    assert.deepEqual(Array.from(tensors.w.data), [1.5, -2.5, 3.25]);
  });

  test("a tensor named __proto__ is stored as a key, not as the prototype", () => {
    const tensors: Record<string, Tensor> = {};
    Object.defineProperty(tensors, "__proto__", { value: f32([1]), enumerable: true });
    const back = decodeSafetensors(encodeSafetensors(tensors)).tensors;
    assert.deepEqual(Object.keys(back), ["__proto__"]);
    assert.ok(Object.getOwnPropertyDescriptor(back, "__proto__")?.value instanceof Tensor);
  });

  test("refuses a tensor named __metadata__ and non-string metadata", () => {
    assertFails(() => encodeSafetensors({ __metadata__: f32([1]) }), "E_SAFETENSORS_INVALID_TENSORS", "'__metadata__'");
    const bad = { epoch: 3 } as unknown as Record<string, string>;
    assertFails(
      () => encodeSafetensors({ a: f32([1]) }, bad),
      "E_SAFETENSORS_INVALID_TENSORS",
      "'epoch'",
      "string",
      "3",
    );
  });
});

describe("safetensors byte layout", () => {
  test("matches a file built by hand from the spec", () => {
    const bytes = encodeSafetensors(
      {
        b: f32([1, -2]),
        a: new Tensor(new Int32Array([1, 2, -1]), [3]),
        c: new Tensor(new Float64Array([0.5]), [1, 1]),
        a2: f32([0.25]),
      },
      { z: "last", format: "pt" },
    );
    // F64 before F32 before I32 (the Rust Dtype order, descending), then names; metadata keys sorted.
    const header =
      '{"__metadata__":{"format":"pt","z":"last"},' +
      '"c":{"dtype":"F64","shape":[1,1],"data_offsets":[0,8]},' +
      '"a2":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},' +
      '"a":{"dtype":"I32","shape":[3],"data_offsets":[20,32]}}';
    assert.equal(header.length, 263);
    const padded = header + " ";
    const data = [
      ...[0, 0, 0, 0, 0, 0, 0xe0, 0x3f], // 0.5 as f64
      ...[0, 0, 0x80, 0x3e], // 0.25
      ...[0, 0, 0x80, 0x3f], // 1
      ...[0, 0, 0, 0xc0], // -2
      ...[1, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], // 1, 2, -1 as i32
    ];
    assert.deepEqual(Array.from(bytes), Array.from(file(padded, data)));
    assert.deepEqual(Array.from(bytes.subarray(0, 8)), [8, 1, 0, 0, 0, 0, 0, 0]);
  });

  test("matches the reference library's own serialization cases", () => {
    // A 64-byte header needs no padding; then 0..5 as f32.
    const values = [0, 1, 2, 3, 4, 5];
    const expected = file(
      '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}',
      new Uint8Array(new Float32Array(values).buffer),
    );
    assert.deepEqual(Array.from(encodeSafetensors({ "attn.0": f32(values, [1, 2, 3]) })), Array.from(expected));
    // No tensors: "{}" padded to 8; with metadata, the metadata map alone.
    assert.deepEqual(Array.from(encodeSafetensors({})), Array.from(file("{}      ")));
    assert.deepEqual(
      Array.from(encodeSafetensors({}, { framework: "pt" })),
      Array.from(file('{"__metadata__":{"framework":"pt"}}     ')),
    );
  });

  test("orders names by code point like Rust, and keeps integer-like names in order", () => {
    const bytes = encodeSafetensors({ "\u{ff5e}": f32([1]), "\u{1f600}": f32([2]), "10": f32([3]), "9": f32([4]) });
    const text = new TextDecoder().decode(bytes);
    const order = ['"10"', '"9"', '"\u{ff5e}"', '"\u{1f600}"'].map((key) => text.indexOf(key));
    assert.deepEqual(
      order,
      [...order].sort((x, y) => x - y),
    );
  });
});

describe("safetensors dtype conversion", () => {
  test("F16 decodes to float32", () => {
    const halves = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0xfc00, 0x8000, 0x0400, 0x7e00];
    const data = halves.flatMap((h) => [h & 0xff, h >> 8]);
    const bytes = file(`{"h":{"dtype":"F16","shape":[2,5],"data_offsets":[0,20]}}`, data);
    const { h } = decodeSafetensors(bytes).tensors;
    assert.equal(h.dtype, "float32");
    assert.deepEqual(h.shape, [2, 5]);
    const expected = [1, -2, 65504, 2 ** -24, 0.333251953125, Infinity, -Infinity, -0, 2 ** -14, NaN];
    expected.forEach((value, i) => assert.ok(Object.is(h.data[i], value), `element ${i}: ${h.data[i]} != ${value}`));
  });

  test("BF16 decodes to float32", () => {
    const brains = [0x3f80, 0xc0a0, 0x3eab, 0x7f80, 0x0001, 0x8000, 0x7fc0];
    const data = brains.flatMap((h) => [h & 0xff, h >> 8]);
    const bytes = file(`{"b":{"dtype":"BF16","shape":[7],"data_offsets":[0,14]}}`, data);
    const { b } = decodeSafetensors(bytes).tensors;
    assert.equal(b.dtype, "float32");
    const expected = [1, -5, 0.333984375, Infinity, 2 ** -133, -0, NaN];
    expected.forEach((value, i) => assert.ok(Object.is(b.data[i], value), `element ${i}: ${b.data[i]} != ${value}`));
  });

  test("I64 decodes to int32 when the values fit", () => {
    const view = new DataView(new ArrayBuffer(24));
    [5n, -2147483648n, 2147483647n].forEach((v, i) => view.setBigInt64(8 * i, v, true));
    const bytes = file(`{"y":{"dtype":"I64","shape":[3],"data_offsets":[0,24]}}`, new Uint8Array(view.buffer));
    const { y } = decodeSafetensors(bytes).tensors;
    assert.equal(y.dtype, "int32");
    assert.deepEqual(Array.from(y.data), [5, -2147483648, 2147483647]);
  });

  test("I64 outside the int32 range is an error naming the key and value", () => {
    const view = new DataView(new ArrayBuffer(16));
    view.setBigInt64(8, 2147483648n, true);
    const bytes = file(`{"steps":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}`, new Uint8Array(view.buffer));
    assertFails(
      () => decodeSafetensors(bytes, SOURCE),
      "E_SAFETENSORS_VALUE_OUT_OF_RANGE",
      SOURCE,
      "'steps'",
      "2147483648",
      "int32",
    );
  });

  test("other dtypes are errors naming the key and dtype", () => {
    for (const [dtype, size] of [
      ["BOOL", 1],
      ["U8", 1],
      ["I8", 1],
      ["I16", 2],
      ["U16", 2],
      ["U32", 4],
      ["U64", 8],
      ["F8_E4M3", 1],
      ["F8_E5M2", 1],
    ] as const) {
      const bytes = file(`{"mask":{"dtype":"${dtype}","shape":[2],"data_offsets":[0,${2 * size}]}}`, [
        ...new Uint8Array(2 * size),
      ]);
      assertFails(() => decodeSafetensors(bytes, SOURCE), "E_SAFETENSORS_UNSUPPORTED_DTYPE", SOURCE, "'mask'", dtype);
    }
  });
});

describe("safetensors bad input", () => {
  const decode = (bytes: Uint8Array) => () => decodeSafetensors(bytes, SOURCE);

  test("a file shorter than the 8-byte length", () => {
    assertFails(
      decode(new Uint8Array(5)),
      "E_SAFETENSORS_HEADER_TOO_SMALL",
      SOURCE,
      "header length",
      "5 bytes",
      "8-byte",
    );
    assertFails(decode(new Uint8Array(0)), "E_SAFETENSORS_HEADER_TOO_SMALL", SOURCE);
  });

  test("a header length beyond the end of the file", () => {
    const bytes = file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]);
    const truncated = bytes.subarray(0, 20);
    assertFails(
      decode(truncated),
      "E_SAFETENSORS_INVALID_HEADER_LENGTH",
      SOURCE,
      "header length",
      "54 bytes",
      "only 12",
      "truncated",
    );
  });

  test("a header length over the 100 MB limit", () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 63n, true);
    assertFails(
      decode(bytes),
      "E_SAFETENSORS_HEADER_TOO_LARGE",
      SOURCE,
      "header length",
      String(2n ** 63n),
      "100000000",
    );
  });

  test("a header that is not UTF-8", () => {
    const bytes = file("{}      ");
    bytes[10] = 0xff;
    assertFails(decode(bytes), "E_SAFETENSORS_INVALID_HEADER", SOURCE, "header", "UTF-8");
  });

  test("malformed JSON", () => {
    assertFails(
      decode(file('{"a": {"dtype": ')),
      "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION",
      SOURCE,
      "header",
      "JSON",
    );
  });

  test("a header that is not an object", () => {
    assertFails(decode(file("[1, 2]  ")), "E_SAFETENSORS_INVALID_HEADER_START", SOURCE, "header", "'{'", "[1, 2]");
    assertFails(decode(file(' {"a":1}')), "E_SAFETENSORS_INVALID_HEADER_START", SOURCE, "header");
    assertFails(decode(file("\ufeff{}")), "E_SAFETENSORS_INVALID_HEADER_START", SOURCE, "header");
    assertFails(decode(file('{"w": [1, 2]}')), "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION", SOURCE, "'w'", "[1,2]");
  });

  test("missing or mistyped tensor fields", () => {
    const cases: [string, string][] = [
      ['{"w":{"shape":[1],"data_offsets":[0,4]}}', "dtype nothing"],
      ['{"w":{"dtype":"F32","data_offsets":[0,4]}}', "shape nothing"],
      ['{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', "shape [-1]"],
      ['{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', "shape [1.5]"],
      ['{"w":{"dtype":"F32","shape":[1]}}', "data_offsets nothing"],
      ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}', "data_offsets [0,4,8]"],
      ['{"w":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}', 'data_offsets ["0","4"]'],
    ];
    for (const [header, found] of cases) {
      assertFails(
        decode(file(header, [0, 0, 0, 0])),
        "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION",
        SOURCE,
        "'w'",
        found,
      );
    }
  });

  test("bad metadata", () => {
    assertFails(
      decode(file('{"__metadata__":{"epoch":3}}')),
      "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION",
      SOURCE,
      "'epoch'",
      "3",
    );
    assertFails(
      decode(file('{"__metadata__":[]}')),
      "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION",
      SOURCE,
      "'__metadata__'",
    );
    assert.deepEqual(decodeSafetensors(file('{"__metadata__":null}')).metadata, {});
  });

  test("an unknown dtype", () => {
    const bytes = file('{"fc.weight":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]);
    assertFails(
      decode(bytes),
      "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION",
      SOURCE,
      "'fc.weight'",
      '"F33"',
      "F32, C64, F64",
    );
  });

  test("a shape that does not match its offsets", () => {
    const bytes = file('{"fc1.weight":{"dtype":"F32","shape":[10,800],"data_offsets":[0,100]}}', new Uint8Array(100));
    assertFails(
      decode(bytes),
      "E_SAFETENSORS_TENSOR_INVALID_INFO",
      "model.safetensors: tensor 'fc1.weight' has data_offsets [0, 100] but shape [10, 800] of F32 needs 32000 " +
        "bytes; the file is corrupt or was not written by safetensors",
    );
  });

  test("a shape whose size overflows", () => {
    const bytes = file(`{"big":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`);
    assertFails(decode(bytes), "E_SAFETENSORS_VALIDATION_OVERFLOW", SOURCE, "'big'", "overflows");
    const huge = file(`{"big":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}`);
    assertFails(decode(huge), "E_SAFETENSORS_VALIDATION_OVERFLOW", SOURCE, "'big'");
  });

  test("overlapping offsets", () => {
    const header =
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}';
    assertFails(
      decode(file(header, new Uint8Array(12))),
      "E_SAFETENSORS_INVALID_OFFSET",
      SOURCE,
      "'b'",
      "[4, 12]",
      "byte 8",
      "overlap",
    );
  });

  test("gappy offsets", () => {
    const header =
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    assertFails(
      decode(file(header, new Uint8Array(12))),
      "E_SAFETENSORS_INVALID_OFFSET",
      SOURCE,
      "'b'",
      "after tensor 'a'",
      "gap of 4",
    );
    const late = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    assertFails(
      decode(file(late, new Uint8Array(8))),
      "E_SAFETENSORS_INVALID_OFFSET",
      SOURCE,
      "'a'",
      "first tensor",
      "byte 0",
    );
  });

  test("offsets whose end comes before their begin", () => {
    const reversed =
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}';
    assertFails(
      decode(file(reversed, new Uint8Array(4))),
      "E_SAFETENSORS_INVALID_OFFSET",
      SOURCE,
      "'b'",
      "[4, 0]",
      "end before",
    );
    const negative = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}}';
    assertFails(
      decode(file(negative, new Uint8Array(4))),
      "E_SAFETENSORS_INVALID_HEADER_DESERIALIZATION",
      SOURCE,
      "'b'",
      "[0,-4]",
    );
  });

  test("a data buffer longer or shorter than the offsets cover", () => {
    const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    assertFails(
      decode(file(header, new Uint8Array(12))),
      "E_SAFETENSORS_METADATA_INCOMPLETE_BUFFER",
      SOURCE,
      "'w'",
      "byte 8",
      "4 of them",
    );
    assertFails(
      decode(file(header, new Uint8Array(6))),
      "E_SAFETENSORS_METADATA_INCOMPLETE_BUFFER",
      SOURCE,
      "'w'",
      "only 6",
      "truncated",
    );
    assertFails(decode(file("{}", [1])), "E_SAFETENSORS_METADATA_INCOMPLETE_BUFFER", SOURCE, "no tensors");
  });

  test("a missing file", () => {
    const path = join(tmpdir(), "convlab-no-such-dir", "model.safetensors");
    assertFails(
      () => loadSafetensorsFile(path),
      "E_SAFETENSORS_FILE_NOT_FOUND",
      `no such file: ${path}`,
      "convlab train",
      ".safetensors",
    );
    assertFails(() => loadSafetensorsFile(tmpdir()), "E_SAFETENSORS_FILE_NOT_FOUND", tmpdir(), "directory");
  });

  test("a corrupt file names its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "convlab-safetensors-"));
    try {
      const path = join(dir, "truncated.safetensors");
      const bytes = encodeSafetensors({ w: f32([1, 2]) });
      writeFileSync(path, bytes.subarray(0, bytes.length - 1));
      assertFails(
        () => loadSafetensorsFile(path),
        "E_SAFETENSORS_METADATA_INCOMPLETE_BUFFER",
        path,
        "'w'",
        "truncated",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("safetensors files", () => {
  test("save and load through the file system", () => {
    const dir = mkdtempSync(join(tmpdir(), "convlab-safetensors-"));
    try {
      const path = join(dir, "nested", "model.safetensors");
      const tensors = { "fc.weight": f32([1, 2, 3, 4], [2, 2]), "fc.bias": f32([0.5, -0.5]) };
      saveSafetensorsFile(path, tensors, { epoch: "3" });
      assert.deepEqual(Array.from(readFileSync(path)), Array.from(encodeSafetensors(tensors, { epoch: "3" })));
      const back = loadSafetensorsFile(path);
      assert.deepEqual(back.metadata, { epoch: "3" });
      assert.deepEqual(Array.from(back.tensors["fc.weight"].data), [1, 2, 3, 4]);
      assert.deepEqual(back.tensors["fc.weight"].shape, [2, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("reads the fixture written by the Python script identically", () => {
    const fixtures = new URL("./fixtures/safetensors/", import.meta.url);
    const path = new URL("small.safetensors", fixtures).pathname;
    const expected = JSON.parse(readFileSync(new URL("small.json", fixtures), "utf8")) as {
      metadata: Record<string, string>;
      tensors: Record<string, { dtype: string; convlab_dtype: string; shape: number[]; values: number[] }>;
      subset: string[];
      subset_base64: string;
    };
    const { tensors, metadata } = loadSafetensorsFile(path);
    assert.deepEqual(metadata, expected.metadata);
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(expected.tensors).sort());
    const dtypes = new Set(Object.values(expected.tensors).map((t) => t.dtype));
    assert.deepEqual([...dtypes].sort(), ["BF16", "F16", "F32", "F64", "I32", "I64"]);
    for (const [name, want] of Object.entries(expected.tensors)) {
      assert.equal(tensors[name].dtype, want.convlab_dtype, name);
      assert.deepEqual(tensors[name].shape, want.shape, name);
      assert.deepEqual(Array.from(tensors[name].data), want.values, name);
    }
    // The writer must reproduce, byte for byte, what the script wrote for the dtypes convlab stores.
    const subset = Object.fromEntries(expected.subset.map((name) => [name, tensors[name]]));
    const encoded = encodeSafetensors(subset, metadata);
    assert.deepEqual(Buffer.from(encoded).toString("base64"), expected.subset_base64);
  });
});
