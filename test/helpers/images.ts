import * as jpeg from "jpeg-js";
import { PNG } from "pngjs";

/**
 * Pictures of digits built in the tests: an RGBA canvas to draw thick strokes on, the box the strokes cover, and
 * PNG/JPEG encoders, so the preprocessing and `convlab predict` are tested on files made from known pixels.
 */

/** RGBA bytes, 4 per pixel, row-major. */
export interface Rgba {
  data: Uint8Array;
  width: number;
  height: number;
}

export type Color = [r: number, g: number, b: number, a?: number];

/** A canvas filled with one colour. */
export function canvas(width: number, height: number, color: Color): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([color[0], color[1], color[2], color[3] ?? 255], i * 4);
  return { data, width, height };
}

/** Paints one pixel. */
export function setPixel(image: Rgba, x: number, y: number, color: Color): void {
  image.data.set([color[0], color[1], color[2], color[3] ?? 255], (y * image.width + x) * 4);
}

/** The painted pixels' bounding box, inclusive-exclusive as a {@link PixelBox}. */
export interface Drawn {
  image: Rgba;
  box: { x: number; y: number; width: number; height: number };
}

/**
 * A thick stroke from (x0, y0) to (x1, y1): a `thickness`-pixel square stamped at every step along the line.
 * Returns the painted bounding box, so a test knows where the ink is without searching for it.
 */
function stroke(image: Rgba, x0: number, y0: number, x1: number, y1: number, thickness: number, color: Color) {
  const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
  const painted = { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity };
  for (let s = 0; s <= steps; s++) {
    const cx = Math.round(x0 + ((x1 - x0) * s) / steps);
    const cy = Math.round(y0 + ((y1 - y0) * s) / steps);
    for (let y = cy; y < cy + thickness; y++) {
      for (let x = cx; x < cx + thickness; x++) {
        setPixel(image, x, y, color);
        painted.left = Math.min(painted.left, x);
        painted.top = Math.min(painted.top, y);
        painted.right = Math.max(painted.right, x);
        painted.bottom = Math.max(painted.bottom, y);
      }
    }
  }
  return painted;
}

/**
 * A "7" as a thick pen stroke on a 100×60 (width × height) page: a top bar and a slanted stem, `ink` on `paper`.
 * The digit is 32 wide and 46 tall, off-centre to the left, so cropping and centring have work to do.
 */
export function drawSeven(paper: Color = [230, 228, 225], ink: Color = [30, 30, 40]): Drawn {
  const image = canvas(100, 60, paper);
  const bar = stroke(image, 20, 6, 46, 6, 6, ink);
  const stem = stroke(image, 46, 6, 30, 46, 6, ink);
  const left = Math.min(bar.left, stem.left);
  const top = Math.min(bar.top, stem.top);
  const box = {
    x: left,
    y: top,
    width: Math.max(bar.right, stem.right) - left + 1,
    height: Math.max(bar.bottom, stem.bottom) - top + 1,
  };
  return { image, box };
}

/** A "1": a thick vertical stroke on a 60×100 page, which any MNIST model should call a 1. */
export function drawOne(paper: Color = [245, 245, 245], ink: Color = [20, 20, 20]): Rgba {
  const image = canvas(60, 100, paper);
  stroke(image, 26, 15, 26, 78, 8, ink);
  return image;
}

/** An 8-bit gray image (such as an MNIST digit) as RGBA, each pixel repeated `scale`×`scale` times. */
export function grayToRgba(pixels: Uint8Array, width: number, height: number, scale = 1): Rgba {
  const out = canvas(width * scale, height * scale, [0, 0, 0]);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const v = pixels[Math.floor(y / scale) * width + Math.floor(x / scale)];
      setPixel(out, x, y, [v, v, v]);
    }
  }
  return out;
}

export function encodePng(image: Rgba): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  png.data.set(image.data);
  return PNG.sync.write(png);
}

export function encodeJpeg(image: Rgba, quality = 95): Buffer {
  return jpeg.encode({ data: image.data, width: image.width, height: image.height }, quality).data;
}
