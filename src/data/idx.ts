import { gunzipSync } from "fflate";

/** A decoded IDX file: its dimensions, outermost first, and its elements in row-major order. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** A file that is not the IDX data it should be. The message names the file and says how to fix it. */
export class IdxError extends Error {
  /** The file (or other origin) the bad bytes came from, as the caller named it. */
  readonly source: string;

  constructor(message: string, source: string) {
    super(message);
    this.name = "IdxError";
    this.source = source;
  }
}

const REFETCH = "delete it and download again";
const UNSIGNED_BYTE = 0x08;
const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};
const IMAGES_MAGIC = 0x00000803;
const LABELS_MAGIC = 0x00000801;
const MNIST_SIDE = 28;

/**
 * Decodes an IDX file of unsigned bytes (type code 0x08), gunzipping it first when it starts with the gzip magic
 * bytes, so `.gz` files as downloaded and the uncompressed files torchvision extracts both work.
 *
 * @param bytes - the file's content, raw or gzip'ed; `data` of the result may share its memory.
 * @param source - names the file in error messages (usually its path).
 * @throws {@link IdxError} when the bytes are not a complete, well-formed IDX file.
 */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  return parseRaw(decompress(bytes, source), source);
}

/**
 * Decodes an MNIST image file (magic number 2051): `dims` is `[N, 28, 28]`, one byte per pixel, 0 = background.
 *
 * @throws {@link IdxError} when the file is not an MNIST image file, naming the file and the fix.
 */
export function parseMnistImages(bytes: Uint8Array, source: string): IdxArray {
  const raw = decompress(bytes, source);
  checkMagic(raw, IMAGES_MAGIC, "an IDX image file", source);
  const images = parseRaw(raw, source);
  const [, rows, cols] = images.dims;
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) {
    throw new IdxError(
      `${source}: images are ${rows}x${cols}, not ${MNIST_SIDE}x${MNIST_SIDE}; this is not an MNIST image file, ` +
        REFETCH,
      source,
    );
  }
  return images;
}

/**
 * Decodes an MNIST label file (magic number 2049): `dims` is `[N]`, each label a digit 0..9.
 *
 * @throws {@link IdxError} when the file is not an MNIST label file or holds a label outside 0..9.
 */
export function parseMnistLabels(bytes: Uint8Array, source: string): IdxArray {
  const raw = decompress(bytes, source);
  checkMagic(raw, LABELS_MAGIC, "an IDX label file", source);
  const labels = parseRaw(raw, source);
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad >= 0) {
    throw new IdxError(
      `${source}: label ${labels.data[bad]} at index ${bad} is outside 0..9; the file is corrupt or not an MNIST ` +
        `label file, ${REFETCH}`,
      source,
    );
  }
  return labels;
}

/**
 * Checks that an image file and a label file describe the same examples, which a mix of splits (train images
 * with t10k labels) or a damaged file would break silently otherwise.
 *
 * @param source - names the pair in the error message, e.g. `data/MNIST/raw/train-*-ubyte`.
 * @throws {@link IdxError} when the image and label counts differ.
 */
export function checkMnistPair(images: IdxArray, labels: IdxArray, source: string): void {
  const [imageCount] = images.dims;
  const [labelCount] = labels.dims;
  if (imageCount !== labelCount) {
    throw new IdxError(
      `${source}: ${imageCount} images but ${labelCount} labels; the image and label files come from different ` +
        `splits or one of them is corrupt, ${REFETCH}`,
      source,
    );
  }
}

function decompress(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const invalid = (reason: string) =>
    new IdxError(`${source} is not a valid gzip stream (${reason}); ${REFETCH}`, source);
  let out: Uint8Array;
  try {
    out = gunzipSync(bytes);
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  // fflate trusts the gzip trailer without checking it, so a damaged stream could decode to plausible garbage.
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  const size = trailer.getUint32(4, true);
  if (out.length % 2 ** 32 !== size) throw invalid(`trailer says ${size} bytes, the stream holds ${out.length}`);
  if (crc32(out) !== trailer.getUint32(0, true)) throw invalid("CRC-32 mismatch");
  return out;
}

function checkMagic(raw: Uint8Array, expected: number, kind: string, source: string): void {
  if (raw.length < 4) throw tooShort(raw, 4, source);
  const magic = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, false);
  if (magic === expected) return;
  const hint =
    magic === LABELS_MAGIC ? "is this a label file?" : magic === IMAGES_MAGIC ? "is this an image file?" : REFETCH;
  throw new IdxError(`${source}: magic number ${magic} is not ${expected} (${kind}); ${hint}`, source);
}

function parseRaw(raw: Uint8Array, source: string): IdxArray {
  if (raw.length < 4) throw tooShort(raw, 4, source);
  if (raw[0] !== 0 || raw[1] !== 0) {
    // An HTML error page saved under the data file's name is the usual culprit.
    throw new IdxError(
      `${source}: starts with bytes 0x${hex(raw[0])} 0x${hex(raw[1])}, not the two zero bytes of an IDX file; ` +
        `it is not an IDX file (an error page saved by a failed download?), ${REFETCH}`,
      source,
    );
  }
  const type = raw[2];
  if (type !== UNSIGNED_BYTE) {
    const name = TYPE_NAMES[type] ?? "unknown";
    throw new IdxError(
      `${source}: IDX type code 0x${hex(type)} (${name}) is not 0x08 (unsigned byte); only unsigned-byte IDX files ` +
        `such as MNIST's are supported`,
      source,
    );
  }
  const rank = raw[3];
  if (rank === 0) throw new IdxError(`${source}: IDX header declares 0 dimensions; ${REFETCH}`, source);
  const headerLength = 4 + 4 * rank;
  if (raw.length < headerLength) throw tooShort(raw, headerLength, source);
  const view = new DataView(raw.buffer, raw.byteOffset, headerLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((product, dim) => product * dim, 1);
  const found = raw.length - headerLength;
  const shape = `[${dims.join(", ")}]`;
  if (found < expected) {
    throw new IdxError(
      `${source}: truncated: dims ${shape} need ${expected} bytes of data after the ${headerLength}-byte header, ` +
        `found ${found}; ${REFETCH}`,
      source,
    );
  }
  if (found > expected) {
    throw new IdxError(
      `${source}: ${found - expected} unexpected trailing bytes after the ${expected} bytes of data that dims ` +
        `${shape} describe (expected ${headerLength + expected} bytes in all, found ${raw.length}); ${REFETCH}`,
      source,
    );
  }
  return { dims, data: raw.subarray(headerLength) };
}

function tooShort(raw: Uint8Array, needed: number, source: string): IdxError {
  return new IdxError(
    `${source}: truncated: ${raw.length} bytes is shorter than the ${needed}-byte IDX header; ${REFETCH}`,
    source,
  );
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
