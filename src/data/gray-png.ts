import { ConvlabError } from "../errors.js";
import type { GrayImage } from "./preprocess.js";
import { crc32 } from "../io/crc32.js";

/**
 * A {@link GrayImage} (values in [0, 1]) as bytes and as a PNG file, to show the 28×28 digit a model saw
 * (`preprocessDigit(...).image`) in `convlab predict --json`, a run folder or a page. Browser-safe: no Node, no
 * dependency.
 */

/** Each value v in [0, 1] as the byte round(255 · v), clamped: an MNIST-style 8-bit image, row-major. */
export function grayBytes(image: GrayImage): Uint8Array {
  return Uint8Array.from(image.data, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
}

/** The largest `scale` of {@link grayPng}: a 28×28 digit at 64× is 1792 pixels square. */
export const MAX_PNG_SCALE = 64;

/**
 * The image as an 8-bit grayscale PNG (colour type 0), each pixel repeated `scale` × `scale` times (nearest
 * neighbour, so the pixels the model saw stay visible as squares). Layout, per the PNG specification: the 8-byte
 * signature; an IHDR chunk (width, height, bit depth 8, colour type 0); one IDAT chunk holding each row as a 0 byte
 * (filter "None") then its bytes, wrapped in zlib with *stored* deflate blocks (no compression: a 28×28 digit is 812
 * bytes raw, so compressing would save little and need an inflater's worth of code); and IEND. Each chunk ends
 * with the CRC-32 of its type and data.
 */
export function grayPng(image: GrayImage, scale = 1): Uint8Array {
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_PNG_SCALE) {
    throw new ConvlabError(
      "E_PNG_SCALE",
      `grayPng: scale must be a whole number from 1 to ${MAX_PNG_SCALE}, got ${scale}`,
    );
  }
  const bytes = grayBytes(image);
  const width = image.width * scale;
  const height = image.height * scale;
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) {
    const source = Math.floor(y / scale) * image.width;
    const row = y * (width + 1) + 1; // after the row's filter byte, 0
    for (let x = 0; x < width; x++) raw[row + x] = bytes[source + Math.floor(x / scale)];
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, grayscale, deflate, adaptive filtering, no interlace
  return concat([
    Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", zlibStored(raw)),
    pngChunk("IEND", new Uint8Array(0)),
  ]);
}

/** A PNG chunk: length (big-endian), type, data, CRC-32 of type and data. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The most bytes one stored deflate block holds (its length field is 16 bits). */
const STORED_BLOCK = 65535;

/**
 * `data` as a zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4): the header 78 01 (deflate, 32K
 * window, no dictionary), then blocks of a byte [BFINAL, BTYPE = 00], LEN and its complement NLEN (little-endian)
 * and LEN bytes; then the Adler-32 of `data`, big-endian.
 */
function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / STORED_BLOCK));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const part = data.subarray(b * STORED_BLOCK, (b + 1) * STORED_BLOCK);
    out[at] = b === blocks - 1 ? 1 : 0;
    out[at + 1] = part.length & 0xff;
    out[at + 2] = part.length >>> 8;
    out[at + 3] = ~part.length & 0xff;
    out[at + 4] = (~part.length >>> 8) & 0xff;
    out.set(part, at + 5);
    at += 5 + part.length;
  }
  new DataView(out.buffer).setUint32(at, adler32(data));
  return out;
}

/** Adler-32 (RFC 1950 §8.2): two running sums mod 65521. */
function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
