import { Inflate } from "fflate";
import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { ConvlabError } from "../errors.js";
import { limitFromEnv } from "./limits.js";
import { readFileOr } from "./read-file.js";

/** The image formats convlab reads. */
export type ImageFormat = "png" | "jpeg";

/** A decoded image: RGBA bytes, 4 per pixel, row-major (what `preprocessDigit` takes with channels = 4). */
export interface DecodedImage {
  format: ImageFormat;
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Why an image was refused; stable, for programs and tests.
 *
 * | code | meaning |
 * |---|---|
 * | `E_IMAGE_NOT_FOUND` | no such file, or a folder |
 * | `E_IMAGE_FORMAT` | not PNG or JPEG (another format, text, an empty file), or an image of 0 pixels |
 * | `E_IMAGE_TOO_LARGE` | more pixels than the limit ({@link MAX_IMAGE_PIXELS}), read from the header before decoding |
 * | `E_IMAGE_TRUNCATED` | the file, or its pixel data, ends before the image does |
 * | `E_IMAGE_CORRUPT` | damaged data that the decoder refuses (a bad checksum, an impossible header, bad compressed data) |
 */
export type ImageErrorCode =
  "E_IMAGE_NOT_FOUND" | "E_IMAGE_FORMAT" | "E_IMAGE_TOO_LARGE" | "E_IMAGE_TRUNCATED" | "E_IMAGE_CORRUPT";

/** An image file that cannot be read; the message names the file and says what to do. */
export class ImageFileError extends ConvlabError {
  declare readonly code: ImageErrorCode;

  constructor(
    code: ImageErrorCode,
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/**
 * The most pixels an image may have: 8192 × 8192 (67 megapixels), checked from the header before anything is
 * decoded, as Pillow checks its `MAX_IMAGE_PIXELS` (89 megapixels warn, twice that fail). A phone's 48-megapixel
 * photo fits; a 74-byte PNG that claims 32000 × 32000 pixels (4 GB of RGBA) does not. Decoding takes about 4 bytes
 * per pixel for the result and as much again while decoding.
 */
export const MAX_IMAGE_PIXELS = 8192 * 8192;

/** The environment variable that replaces {@link MAX_IMAGE_PIXELS} (for `convlab predict`, and any default call). */
export const MAX_IMAGE_PIXELS_ENV = "CONVLAB_MAX_IMAGE_PIXELS";

/** Options of {@link decodeImage}. */
export interface DecodeImageOptions {
  /** The most pixels (width × height) to decode. Default {@link MAX_IMAGE_PIXELS}, or $CONVLAB_MAX_IMAGE_PIXELS. */
  maxPixels?: number;
}

/** The pixel limit in force: $CONVLAB_MAX_IMAGE_PIXELS when set, else {@link MAX_IMAGE_PIXELS}. */
export function defaultMaxPixels(env: NodeJS.ProcessEnv = process.env): number {
  return limitFromEnv(MAX_IMAGE_PIXELS_ENV, env) ?? MAX_IMAGE_PIXELS;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Every JPEG starts with SOI (FF D8) followed by the next marker's FF. */
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** Formats people try that convlab does not decode, by their first bytes, to name them in the error. */
const OTHER_FORMATS: { name: string; test: (b: Uint8Array) => boolean }[] = [
  { name: "GIF", test: (b) => startsWith(b, [0x47, 0x49, 0x46, 0x38]) },
  { name: "BMP", test: (b) => startsWith(b, [0x42, 0x4d]) },
  { name: "WebP", test: (b) => startsWith(b, [0x52, 0x49, 0x46, 0x46]) && ascii(b.subarray(8, 12)) === "WEBP" },
  { name: "TIFF", test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0]) || startsWith(b, [0x4d, 0x4d, 0, 0x2a]) },
  { name: "HEIC/AVIF", test: (b) => ascii(b.subarray(4, 8)) === "ftyp" },
];

const FIX = "export or save the picture as PNG or JPEG";

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((v, i) => bytes[i] === v);
}

function ascii(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

/**
 * The format of an image by its magic bytes, never by the file name: a screenshot saved as `.png` by a tool that
 * wrote JPEG is still read, and a text file renamed `.png` is caught.
 */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return "png";
  if (startsWith(bytes, JPEG_SIGNATURE)) return "jpeg";
  return null;
}

/**
 * Whether a JPEG's scan is complete: an EOI marker (FF D9) comes after the last start-of-scan (FF DA). Entropy-coded
 * data escapes every FF byte as FF 00, so an FF D9 there is a real marker; looking after the last SOS skips the EOI
 * of an EXIF thumbnail. jpeg-js decodes a cut-off file without complaint (grey blocks for the missing part), hence
 * this check.
 */
function jpegHasEnd(bytes: Uint8Array): boolean {
  let lastScan = -1;
  for (let i = bytes.length - 2; i >= 0; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xda) {
      lastScan = i;
      break;
    }
  }
  if (lastScan < 0) return false;
  for (let i = lastScan + 2; i < bytes.length - 1; i++) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

/** What a file that is not PNG or JPEG looks like, for the error: a known format, text, or its first bytes. */
function describe(bytes: Uint8Array): string {
  const other = OTHER_FORMATS.find((f) => f.test(bytes));
  if (other !== undefined) return `it is a ${other.name} image, which convlab does not read`;
  const head = bytes.subarray(0, 16);
  if (head.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) {
    return `it starts with the text ${JSON.stringify(ascii(head))}`;
  }
  return `it starts with the bytes ${Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ")}`;
}

/** What a decoder may call "cut off": the data ran out (jpeg-js and pngjs word it in several ways). */
const RAN_OUT = /unexpected end|ended|waitng on finished stream|waiting on finished stream|unexpected EOF/i;

/**
 * Decodes PNG or JPEG bytes to RGBA. `path` is only for the messages: every failure is an {@link ImageFileError}
 * naming it, with a stable code and the fix (a file that is not PNG/JPEG, empty, too large, truncated or corrupt).
 *
 * Before decoding, the header's width and height are checked against `maxPixels` (`E_IMAGE_TOO_LARGE`), and a PNG's
 * compressed pixel data is checked to hold every row the header declares (`E_IMAGE_TRUNCATED`; pngjs would fill
 * the missing rows with black), so a small hostile file costs neither time nor memory.
 */
export function decodeImage(bytes: Uint8Array, path: string, options: DecodeImageOptions = {}): DecodedImage {
  if (bytes.length === 0) throw new ImageFileError("E_IMAGE_FORMAT", path, `${path} is empty (0 bytes); ${FIX}`);
  const format = detectImageFormat(bytes);
  if (format === null) {
    throw new ImageFileError("E_IMAGE_FORMAT", path, `${path} is not a PNG or JPEG image (${describe(bytes)}); ${FIX}`);
  }
  const maxPixels = options.maxPixels ?? defaultMaxPixels();
  const name = format === "png" ? "PNG" : "JPEG";
  const fail = (code: ImageErrorCode, reason: string, options?: ErrorOptions) =>
    new ImageFileError(
      code,
      path,
      code === "E_IMAGE_TRUNCATED"
        ? `${path}: the ${name} file is truncated (${reason}); save or export it again, and copy it completely`
        : `${path}: the ${name} file is corrupt (${reason}); save or export it again`,
      options,
    );
  const checkSize = (width: number, height: number) => {
    if (width === 0 || height === 0) {
      throw new ImageFileError("E_IMAGE_FORMAT", path, `${path} is an empty image (${width}×${height} pixels); ${FIX}`);
    }
    if (width * height > maxPixels) {
      throw new ImageFileError(
        "E_IMAGE_TOO_LARGE",
        path,
        `${path}: the ${name} image is ${width}×${height} = ${count(width * height)} pixels, over the limit of ` +
          `${count(maxPixels)}; scale it down (a digit needs no more than a few hundred pixels a side), or raise ` +
          `the limit with ${MAX_IMAGE_PIXELS_ENV} (or the maxPixels option)`,
      );
    }
  };
  let image: { width: number; height: number; data: Uint8Array };
  try {
    if (format === "png") {
      checkPng(bytes, checkSize, fail);
      // pngjs expands every colour type and bit depth to 8-bit RGBA.
      image = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } else {
      const layout = jpegLayout(bytes);
      if (layout !== undefined) checkSize(layout.width, layout.height);
      if (!jpegHasEnd(bytes)) throw fail("E_IMAGE_TRUNCATED", "its image data ends early");
      // Every 8×8 block of the full-resolution component takes at least one bit of Huffman code (its DC value),
      // so fewer scan bytes than blocks / 8 cannot be the whole image; jpeg-js would allocate it all first.
      if (layout?.scan !== undefined) {
        const blocks = Math.ceil(layout.width / 8) * Math.ceil(layout.height / 8);
        const scanBytes = bytes.length - layout.scan;
        if (blocks > 8 * scanBytes) {
          throw fail(
            "E_IMAGE_TRUNCATED",
            `its ${count(scanBytes)} bytes of image data cannot hold ${layout.width}×${layout.height} pixels, which ` +
              `take at least ${count(Math.ceil(blocks / 8))}`,
          );
        }
      }
      image = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        // Also no more pixels than the file's bytes can hold (see jpegDataBound), in case a damaged marker hides
        // the frame header from jpegLayout but not from jpeg-js.
        maxResolutionInMP: Math.min(maxPixels, jpegDataBound(bytes)) / 1e6,
        // Coefficients (up to 3 components × 4 bytes), the result (4 bytes) and line buffers, per pixel.
        maxMemoryUsageInMB: Math.max(512, Math.ceil((20 * maxPixels) / 2 ** 20)),
      });
    }
  } catch (error) {
    if (error instanceof ImageFileError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (/maxResolutionInMP limit exceeded/.test(message) && jpegDataBound(bytes) < maxPixels) {
      throw fail(
        "E_IMAGE_TRUNCATED",
        `its ${count(bytes.length)} bytes are too few for the number of pixels its frame header declares`,
        { cause: error },
      );
    }
    if (/limit exceeded/.test(message)) {
      throw new ImageFileError(
        "E_IMAGE_TOO_LARGE",
        path,
        `${path}: the ${name} image is too large to decode (${message}); scale it down, or raise the limit with ` +
          `${MAX_IMAGE_PIXELS_ENV} (or the maxPixels option)`,
        { cause: error },
      );
    }
    if (RAN_OUT.test(message)) throw fail("E_IMAGE_TRUNCATED", "its data ends early", { cause: error });
    throw fail("E_IMAGE_CORRUPT", message.slice(0, 200), { cause: error });
  }
  if (image.width === 0 || image.height === 0) {
    throw new ImageFileError(
      "E_IMAGE_FORMAT",
      path,
      `${path} is an empty image (${image.width}×${image.height} pixels); ${FIX}`,
    );
  }
  return { format, width: image.width, height: image.height, data: new Uint8Array(image.data) };
}

const count = (n: number) => n.toLocaleString("en-US");

/** Channels per pixel of each PNG colour type, and the bit depths it allows (PNG spec, table 11.1). */
const PNG_COLOUR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7's passes: the first column and row of each, and its steps (PNG spec §8.2). */
export const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Walks a PNG's chunks before pngjs decodes it: the file must not end inside a chunk or before IEND (pngjs would
 * say only "read requests waitng on finished stream"), the IHDR must be valid and within the pixel limit (checked
 * first, before anything else is read), and the IDAT data must inflate to at least the bytes of every row the
 * IHDR declares (pngjs decodes a cut stream without a word). The inflated bytes are counted, not kept.
 */
function checkPng(
  bytes: Uint8Array,
  checkSize: (width: number, height: number) => void,
  fail: (code: ImageErrorCode, reason: string) => ImageFileError,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let header: { width: number; height: number; depth: number; colourType: number; interlaced: boolean } | undefined;
  const idat: Uint8Array[] = [];
  for (;;) {
    if (at + 8 > bytes.length) throw fail("E_IMAGE_TRUNCATED", "it ends before its IEND chunk");
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (length > 0x7fffffff) throw fail("E_IMAGE_CORRUPT", `chunk ${JSON.stringify(type)} claims ${length} bytes`);
    if (at + 12 + length > bytes.length) throw fail("E_IMAGE_TRUNCATED", `it ends inside its ${type} chunk`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (header === undefined) {
      if (type !== "IHDR" || length !== 13) throw fail("E_IMAGE_CORRUPT", "it does not start with an IHDR header");
      const [depth, colourType, , , interlace] = data.subarray(8);
      header = {
        width: view.getUint32(at + 8),
        height: view.getUint32(at + 12),
        depth,
        colourType,
        interlaced: interlace === 1,
      };
      checkSize(header.width, header.height);
      const colour = PNG_COLOUR_TYPES[colourType];
      if (colour === undefined || !colour.depths.includes(depth) || interlace > 1) {
        throw fail("E_IMAGE_CORRUPT", `its header has colour type ${colourType} and bit depth ${depth}`);
      }
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
    at += 12 + length;
  }
  const { width, height, depth, colourType, interlaced } = header;
  const bits = PNG_COLOUR_TYPES[colourType].channels * depth;
  const rowsBytes = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bits) / 8)));
  const passes = (start: number, step: number, size: number) => Math.max(0, Math.ceil((size - start) / step));
  const expected = interlaced
    ? ADAM7.reduce((sum, [x, y, dx, dy]) => sum + rowsBytes(passes(x, dx, width), passes(y, dy, height)), 0)
    : rowsBytes(width, height);
  const found = inflatedLength(idat, expected, fail);
  if (found < expected) {
    throw fail(
      "E_IMAGE_TRUNCATED",
      `its pixel data holds ${count(found)} of the ${count(expected)} bytes that ${width}×${height} pixels need`,
    );
  }
  // pngjs stops at the expected size when the image is not interlaced, but inflates everything when it is.
  if (found > expected && interlaced) {
    throw fail("E_IMAGE_CORRUPT", `its pixel data inflates to more than the ${count(expected)} bytes it should`);
  }
}

/** Compressed bytes inflated at a time: at most about 66 MB of output before the count is checked again. */
const INFLATE_STEP = 64 * 1024;

/**
 * How many bytes the zlib stream split over `chunks` inflates to, counted up to `limit` + 1 (the rest is not
 * inflated). A stream that ends early counts what it gave; corrupt data is an error.
 */
function inflatedLength(
  chunks: Uint8Array[],
  limit: number,
  fail: (code: ImageErrorCode, reason: string) => ImageFileError,
): number {
  const total = chunks.reduce((sum, c) => sum + c.length, 0);
  if (total < 2) return 0;
  const stream = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    stream.set(chunk, at);
    at += chunk.length;
  }
  const [cmf, flg] = stream;
  if ((cmf & 0x0f) !== 8 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) {
    throw fail("E_IMAGE_CORRUPT", "its pixel data is not a zlib stream");
  }
  let found = 0;
  const inflate = new Inflate((chunk) => {
    found += chunk.length;
  });
  const body = stream.subarray(2);
  for (let start = 0; start < body.length && found <= limit; start += INFLATE_STEP) {
    const end = Math.min(body.length, start + INFLATE_STEP);
    try {
      inflate.push(body.subarray(start, end), end === body.length);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A stream cut short ends with "unexpected EOF"; what it gave until then is counted.
      if (/unexpected EOF/i.test(message)) return found;
      throw fail("E_IMAGE_CORRUPT", `its pixel data does not inflate: ${message}`);
    }
  }
  return found;
}

/**
 * The most pixels a JPEG of these bytes can hold: each 8×8 block of its full-resolution component takes at least
 * one bit of Huffman code (its DC value), so W·H ≤ 64 · 8 · (bytes of scan data) < 512 · (bytes of the file).
 */
function jpegDataBound(bytes: Uint8Array): number {
  return 512 * bytes.length;
}

/**
 * A JPEG's width and height from its frame header (SOF0–SOF15 but DHT, JPG and DAC), and where its first scan
 * starts, read by walking the marker segments; undefined when there is no frame header before the first scan
 * (jpeg-js then says what is wrong), `scan` undefined when no scan follows.
 */
function jpegLayout(bytes: Uint8Array): { width: number; height: number; scan?: number } | undefined {
  let size: { width: number; height: number } | undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return size;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9) return size;
    if (marker === 0xda) return size && { ...size, scan: at };
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) return undefined;
      size = { height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    at += 2 + length;
  }
  return size;
}

/** Reads and decodes a PNG or JPEG file (see {@link decodeImage}); a missing file is an {@link ImageFileError} too. */
export function readImageFile(path: string, options: DecodeImageOptions = {}): DecodedImage {
  const bytes = readFileOr(path, (problem) =>
    problem === "missing"
      ? new ImageFileError("E_IMAGE_NOT_FOUND", path, `no such file: ${path}; check the path of the image`)
      : new ImageFileError(
          "E_IMAGE_NOT_FOUND",
          path,
          `${path} is a directory; pass the path of a .png or .jpg file inside it`,
        ),
  );
  return decodeImage(bytes, path, options);
}
