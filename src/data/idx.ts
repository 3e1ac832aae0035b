import { Inflate } from "fflate";
import { ConvlabError } from "../errors.js";
import { crc32 } from "../io/crc32.js";

/** A decoded IDX file: its dimensions, outermost first, and its elements in row-major order. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Options of the IDX parsers. */
export interface IdxOptions {
  /**
   * The most data bytes (after the header) a file may declare; a larger one is refused before any of it is inflated
   * or allocated. Default {@link MAX_IDX_BYTES}, 1 GiB: MNIST's training images are 47 MB, EMNIST's largest split 547 MB.
   */
  maxBytes?: number;
}

/** The default of {@link IdxOptions.maxBytes}: 1 GiB. */
export const MAX_IDX_BYTES = 2 ** 30;

/**
 * Why an IDX file was refused; stable, for programs and tests.
 *
 * | code | meaning |
 * |---|---|
 * | `E_IDX_MAGIC` | the first 4 bytes are not the magic number expected (or not an IDX file at all) |
 * | `E_IDX_TYPE` | an element type other than unsigned byte |
 * | `E_IDX_RANK` | a header with 0 dimensions |
 * | `E_IDX_TRUNCATED` | fewer bytes than the header declares |
 * | `E_IDX_TRAILING` | more bytes than the header declares (uncompressed file) |
 * | `E_IDX_TOO_LARGE` | the header declares more than `maxBytes`, or a gzip stream inflates past what its header declares |
 * | `E_IDX_GZIP` | a damaged gzip stream: bad header, deflate data, CRC-32 or size |
 * | `E_IDX_SHAPE` | MNIST images that are not 28×28 |
 * | `E_IDX_LABEL` | an MNIST label outside 0..9 |
 * | `E_IDX_PAIR` | image and label files of different lengths |
 */
export type IdxErrorCode =
  | "E_IDX_MAGIC"
  | "E_IDX_TYPE"
  | "E_IDX_RANK"
  | "E_IDX_TRUNCATED"
  | "E_IDX_TRAILING"
  | "E_IDX_TOO_LARGE"
  | "E_IDX_GZIP"
  | "E_IDX_SHAPE"
  | "E_IDX_LABEL"
  | "E_IDX_PAIR";

/** A file that is not the IDX data it should be. The message names the file and says how to fix it. */
export class IdxError extends ConvlabError {
  declare readonly code: IdxErrorCode;

  constructor(
    code: IdxErrorCode,
    /** The file (or other origin) the bad bytes came from, as the caller named it. */
    readonly source: string,
    message: string,
  ) {
    super(code, message);
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

/** What an MNIST parser expects of the file, checked as soon as the header is read (before the data is inflated). */
interface Expected {
  magic: number;
  kind: string;
  /** The sizes every dimension but the first must have (MNIST images: 28 × 28). */
  inner?: number[];
}

const IMAGES: Expected = { magic: IMAGES_MAGIC, kind: "an IDX image file", inner: [MNIST_SIDE, MNIST_SIDE] };
const LABELS: Expected = { magic: LABELS_MAGIC, kind: "an IDX label file", inner: [] };

/**
 * Decodes an IDX file of unsigned bytes (type code 0x08), gunzipping it first when it starts with the gzip magic
 * bytes, so `.gz` files as downloaded and the uncompressed files torchvision extracts both work.
 *
 * The header is checked before the data is read: a gzip stream is inflated piece by piece and stopped as soon as it
 * runs past the size its IDX header declares, so a small "decompression bomb" fails at once with `E_IDX_TOO_LARGE`,
 * never allocating more than the file honestly holds (the gzip trailer's size field is not trusted for that).
 *
 * @param bytes - the file's content, raw or gzip'ed; `data` of the result may share its memory.
 * @param source - names the file in error messages (usually its path).
 * @throws {@link IdxError} when the bytes are not a complete, well-formed IDX file.
 */
export function parseIdx(bytes: Uint8Array, source: string, options: IdxOptions = {}): IdxArray {
  return parse(bytes, source, undefined, options);
}

/**
 * Decodes an MNIST image file (magic number 2051): `dims` is `[N, 28, 28]`, one byte per pixel, 0 = background.
 *
 * @throws {@link IdxError} when the file is not an MNIST image file, naming the file and the fix.
 */
export function parseMnistImages(bytes: Uint8Array, source: string, options: IdxOptions = {}): IdxArray {
  return parse(bytes, source, IMAGES, options);
}

/**
 * Decodes an MNIST label file (magic number 2049): `dims` is `[N]`, each label a digit 0..9.
 *
 * @throws {@link IdxError} when the file is not an MNIST label file or holds a label outside 0..9.
 */
export function parseMnistLabels(bytes: Uint8Array, source: string, options: IdxOptions = {}): IdxArray {
  const labels = parse(bytes, source, LABELS, options);
  const bad = labels.data.findIndex((label) => label > 9);
  if (bad >= 0) {
    throw new IdxError(
      "E_IDX_LABEL",
      source,
      `${source}: label ${labels.data[bad]} at index ${bad} is outside 0..9; the file is corrupt or not an MNIST ` +
        `label file, ${REFETCH}`,
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
      "E_IDX_PAIR",
      source,
      `${source}: ${imageCount} images but ${labelCount} labels; the image and label files come from different ` +
        `splits or one of them is corrupt, ${REFETCH}`,
    );
  }
}

function parse(bytes: Uint8Array, source: string, expected: Expected | undefined, options: IdxOptions): IdxArray {
  const maxBytes = options.maxBytes ?? MAX_IDX_BYTES;
  const isGzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  const raw = isGzip ? gunzip(bytes, source, expected, maxBytes) : bytes;
  const header = readHeader(raw, source, expected, maxBytes, true)!;
  const { dims, headerLength, dataLength } = header;
  const found = raw.length - headerLength;
  const shape = `[${dims.join(", ")}]`;
  if (found < dataLength) {
    throw new IdxError(
      "E_IDX_TRUNCATED",
      source,
      `${source}: truncated: dims ${shape} need ${dataLength} bytes of data after the ${headerLength}-byte header, ` +
        `found ${found}; ${REFETCH}`,
    );
  }
  if (found > dataLength) {
    throw new IdxError(
      "E_IDX_TRAILING",
      source,
      `${source}: ${found - dataLength} unexpected trailing bytes after the ${dataLength} bytes of data that dims ` +
        `${shape} describe (expected ${headerLength + dataLength} bytes in all, found ${raw.length}); ${REFETCH}`,
    );
  }
  return { dims, data: raw.subarray(headerLength) };
}

/** An IDX header: the dims, the header's length (4 + 4·rank bytes) and the data's (the product of the dims). */
interface IdxHeader {
  dims: number[];
  headerLength: number;
  dataLength: number;
}

/**
 * Reads and checks the header at the start of `raw`: the magic number (the MNIST parsers), the two zero bytes,
 * the type code, the rank, the dims against `maxBytes` and MNIST's 28 × 28. Returns undefined while `raw` is a
 * prefix too short to hold the header and more may come (`final` false); when it is the whole file, that is
 * {@link IdxError} `E_IDX_TRUNCATED`.
 */
function readHeader(
  raw: Uint8Array,
  source: string,
  expected: Expected | undefined,
  maxBytes: number,
  final: boolean,
): IdxHeader | undefined {
  const need = (length: number) => {
    if (final) throw tooShort(raw, length, source);
    return undefined;
  };
  if (raw.length < 4) return need(4);
  if (expected !== undefined) checkMagic(raw, expected, source);
  if (raw[0] !== 0 || raw[1] !== 0) {
    // An HTML error page saved under the data file's name is the usual culprit.
    throw new IdxError(
      "E_IDX_MAGIC",
      source,
      `${source}: starts with bytes 0x${hex(raw[0])} 0x${hex(raw[1])}, not the two zero bytes of an IDX file; ` +
        `it is not an IDX file (an error page saved by a failed download?), ${REFETCH}`,
    );
  }
  const type = raw[2];
  if (type !== UNSIGNED_BYTE) {
    const name = TYPE_NAMES[type] ?? "unknown";
    throw new IdxError(
      "E_IDX_TYPE",
      source,
      `${source}: IDX type code 0x${hex(type)} (${name}) is not 0x08 (unsigned byte); only unsigned-byte IDX files ` +
        `such as MNIST's are supported`,
    );
  }
  const rank = raw[3];
  if (rank === 0) throw new IdxError("E_IDX_RANK", source, `${source}: IDX header declares 0 dimensions; ${REFETCH}`);
  const headerLength = 4 + 4 * rank;
  if (raw.length < headerLength) return need(headerLength);
  const view = new DataView(raw.buffer, raw.byteOffset, headerLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  // A product of up to 255 factors below 2^32 may leave the exact integers, even reach Infinity: then it is too
  // large. A zero anywhere makes it 0 (Infinity · 0 would be NaN, which no comparison refuses).
  const dataLength = dims.includes(0) ? 0 : dims.reduce((product, dim) => product * dim, 1);
  if (dataLength > maxBytes) {
    throw new IdxError(
      "E_IDX_TOO_LARGE",
      source,
      `${source}: the header declares dims [${dims.join(", ")}], ${dataLength.toLocaleString("en-US")} bytes of ` +
        `data, over the limit of ${maxBytes.toLocaleString("en-US")} (the maxBytes option); the file is corrupt ` +
        `(${REFETCH}) or larger than any MNIST-like dataset`,
    );
  }
  const inner = expected?.inner;
  if (inner !== undefined && dims.slice(1).join() !== inner.join()) {
    const found = dims.length === 3 ? `images are ${dims[1]}x${dims[2]}, not 28x28` : `dims are [${dims.join(", ")}]`;
    throw new IdxError(
      "E_IDX_SHAPE",
      source,
      `${source}: ${found}; this is not ${expected === IMAGES ? "an MNIST image file" : "an MNIST label file"}, ` +
        REFETCH,
    );
  }
  return { dims, headerLength, dataLength };
}

function checkMagic(raw: Uint8Array, expected: Expected, source: string): void {
  const magic = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0, false);
  if (magic === expected.magic) return;
  const hint =
    magic === LABELS_MAGIC ? "is this a label file?" : magic === IMAGES_MAGIC ? "is this an image file?" : REFETCH;
  throw new IdxError(
    "E_IDX_MAGIC",
    source,
    `${source}: magic number ${magic} is not ${expected.magic} (${expected.kind}); ${hint}`,
  );
}

/**
 * Compressed bytes given to the inflater at a time. Deflate expands at most 1032:1, so one step can produce at most
 * about 66 MB before the size check runs again.
 */
const INFLATE_STEP = 64 * 1024;

/**
 * Inflates a gzip file (RFC 1952: a header, deflate data, then CRC-32 and size mod 2^32), checking the IDX header as
 * soon as it is out and stopping once the output passes the size it declares. The output buffer grows with what was
 * really inflated, so memory follows the data, not a header's or trailer's claim.
 */
function gunzip(bytes: Uint8Array, source: string, expected: Expected | undefined, maxBytes: number): Uint8Array {
  const invalid = (reason: string) =>
    new IdxError("E_IDX_GZIP", source, `${source} is not a valid gzip stream (${reason}); ${REFETCH}`);
  const start = gzipHeaderLength(bytes, invalid);
  if (start + 8 > bytes.length) throw invalid("it ends before its 8-byte trailer");
  const body = bytes.subarray(start, bytes.length - 8);

  // Until the IDX header is out, the largest file maxBytes allows (rank 255 takes 1,024 header bytes).
  let limit = 1024 + maxBytes;
  let header: IdxHeader | undefined;
  let out = new Uint8Array(Math.min(limit, Math.max(1024, 4 * bytes.length)));
  let length = 0;
  let overflow = false;
  const inflate = new Inflate((chunk) => {
    if (overflow) return;
    if (length + chunk.length > limit) {
      overflow = true;
      return;
    }
    if (length + chunk.length > out.length) {
      const grown = new Uint8Array(Math.min(limit, Math.max(2 * out.length, length + chunk.length)));
      grown.set(out.subarray(0, length));
      out = grown;
    }
    out.set(chunk, length);
    length += chunk.length;
  });
  for (let at = 0; at < body.length || at === 0; at += INFLATE_STEP) {
    const end = Math.min(body.length, at + INFLATE_STEP);
    try {
      inflate.push(body.subarray(at, end), end === body.length);
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : String(error));
    }
    if (header === undefined) {
      header = readHeader(out.subarray(0, length), source, expected, maxBytes, false);
      if (header !== undefined) limit = header.headerLength + header.dataLength;
    }
    if (overflow || length > limit) {
      throw new IdxError(
        "E_IDX_TOO_LARGE",
        source,
        `${source}: the gzip stream inflates to more than the ${limit.toLocaleString("en-US")} bytes ` +
          (header === undefined
            ? `allowed (the maxBytes option)`
            : `that its IDX header declares (dims [${header.dims.join(", ")}])`) +
          `; it was stopped there. The file is corrupt or a decompression bomb; ${REFETCH}`,
      );
    }
  }
  const raw = out.subarray(0, length);
  // Check the trailer, since fflate does not: a damaged stream could decode to plausible garbage.
  const trailer = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8, 8);
  const size = trailer.getUint32(4, true);
  if (length % 2 ** 32 !== size) throw invalid(`trailer says ${size} bytes, the stream holds ${length}`);
  if (crc32(raw) !== trailer.getUint32(0, true)) throw invalid("CRC-32 mismatch");
  return raw;
}

/** The length of a gzip member's header (RFC 1952 §2.3): 10 bytes, then the optional extra, name, comment and CRC-16. */
function gzipHeaderLength(bytes: Uint8Array, invalid: (reason: string) => IdxError): number {
  if (bytes.length < 10) throw invalid(`${bytes.length} bytes is shorter than the 10-byte gzip header`);
  if (bytes[2] !== 8) throw invalid(`compression method ${bytes[2]} is not 8 (deflate)`);
  const flags = bytes[3];
  let at = 10;
  if (flags & 4) {
    if (at + 2 > bytes.length) throw invalid("the header's extra field is cut off");
    at += 2 + (bytes[at] | (bytes[at + 1] << 8));
  }
  for (const flag of [8, 16]) {
    if (!(flags & flag)) continue;
    while (at < bytes.length && bytes[at] !== 0) at++;
    at++;
  }
  if (flags & 2) at += 2;
  if (at > bytes.length) throw invalid("the header is cut off");
  return at;
}

function tooShort(raw: Uint8Array, needed: number, source: string): IdxError {
  return new IdxError(
    "E_IDX_TRUNCATED",
    source,
    `${source}: truncated: ${raw.length} bytes is shorter than the ${needed}-byte IDX header; ${REFETCH}`,
  );
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}
