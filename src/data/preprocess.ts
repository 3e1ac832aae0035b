import { Tensor } from "../tensor/tensor.js";

/**
 * Preparing a photo or drawing of a digit the way the MNIST digits were made, so a model trained on MNIST sees what
 * it was trained on. LeCun, Cortes and Burges describe the recipe: "The original black and white (bilevel) images
 * from NIST were size normalized to fit in a 20x20 pixel box while preserving their aspect ratio. The resulting
 * images contain grey levels as a result of the anti-aliasing technique used by the normalization algorithm. The
 * images were centered in a 28x28 image by computing the center of mass of the pixels, and translating the image so
 * as to position this point at the center of the 28x28 field."
 *
 * A photo is not a bilevel scan, so a few steps come first: grayscale, make the ink white on black, crop to the ink.
 * Each step is its own pure function on pixel buffers (no DOM, no Node), in the order {@link preprocessDigit} runs
 * them:
 *
 * 1. {@link grayscale}: RGBA (or gray) bytes → luma in [0, 1], alpha composited over white.
 * 2. {@link borderMedian} / {@link hasLightBackground}: the background is the median of the border pixels.
 * 3. {@link toInk}: distance from the background, so ink is bright on black whichever way round the picture was.
 * 4. {@link inkBox} and {@link crop}: the bounding box of the ink above the noise threshold.
 * 5. {@link cleanInk}: noise below the threshold → 0, strongest ink → 1 (NIST's ink was full black).
 * 6. {@link scaleToFit}: the longer side to 20 pixels by area averaging ({@link resizeArea}).
 * 7. {@link centerInCanvas}: into 28×28 with the centre of mass ({@link centerOfMass}) moved to (14, 14).
 *
 * Coordinates are continuous: pixel (x, y) covers [x, x + 1) × [y, y + 1), so its centre is (x + 0.5, y + 0.5) and
 * the centre of a 28×28 canvas is (14, 14).
 */

/** A one-channel image in row-major order, `data[y * width + x]`, values in [0, 1]. */
export interface GrayImage {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** A rectangle of pixels: columns x … x + width − 1, rows y … y + height − 1. */
export interface PixelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A point in continuous pixel coordinates (see the module comment). */
export interface Point {
  x: number;
  y: number;
}

/** The side of MNIST's canvas: 28 pixels. */
export const MNIST_CANVAS = 28;
/** The side of the box MNIST's digits were scaled to fit: 20 pixels, leaving a 4-pixel margin. */
export const MNIST_BOX = 20;
/** Ink at or below this fraction of the strongest ink is noise (paper grain, JPEG ringing, shadows). */
export const NOISE_THRESHOLD = 0.1;
/**
 * The least contrast between ink and background, as a fraction of full scale (0.1 ≈ 26 of 255 levels), for the
 * image to hold a digit at all; below it the picture is blank, and stretching it would turn noise into a "digit".
 */
export const MIN_CONTRAST = 0.1;

/** Why an image cannot be made into an MNIST digit: it has no pixels, or no ink. */
export class PreprocessError extends Error {
  constructor(
    readonly reason: "empty" | "blank",
    message: string,
  ) {
    super(message);
    this.name = "PreprocessError";
  }
}

/**
 * Grayscale by ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, on the stored (gamma-encoded) 8-bit values, as
 * PIL's `convert("L")` and MNIST-era software do; then divided by 255. A pixel with alpha A is composited over white,
 * Y' = (A·Y + (255 − A)·255) / 255, because a transparent background in a drawing app means "paper".
 *
 * `channels` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA, as a canvas `ImageData` or a PNG decoder gives).
 * Shape: `pixels` holds height · width · channels bytes, row-major → a width × height {@link GrayImage}.
 */
export function grayscale(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 4,
): GrayImage {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new PreprocessError("empty", `the image is empty (${width}×${height} pixels)`);
  }
  if (pixels.length !== width * height * channels) {
    throw new Error(
      `grayscale: ${pixels.length} values do not make a ${width}×${height} image of ${channels} channel(s)`,
    );
  }
  const data = new Float32Array(width * height);
  const hasAlpha = channels === 2 || channels === 4;
  for (let i = 0; i < data.length; i++) {
    const p = i * channels;
    const luma = channels >= 3 ? 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2] : pixels[p];
    const alpha = hasAlpha ? pixels[p + channels - 1] / 255 : 1;
    data[i] = (alpha * luma + (1 - alpha) * 255) / 255;
  }
  return { data, width, height };
}

/**
 * The background level: the median of the pixels on the image's outer frame (its first and last rows and columns).
 * A digit is drawn in the middle of the picture, so most of the frame is background; the median ignores the few
 * border pixels a stroke or a shadow may touch, where a mean would be pulled towards them.
 */
export function borderMedian(image: GrayImage): number {
  const { data, width, height } = image;
  const border: number[] = [];
  for (let y = 0; y < height; y++) {
    const onEdgeRow = y === 0 || y === height - 1;
    for (let x = 0; x < width; x++) {
      if (onEdgeRow || x === 0 || x === width - 1) border.push(data[y * width + x]);
    }
  }
  border.sort((a, b) => a - b);
  const mid = border.length >> 1;
  return border.length % 2 === 1 ? border[mid] : (border[mid - 1] + border[mid]) / 2;
}

/**
 * Whether the image is dark ink on a light background (paper, a white canvas): its {@link borderMedian} is above
 * 0.5. Such images are inverted, because MNIST's digits are white (1) on black (0).
 */
export function hasLightBackground(image: GrayImage, background = borderMedian(image)): boolean {
  return background > 0.5;
}

/**
 * Ink as MNIST stores it, bright on black: each pixel's distance from the background level, in the direction of the
 * ink. On a light background ink = max(0, background − v) (the inversion); on a dark one ink = max(0, v − background).
 * For a white page (background 1) this is exactly 1 − v; subtracting the measured level rather than 1 also removes
 * the grey cast of a photographed sheet of paper.
 */
export function toInk(image: GrayImage, background = borderMedian(image)): GrayImage {
  const light = hasLightBackground(image, background);
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = image.data[i];
    data[i] = Math.max(0, light ? background - v : v - background);
  }
  return { data, width: image.width, height: image.height };
}

/** The largest value of an image. */
function maxOf(image: GrayImage): number {
  let max = 0;
  for (const v of image.data) if (v > max) max = v;
  return max;
}

/**
 * The bounding box of the ink: the smallest rectangle holding every pixel above `threshold` × the strongest ink, so
 * specks of noise fainter than that do not widen it. Returns null when the image is blank: its strongest ink is
 * below {@link MIN_CONTRAST}.
 */
export function inkBox(ink: GrayImage, threshold = NOISE_THRESHOLD): PixelBox | null {
  const max = maxOf(ink);
  if (max < MIN_CONTRAST) return null;
  const cut = threshold * max;
  let left = ink.width;
  let right = -1;
  let top = ink.height;
  let bottom = -1;
  for (let y = 0; y < ink.height; y++) {
    for (let x = 0; x < ink.width; x++) {
      if (ink.data[y * ink.width + x] > cut) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  return { x: left, y: top, width: right - left + 1, height: bottom - top + 1 };
}

/** The pixels of `box`, copied into an image of the box's size. */
export function crop(image: GrayImage, box: PixelBox): GrayImage {
  const data = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (box.y + y) * image.width + box.x;
    data.set(image.data.subarray(from, from + box.width), y * box.width);
  }
  return { data, width: box.width, height: box.height };
}

/**
 * Noise to 0 and the strongest ink to 1: v ≤ `threshold` × max → 0, else v / max. NIST's scans were bilevel, so
 * MNIST's strokes are full white with grey only at their anti-aliased edges; a pencil photo's ink may reach only 0.4.
 * Grey levels above the threshold keep their proportions, so an MNIST digit passes through unchanged but for its
 * faintest edge pixels.
 */
export function cleanInk(ink: GrayImage, threshold = NOISE_THRESHOLD): GrayImage {
  const max = maxOf(ink);
  const cut = threshold * max;
  const data = new Float32Array(ink.data.length);
  if (max > 0) for (let i = 0; i < data.length; i++) data[i] = ink.data[i] > cut ? ink.data[i] / max : 0;
  return { data, width: ink.width, height: ink.height };
}

/** For each of `outLen` output cells, the first input cell it overlaps and the share of each overlapped cell. */
function areaWeights(inLen: number, outLen: number): { first: number; weights: number[] }[] {
  const scale = inLen / outLen;
  return Array.from({ length: outLen }, (_, j) => {
    const lo = j * scale;
    const hi = (j + 1) * scale;
    const first = Math.floor(lo);
    const weights: number[] = [];
    for (let i = first; i < hi && i < inLen; i++) weights.push((Math.min(hi, i + 1) - Math.max(lo, i)) / scale);
    return { first, weights };
  });
}

/**
 * Resizes by area averaging (a box filter with exact coverage, as PIL's `Image.BOX` and OpenCV's `INTER_AREA` when
 * shrinking): output pixel (x, y) is the mean of the input over the rectangle it covers, each input pixel weighted by
 * the fraction of it inside. Thin strokes become grey rather than vanishing or aliasing, as nearest-neighbour would
 * do; that grey is the anti-aliasing LeCun's description mentions. Separable: rows first, then columns.
 * Shape: a w × h image → width × height.
 */
export function resizeArea(image: GrayImage, width: number, height: number): GrayImage {
  const columns = areaWeights(image.width, width);
  const rows = areaWeights(image.height, height);
  const wide = new Float32Array(image.height * width);
  for (let y = 0; y < image.height; y++) {
    const row = y * image.width;
    for (let x = 0; x < width; x++) {
      const { first, weights } = columns[x];
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += weights[k] * image.data[row + first + k];
      wide[y * width + x] = acc;
    }
  }
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const { first, weights } = rows[y];
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += weights[k] * wide[(first + k) * width + x];
      data[y * width + x] = acc;
    }
  }
  return { data, width, height };
}

/**
 * Scales so the longer side is `size` pixels (MNIST: 20) and the shorter keeps the aspect ratio,
 * round(short · size / long), at least 1 pixel; by {@link resizeArea}.
 */
export function scaleToFit(image: GrayImage, size = MNIST_BOX): GrayImage {
  const factor = size / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * factor));
  const height = Math.max(1, Math.round(image.height * factor));
  return resizeArea(image, width, height);
}

/**
 * The centre of mass of the pixel values, x̄ = Σ v·(x + 0.5) / Σ v and likewise ȳ, in continuous coordinates.
 * Throws a {@link PreprocessError} for an image with no ink at all.
 */
export function centerOfMass(image: GrayImage): Point {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const v = image.data[y * image.width + x];
      mass += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  if (!(mass > 0)) throw new PreprocessError("blank", "the image has no ink, so it has no centre of mass");
  return { x: sx / mass, y: sy / mass };
}

/**
 * Places the image on a black `size` × `size` canvas (MNIST: 28) so its centre of mass lands on the canvas centre
 * (size/2, size/2): the image's top-left corner goes to round(size/2 − x̄), round(size/2 − ȳ). Shifting by whole
 * pixels, as MNIST's recipe, keeps the values unresampled, and leaves the centre of mass within 0.5 pixel of the
 * centre. A lopsided image can be pushed partly off the canvas; those pixels are dropped, as they were for MNIST.
 * Returns the canvas and where the top-left corner went.
 */
export function centerInCanvas(image: GrayImage, size = MNIST_CANVAS): { image: GrayImage; offset: Point } {
  const com = centerOfMass(image);
  const offset = { x: Math.round(size / 2 - com.x), y: Math.round(size / 2 - com.y) };
  const data = new Float32Array(size * size);
  for (let y = 0; y < image.height; y++) {
    const cy = y + offset.y;
    if (cy < 0 || cy >= size) continue;
    for (let x = 0; x < image.width; x++) {
      const cx = x + offset.x;
      if (cx >= 0 && cx < size) data[cy * size + cx] = image.data[y * image.width + x];
    }
  }
  return { image: { data, width: size, height: size }, offset };
}

/** The result of {@link preprocessDigit}: the 28×28 digit and what each step decided, to show or to test. */
export interface PreprocessedDigit {
  /** [1, 28, 28] float32 in [0, 1], white digit on black: what ToTensor gives for an MNIST image. */
  tensor: Tensor;
  /** The same 28×28 pixels as an image. */
  image: GrayImage;
  /** The border median, in [0, 1]. */
  background: number;
  /** Whether the picture was dark on light, and so was inverted. */
  inverted: boolean;
  /** The ink's bounding box in the input picture. */
  box: PixelBox;
  /** The size of the digit after scaling its longer side to 20 pixels. */
  scaled: { width: number; height: number };
  /** Where the scaled digit's top-left corner was placed on the 28×28 canvas. */
  offset: Point;
  /** The centre of mass of the result: within 0.5 pixel of (14, 14). */
  centerOfMass: Point;
}

/**
 * The whole recipe (see the module comment): a picture of a digit of any size → MNIST's [1, 28, 28] in [0, 1].
 * `pixels` holds height · width · channels bytes (see {@link grayscale}). Throws a {@link PreprocessError} for an
 * empty or a blank picture.
 */
export function preprocessDigit(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 4,
): PreprocessedDigit {
  const gray = grayscale(pixels, width, height, channels);
  const background = borderMedian(gray);
  const ink = toInk(gray, background);
  const box = inkBox(ink);
  if (box === null) {
    throw new PreprocessError(
      "blank",
      `no digit found: no pixel differs from the background (${Math.round(background * 255)} of 255) by ` +
        `${Math.round(MIN_CONTRAST * 255)} levels or more`,
    );
  }
  const scaled = scaleToFit(cleanInk(crop(ink, box)));
  const { image, offset } = centerInCanvas(scaled);
  return {
    tensor: new Tensor(image.data, [1, MNIST_CANVAS, MNIST_CANVAS]),
    image,
    background,
    inverted: hasLightBackground(gray, background),
    box,
    scaled: { width: scaled.width, height: scaled.height },
    offset,
    centerOfMass: centerOfMass(image),
  };
}
