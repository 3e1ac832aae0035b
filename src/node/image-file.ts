import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";
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

/** An image file that cannot be read; the message names the file and says what to do. */
export class ImageFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ImageFileError";
  }
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

/**
 * Decodes PNG or JPEG bytes to RGBA. `path` is only for the messages: every failure is an {@link ImageFileError}
 * naming it, with the fix (a file that is not PNG/JPEG, empty, truncated or corrupt).
 */
export function decodeImage(bytes: Uint8Array, path: string): DecodedImage {
  if (bytes.length === 0) throw new ImageFileError(path, `${path} is empty (0 bytes); ${FIX}`);
  const format = detectImageFormat(bytes);
  if (format === null) {
    throw new ImageFileError(path, `${path} is not a PNG or JPEG image (${describe(bytes)}); ${FIX}`);
  }
  const name = format === "png" ? "PNG" : "JPEG";
  const broken = (reason: string, options?: ErrorOptions) =>
    new ImageFileError(
      path,
      `${path}: the ${name} file is truncated or corrupt (${reason}); save or export it again, and copy it completely`,
      options,
    );
  let image: { width: number; height: number; data: Uint8Array };
  try {
    if (format === "png") {
      // pngjs expands every colour type and bit depth to 8-bit RGBA.
      image = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } else {
      if (!jpegHasEnd(bytes)) throw broken("its image data ends early");
      image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    }
  } catch (error) {
    if (error instanceof ImageFileError) throw error;
    throw broken((error as Error).message, { cause: error });
  }
  if (image.width === 0 || image.height === 0) {
    throw new ImageFileError(path, `${path} is an empty image (${image.width}×${image.height} pixels); ${FIX}`);
  }
  return { format, width: image.width, height: image.height, data: new Uint8Array(image.data) };
}

/** Reads and decodes a PNG or JPEG file (see {@link decodeImage}); a missing file is an {@link ImageFileError} too. */
export function readImageFile(path: string): DecodedImage {
  const bytes = readFileOr(path, (problem) =>
    problem === "missing"
      ? new ImageFileError(path, `no such file: ${path}; check the path of the image`)
      : new ImageFileError(path, `${path} is a directory; pass the path of a .png or .jpg file inside it`),
  );
  return decodeImage(bytes, path);
}
