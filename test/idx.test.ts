import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "fflate";
import {
  checkMnistPair,
  IdxError,
  parseIdx,
  parseMnistImages,
  parseMnistLabels,
  type IdxArray,
} from "../src/data/idx.js";
import { idxBytes } from "./helpers/idx.js";

const images = () => idxBytes([6, 28, 28]);
const labels = (values = [5, 0, 4, 1, 9, 2]) => idxBytes([values.length], Uint8Array.from(values));
const SRC = "data/MNIST/raw/train-images-idx3-ubyte";

/** Asserts an IdxError whose message names the file and contains every fragment. */
function throwsIdx(fn: () => unknown, source: string, ...fragments: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof IdxError, `expected IdxError, got ${String(error)}`);
    assert.equal(error.source, source);
    assert.ok(error.message.includes(source), `message does not name the file: ${error.message}`);
    for (const fragment of fragments)
      assert.ok(error.message.includes(fragment), `missing "${fragment}": ${error.message}`);
    return true;
  });
}

test("parses raw MNIST images and labels", () => {
  const bytes = images();
  const parsed = parseMnistImages(bytes, SRC);
  assert.deepEqual(parsed.dims, [6, 28, 28]);
  assert.equal(parsed.data.length, 6 * 28 * 28);
  assert.deepEqual(parsed.data, bytes.subarray(16));
  const parsedLabels = parseMnistLabels(labels(), "labels");
  assert.deepEqual(parsedLabels.dims, [6]);
  assert.deepEqual([...parsedLabels.data], [5, 0, 4, 1, 9, 2]);
});

test("parses gzip'ed IDX the same as raw", () => {
  const raw = images();
  const fromGzip = parseMnistImages(gzipSync(raw), `${SRC}.gz`);
  assert.deepEqual(fromGzip, parseMnistImages(raw, SRC));
  assert.deepEqual(parseIdx(gzipSync(labels()), "l.gz").dims, [6]);
});

test("parseIdx accepts any rank of unsigned bytes", () => {
  const parsed: IdxArray = parseIdx(idxBytes([2, 3, 4, 5]), "x");
  assert.deepEqual(parsed.dims, [2, 3, 4, 5]);
  assert.equal(parsed.data.length, 120);
});

test("wrong magic names the file and guesses the mix-up", () => {
  throwsIdx(() => parseMnistImages(labels(), SRC), SRC, "magic number 2049 is not 2051", "is this a label file?");
  const labelSrc = "data/MNIST/raw/train-labels-idx1-ubyte";
  throwsIdx(() => parseMnistLabels(images(), labelSrc), labelSrc, "magic number 2051 is not 2049", "image file?");
});

test("rejects non-IDX content such as an HTML error page", () => {
  const html = new TextEncoder().encode("<html><body>404 Not Found</body></html>");
  throwsIdx(() => parseIdx(html, SRC), SRC, "not the two zero bytes", "download again");
  throwsIdx(() => parseMnistImages(html, SRC), SRC, "magic number", "download again");
});

test("rejects type codes other than unsigned byte", () => {
  const floats = idxBytes([2]);
  floats[2] = 0x0d;
  throwsIdx(() => parseIdx(floats, SRC), SRC, "type code 0x0d (float32)", "0x08");
});

test("truncated files say how many bytes were expected and found", () => {
  const bytes = images();
  throwsIdx(() => parseMnistImages(bytes.subarray(0, bytes.length - 100), SRC), SRC, "truncated", "4704", "4604");
  throwsIdx(() => parseMnistImages(bytes.subarray(0, 10), SRC), SRC, "truncated", "16-byte");
  throwsIdx(() => parseIdx(new Uint8Array(2), SRC), SRC, "truncated");
  throwsIdx(() => parseIdx(new Uint8Array(0), SRC), SRC, "truncated");
});

test("trailing bytes are an error", () => {
  const bytes = images();
  const padded = new Uint8Array(bytes.length + 3);
  padded.set(bytes);
  throwsIdx(() => parseMnistImages(padded, SRC), SRC, "3 unexpected trailing bytes", "download again");
});

test("a damaged gzip stream is an error naming the file", () => {
  const source = `${SRC}.gz`;
  const gz = gzipSync(images());
  throwsIdx(() => parseIdx(gz.subarray(0, gz.length - 30), source), source, "is not a valid gzip stream", "delete it");
  const badCrc = gz.slice();
  badCrc[badCrc.length - 6] ^= 0xff;
  throwsIdx(() => parseIdx(badCrc, source), source, "is not a valid gzip stream (CRC-32 mismatch)");
  const badSize = gz.slice();
  badSize[badSize.length - 4] ^= 0x01;
  throwsIdx(() => parseIdx(badSize, source), source, "is not a valid gzip stream (trailer says");
  throwsIdx(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 0x08), source), source, "is not a valid gzip stream");
});

test("labels outside 0..9 are rejected with their index", () => {
  const source = "t10k-labels-idx1-ubyte";
  throwsIdx(() => parseMnistLabels(labels([1, 2, 10, 3]), source), source, "label 10 at index 2", "0..9");
});

test("images that are not 28x28 are rejected", () => {
  const small = idxBytes([2, 8, 8]);
  small[3] = 3;
  throwsIdx(() => parseMnistImages(small, SRC), SRC, "8x8, not 28x28");
});

test("checkMnistPair rejects differing counts", () => {
  const source = "data/MNIST/raw/train-*";
  const parsedImages = parseMnistImages(images(), SRC);
  checkMnistPair(parsedImages, parseMnistLabels(labels(), "l"), source);
  const five = parseMnistLabels(labels([1, 2, 3, 4, 5]), "l");
  throwsIdx(() => checkMnistPair(parsedImages, five, source), source, "6 images but 5 labels");
});
