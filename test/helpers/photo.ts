import { Generator } from "../../src/tensor/random.js";
import type { Rgba } from "./images.js";

/** How {@link photographDigit} lights, inks and blurs its page. */
export interface PhotoOptions {
  /** The paper's gray level at the left edge and at the right edge; the light falls off linearly between. */
  paper: [left: number, right: number];
  /** The gray level of full ink. */
  ink: number;
  /** σ of the sensor noise, in gray levels (the sum of 4 uniform draws: a Gaussian-ish bell). */
  noise: number;
  /** Output pixels per MNIST pixel. */
  scale: number;
  /** The page's size; the digit sits at `at` (its top-left corner), so it is off-centre. */
  width: number;
  height: number;
  at: [x: number, y: number];
  seed: number;
}

/** A sample of the sum of 4 uniform draws in [−0.5, 0.5), scaled to standard deviation 1 (variance 4/12). */
function bell(g: Generator): number {
  let s = 0;
  for (let i = 0; i < 4; i++) s += g.random() / 2 ** 32 - 0.5;
  return s / Math.sqrt(4 / 12);
}

/** The MNIST intensity (0 … 1) at continuous point (u, v) of a 28×28 digit, bilinearly interpolated; 0 outside. */
function bilinear(digit: Uint8Array, u: number, v: number): number {
  const x0 = Math.floor(u - 0.5);
  const y0 = Math.floor(v - 0.5);
  const fx = u - 0.5 - x0;
  const fy = v - 0.5 - y0;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= 28 || y >= 28 ? 0 : digit[y * 28 + x] / 255);
  return (
    (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) +
    fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1))
  );
}

/**
 * A phone photo of an MNIST digit written on dim paper: the 28×28 digit (white on black bytes) scaled up `scale`×
 * by bilinear interpolation and laid down as dark ink, v = paper(x) − m · (paper(x) − ink) for MNIST intensity m;
 * the paper gets darker from left to right (uneven light), has a warm tint (R + 6, B − 8) and sensor noise of σ
 * levels on each channel. Returns RGBA bytes, as a PNG or JPEG decoder gives them.
 */
export function photographDigit(digit: Uint8Array, options: PhotoOptions): Rgba {
  const { width, height, scale, at, ink, noise } = options;
  const [left, right] = options.paper;
  const g = new Generator(options.seed);
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const paper = left + ((right - left) * (x + 0.5)) / width;
      const m = bilinear(digit, (x - at[0] + 0.5) / scale, (y - at[1] + 0.5) / scale);
      const level = paper - m * (paper - ink);
      const p = (y * width + x) * 4;
      const tint = [6, 0, -8];
      for (let c = 0; c < 3; c++) {
        data[p + c] = Math.max(0, Math.min(255, Math.round(level + tint[c] + noise * bell(g))));
      }
      data[p + 3] = 255;
    }
  }
  return { data, width, height };
}

/** The dim-paper photo of the issue: paper 150 → 90 from left to right, ink at 35, noise σ 6, a 28×28 digit ×8. */
export const DIM_PAPER: Omit<PhotoOptions, "seed"> = {
  paper: [150, 90],
  ink: 35,
  noise: 6,
  scale: 8,
  width: 320,
  height: 280,
  at: [70, 30],
};
