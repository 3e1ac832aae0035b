/**
 * Writes test/fixtures/fuzz/: one small file for each hostile input of issue 12 (and each failure the fuzz passes
 * found), and cases.json, which says for each file the parser that reads it, the code it must fail with, and what
 * it is. test/limits.test.ts replays them all. Run it again after adding a case:
 *
 *   node --import tsx scripts/make-fuzz-corpus.ts
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { encodeOnnxModel } from "../src/io/onnx-proto.js";
import { onnxModelOf } from "../src/models/onnx-export.js";
import { pngChunk } from "../src/data/gray-png.js";
import { presetSpec } from "../src/models/presets.js";
import { SpecModel, type ModelSpec } from "../src/models/spec.js";
import { manualSeed } from "../src/tensor/random.js";
import {
  applyImageEdits,
  handmadeSafetensors,
  imageSeeds,
  lyingGzip,
  pngFile,
  zeroBomb,
  type ImageEdit,
} from "../test/helpers/fuzz.js";
import { idxBytes } from "../test/helpers/idx.js";

/** One replayed case: the file, the parser, the code expected, and which item of the issue it comes from. */
export interface CorpusCase {
  file: string;
  parser: "idx-images" | "idx-labels" | "idx" | "safetensors" | "spec" | "image" | "onnx";
  code: string;
  why: string;
}

const DIR = join(import.meta.dirname, "..", "test", "fixtures", "fuzz");
const cases: CorpusCase[] = [];
function add(file: string, parser: CorpusCase["parser"], code: string, why: string, bytes: Uint8Array | string): void {
  writeFileSync(join(DIR, file), bytes);
  cases.push({ file, parser, code, why });
}

mkdirSync(DIR, { recursive: true });

// 1. gzip bombs.
add(
  "gzip-bomb-18-bytes.gz",
  "idx-labels",
  "E_IDX_GZIP",
  "issue 12 (1): 18 bytes whose trailer claims 4 GiB − 1 of zeros (and their CRC, 0); fflate's gunzipSync allocated all of it",
  lyingGzip(new Uint8Array(0), 0xffffffff, 0),
);
add(
  "gzip-bomb-zeros.gz",
  "idx-labels",
  "E_IDX_TOO_LARGE",
  "issue 12 (1): a label header for 60,000 labels, then 64 MB of zeros in 64 kB: stopped after the 60,008 declared bytes",
  zeroBomb([60000], 64 << 20),
);
add(
  "gzip-huge-dims.gz",
  "idx-images",
  "E_IDX_TOO_LARGE",
  "an image header declaring 4,294,967,295 images of 28×28 (3.4 TB): refused from the header, before inflating",
  zeroBomb([0xffffffff, 28, 28], 1024),
);
add(
  "idx-huge-dims",
  "idx",
  "E_IDX_TOO_LARGE",
  "an uncompressed header of rank 255 with every size 2^32 − 1: the product is Infinity",
  idxBytes(Array<number>(255).fill(0xffffffff), new Uint8Array(0)),
);

add(
  "idx-infinity-times-zero",
  "idx",
  "E_IDX_TRAILING",
  "found by the fuzz pass: dims whose product reaches Infinity, then a 0 (Infinity · 0 = NaN passed every size check)",
  idxBytes([...Array<number>(39).fill(0xffffffff), 0], Uint8Array.of(1, 2, 3, 4, 5)),
);

// 2. Deep JSON.
const DEPTH = 100_000;
add(
  "safetensors-deep-json.safetensors",
  "safetensors",
  "E_SAFETENSORS_HEADER_TOO_DEEP",
  "issue 12 (2): a header with a value nested 100,000 deep; was 'Maximum call stack size exceeded'",
  handmadeSafetensors(`{"w":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}}`, 0),
);
add(
  "safetensors-huge-length.safetensors",
  "safetensors",
  "E_SAFETENSORS_HEADER_TOO_LARGE",
  "a header length field of 2^64 − 1",
  (() => {
    const bytes = handmadeSafetensors("{}", 0);
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    return bytes;
  })(),
);
add(
  "safetensors-huge-shape.safetensors",
  "safetensors",
  "E_SAFETENSORS_TENSOR_INVALID_INFO",
  "a tensor whose shape claims 4e9 × 4e9 F32 values while its data is 4 bytes: refused before allocating",
  handmadeSafetensors('{"w":{"dtype":"F32","shape":[4000000000,4000],"data_offsets":[0,4]}}', 4),
);
add(
  "spec-deep.json",
  "spec",
  "E_SPEC_INVALID",
  "issue 12 (2): a spec nested 100,000 deep; overflowed the stack in the validator's message formatting",
  `{"layers":[{"type":"Conv2d","in_channels":1,"out_channels":1,"kernel_size":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}}]}`,
);

// 3. Huge models.
const huge = (spec: ModelSpec) => JSON.stringify(spec, null, 1);
add(
  "spec-1e9-channels.json",
  "spec",
  "E_SPEC_TOO_LARGE",
  "issue 12 (3): 1e9 output channels; was RangeError: Invalid typed array length: 9000000000",
  huge({ layers: [{ type: "Conv2d", in_channels: 1, out_channels: 1e9, kernel_size: 3 }] }),
);
const seed = presetSpec("seed");
seed.layers = seed.layers.map((layer) =>
  "name" in layer && layer.name === "fc1" ? { ...layer, out_features: 1_000_000 } : layer,
);
add(
  "spec-linear-800-1e6.json",
  "spec",
  "E_SPEC_TOO_LARGE",
  "issue 12 (3): the tutorial's model with Linear(800, 1e6): built for 36 s and 3.2 GB before",
  huge(seed),
);
add(
  "spec-huge-activations.json",
  "spec",
  "E_SPEC_TOO_LARGE",
  "a 20000×20000 input through a 64-channel convolution: 205 GB of activations at batch size 64",
  huge({ input: [1, 20000, 20000], layers: [{ type: "Conv2d", in_channels: 1, out_channels: 64, kernel_size: 3 }] }),
);
add(
  "spec-many-layers.json",
  "spec",
  "E_SPEC_TOO_LARGE",
  "2,000 ReLU layers, twice the most a spec may list",
  JSON.stringify({ layers: Array.from({ length: 2000 }, () => ({ type: "ReLU" })) }),
);

// 5. PNG bombs and cut files.
/** A zlib stream of exactly `length` bytes (stored blocks of a few zeros, padded). */
const idat17 = (() => {
  const data = deflateSync(new Uint8Array(3), { level: 0 });
  const out = new Uint8Array(17);
  out.set(data);
  return out;
})();
add(
  "png-32000x32000-74-bytes.png",
  "image",
  "E_IMAGE_TOO_LARGE",
  "issue 12 (5): 74 bytes claiming 32000×32000 pixels; ran 84 s to 11.5 GB, then predicted",
  pngFile({ width: 32000, height: 32000 }, idat17),
);
add(
  "png-65535x65535.png",
  "image",
  "E_IMAGE_TOO_LARGE",
  "issue 12 (5): a PNG claiming 65535×65535; took 18 s and 8.1 GB to fail",
  pngFile({ width: 65535, height: 65535, colour: 0 }, idat17),
);
/** A 64×64 picture of a digit-like stroke over a faint pattern, so that its IDAT is large enough to cut. */
const noisy = (() => {
  const png = new PNG({ width: 64, height: 64 });
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const i = 4 * (64 * y + x);
      const ink = Math.abs(x - 32) < 4 && y > 10 && y < 54;
      png.data.fill(ink ? 20 : 225 + ((x * 7 + y * 13) % 30), i, i + 3);
      png.data[i + 3] = 255;
    }
  }
  return new Uint8Array(PNG.sync.write(png));
})();
add(
  "png-idat-cut-95.png",
  "image",
  "E_IMAGE_TRUNCATED",
  "issue 12 (5): 95% of the IDAT data cut, length and CRC fixed; was accepted",
  (() => {
    const view = new DataView(noisy.buffer);
    let at = 8;
    while (String.fromCharCode(...noisy.subarray(at + 4, at + 8)) !== "IDAT") at += 12 + view.getUint32(at);
    const length = view.getUint32(at);
    const kept = noisy.subarray(at + 8, at + 8 + Math.floor(length * 0.05));
    const end = noisy.subarray(at + 12 + length);
    const out = new Uint8Array(at + 12 + kept.length + end.length);
    out.set(noisy.subarray(0, at));
    out.set(pngChunk("IDAT", kept), at);
    out.set(end, at + 12 + kept.length);
    return out;
  })(),
);
add(
  "png-truncated.png",
  "image",
  "E_IMAGE_TRUNCATED",
  "issue 12 (5): a PNG cut in the middle of its IDAT; showed pngjs's 'read requests waitng on finished stream'",
  noisy.subarray(0, Math.floor(noisy.length * 0.6)),
);
add(
  "png-no-iend.png",
  "image",
  "E_IMAGE_TRUNCATED",
  "a complete image whose last 12 bytes (IEND) are missing",
  noisy.subarray(0, noisy.length - 12),
);
const jpg = new Uint8Array(
  jpeg.encode({ width: 16, height: 16, data: new Uint8Array(16 * 16 * 4).fill(200) }, 90).data,
);
const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
const withSize = (width: number, height: number) => {
  const bytes = jpg.slice();
  new DataView(bytes.buffer).setUint16(sof + 5, height);
  new DataView(bytes.buffer).setUint16(sof + 7, width);
  return bytes;
};
add("jpeg-65535x65535.jpg", "image", "E_IMAGE_TOO_LARGE", "a JPEG frame header of 65535×65535", withSize(65535, 65535));
add(
  "jpeg-8000x8000-tiny.jpg",
  "image",
  "E_IMAGE_TRUNCATED",
  "found while fixing: a 16×16 JPEG relabelled 8000×8000 (under the pixel limit); jpeg-js took 8 s and 2 GB",
  withSize(8000, 8000),
);

// The fuzz pass's description of the input, replayed on the same seed (the 16×16 JPEG of test/helpers/fuzz.ts).
const hidden: ImageEdit[] = [
  { op: "size", width: 8192, height: 8192 },
  { op: "ihdrByte", index: 10, value: 234 },
  {
    op: "bytes",
    edits: [
      { op: "delete", at: 1616377623, length: 37 },
      { op: "flip", at: 424899034, bit: 6 },
    ],
    fixCrc: false,
  },
];
add(
  "jpeg-8192x8192-hidden-frame.jpg",
  "image",
  "E_IMAGE_TRUNCATED",
  "found by the fuzz pass: 8192×8192 in a frame header that a damaged segment hides from the size check; 4 s in jpeg-js",
  applyImageEdits(imageSeeds()[6], hidden),
);

// ONNX: sizes checked before allocating.
manualSeed(0);
const model = onnxModelOf(new SpecModel(presetSpec("seed")));
model.graph.initializer[0].dims = [1e9, 1, 3, 3];
model.graph.initializer[1].dims = [1e9];
add(
  "onnx-huge-dims.onnx",
  "onnx",
  "E_ONNX_INVALID",
  "a Conv weight whose dims claim 9e9 floats (36 GB), with the 144 of the real one: refused before allocating",
  encodeOnnxModel(model),
);

writeFileSync(join(DIR, "cases.json"), `${JSON.stringify(cases, null, 2)}\n`);
console.log(`wrote ${cases.length} cases to ${DIR}`);
