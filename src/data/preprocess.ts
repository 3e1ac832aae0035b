import { ConvlabError } from "../errors.js";
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
 * 2. {@link findPaper}: which side is paper and which is ink (Otsu's threshold, and the class that holds most of the
 *    border is paper), the paper's level under uneven light (a fitted plane), and the picture's noise.
 * 3. {@link toInk}: distance from the paper, evened out for the light, so ink is bright on black whichever way round
 *    the picture was: black on white, dark gray on dim gray paper, or chalk on a board.
 * 4. {@link inkLevels}: what is full ink, and the cut below which a mark is noise (10% of full ink, or 4 σ of the
 *    picture's noise, whichever is higher).
 * 5. {@link inkBox} and {@link crop}: the bounding box of the ink above the cut, lone pixels ignored.
 * 6. {@link cleanInk}: noise → 0, full ink → 1 (NIST's ink was full black).
 * 7. {@link scaleToFit}: the longer side to 20 pixels by area averaging ({@link resizeArea}).
 * 8. {@link centerInCanvas}: into 28×28 with the centre of mass ({@link centerOfMass}) moved to (14, 14).
 *
 * No digit is found when the full ink differs from the paper by less than {@link MIN_CONTRAST}, or does not rise
 * above the noise; the error's message gives both numbers.
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

/** The stable codes of {@link PreprocessError}, one per way a picture can fail to be a digit. */
export type PreprocessErrorCode =
  /** The picture has no pixels (width or height 0). */
  | "E_IMAGE_EMPTY"
  /** The width or height is not a whole, positive number of pixels. */
  | "E_IMAGE_SIZE"
  /** `channels` is not 1, 2, 3 or 4. */
  | "E_IMAGE_CHANNELS"
  /** The pixel buffer is missing, or holds a different number of values than width × height × channels. */
  | "E_IMAGE_BUFFER"
  /** A pixel value is not a number from 0 to 255 (NaN, ±Infinity, negative, above 255). */
  | "E_IMAGE_PIXELS"
  /** Nothing in the picture stands out from the paper enough to be a digit. */
  | "E_IMAGE_NO_DIGIT";

/** {@link PreprocessError.reason}, the coarse kind that the lab's drawing pad tells apart. */
export type PreprocessFailure = "empty" | "blank" | "invalid";

/**
 * Why an image cannot be made into an MNIST digit; `code` says which way (see {@link PreprocessErrorCode}), and the
 * message says it in numbers ("the darkest marks are only 5 levels darker than the paper (250 of 255) …").
 */
export class PreprocessError extends ConvlabError {
  declare readonly code: PreprocessErrorCode;

  constructor(code: PreprocessErrorCode, message: string) {
    super(code, message);
  }

  /** "empty" (no pixels), "blank" (no digit) or "invalid" (a bad size, buffer or pixel value). */
  get reason(): PreprocessFailure {
    return this.code === "E_IMAGE_EMPTY" ? "empty" : this.code === "E_IMAGE_NO_DIGIT" ? "blank" : "invalid";
  }
}

/**
 * Grayscale by ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B, on the stored (gamma-encoded) 8-bit values, as
 * PIL's `convert("L")` and MNIST-era software do; then divided by 255. A pixel with alpha A is composited over white,
 * Y' = (A·Y + (255 − A)·255) / 255, because a transparent background in a drawing app means "paper".
 *
 * `channels` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA, as a canvas `ImageData` or a PNG decoder gives).
 * Shape: `pixels` holds height · width · channels values from 0 to 255, row-major → a width × height
 * {@link GrayImage}. Anything else is a {@link PreprocessError}: a size that is not whole positive pixels
 * (`E_IMAGE_EMPTY` for 0, else `E_IMAGE_SIZE`), other channels (`E_IMAGE_CHANNELS`), a buffer of the wrong length
 * (`E_IMAGE_BUFFER`), or a value that is not a number from 0 to 255, such as NaN or Infinity (`E_IMAGE_PIXELS`).
 */
export function grayscale(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 4,
): GrayImage {
  checkImage(pixels, width, height, channels);
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

/** The checks of {@link grayscale}, before anything is allocated. */
function checkImage(pixels: ArrayLike<number>, width: number, height: number, channels: number): void {
  const whole = (n: number) => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
  if (!whole(width) || !whole(height)) {
    throw new PreprocessError(
      "E_IMAGE_SIZE",
      `the image size ${String(width)}×${String(height)} is not a width and height in whole pixels`,
    );
  }
  if (width === 0 || height === 0)
    throw new PreprocessError("E_IMAGE_EMPTY", `the image is empty (${width}×${height} pixels)`);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new PreprocessError(
      "E_IMAGE_CHANNELS",
      `an image has 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) channels, not ${String(channels)}`,
    );
  }
  const length = (pixels as { length?: unknown } | null | undefined)?.length;
  if (typeof length !== "number" || length !== width * height * channels) {
    throw new PreprocessError(
      "E_IMAGE_BUFFER",
      `grayscale: ${typeof length === "number" ? `${length} values do` : "no pixel values"} not make a ` +
        `${width}×${height} image of ${channels} channel(s)`,
    );
  }
  for (let i = 0; i < length; i++) {
    const v = pixels[i];
    // One comparison chain that NaN fails too: typed arrays of bytes pass it at once.
    if (!(v >= 0 && v <= 255)) {
      const pixel = Math.floor(i / channels);
      throw new PreprocessError(
        "E_IMAGE_PIXELS",
        `pixel (${pixel % width}, ${Math.floor(pixel / width)}) has the value ${String(v)} in channel ` +
          `${i % channels}; pixel values are numbers from 0 to 255`,
      );
    }
  }
}

/**
 * The median of the pixels on the image's outer frame (its first and last rows and columns). Not what decides the
 * background any more ({@link findPaper} does): a border median says nothing about which side of it the ink lies on,
 * so gray paper (say 120) under dark ink was once taken for a dark background.
 */
export function borderMedian(image: GrayImage): number {
  const border: number[] = [];
  forEachBorderPixel(image, (i) => border.push(image.data[i]));
  border.sort((a, b) => a - b);
  const mid = border.length >> 1;
  return border.length % 2 === 1 ? border[mid] : (border[mid - 1] + border[mid]) / 2;
}

/** Calls `fn` with the index of each pixel on the outer frame, once each, row by row. */
function forEachBorderPixel(image: GrayImage, fn: (index: number) => void): void {
  const { width, height } = image;
  for (let y = 0; y < height; y++) {
    if (y === 0 || y === height - 1) {
      for (let x = 0; x < width; x++) fn(y * width + x);
    } else {
      fn(y * width);
      if (width > 1) fn(y * width + width - 1);
    }
  }
}

/** Histogram bins: 4096 over the values' range, finer than the 256 levels of an 8-bit picture. */
const BINS = 4096;

/** Counts of `values` in {@link BINS} equal bins over [lo, hi], with each bin's smallest and largest value. */
function histogram(values: ArrayLike<number>, lo: number, hi: number) {
  const count = new Float64Array(BINS);
  const total = new Float64Array(BINS);
  const least = new Float64Array(BINS).fill(Infinity);
  const most = new Float64Array(BINS).fill(-Infinity);
  const scale = hi > lo ? BINS / (hi - lo) : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const b = Math.min(BINS - 1, Math.floor((v - lo) * scale));
    count[b]++;
    total[b] += v;
    if (v < least[b]) least[b] = v;
    if (v > most[b]) most[b] = v;
  }
  return { count, total, least, most };
}

function rangeOf(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * The q-quantile of `values` (q = 0.5: the median), to within a 4096th of their range: the largest value in the
 * histogram bin where the running count reaches q·n. That is a value of the data, and exactly the maximum when q
 * falls in the top bin. A histogram rather than a sort, so a 12-megapixel photo costs one pass.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  const [lo, hi] = rangeOf(values);
  if (!(hi > lo)) return values.length === 0 ? NaN : lo;
  const { count, most } = histogram(values, lo, hi);
  const rank = Math.max(1, Math.ceil(q * values.length));
  let seen = 0;
  for (let b = 0; b < BINS; b++) {
    seen += count[b];
    if (seen >= rank) return most[b];
  }
  return hi;
}

/**
 * Otsu's threshold (N. Otsu, "A threshold selection method from gray-level histograms", 1979): the level t that
 * splits the values into a low class (v ≤ t) and a high class (v > t) with the largest between-class variance
 * w₀·w₁·(μ₀ − μ₁)², where w are the classes' shares and μ their means. Maximising it is minimising the spread within
 * each class, so on a photo of a digit the classes are "paper" and "ink" whatever their levels: 90 → 150 paper
 * under 35 ink as well as white paper under black ink.
 *
 * Computed on a 4096-bin histogram over the values' range; t lies halfway between the largest value of the low
 * class and the smallest of the high one, so no value sits on it. Values of a single level cannot be split: then t
 * is that level, and every value is in the low class.
 */
export function otsuThreshold(values: ArrayLike<number>): number {
  const [lo, hi] = rangeOf(values);
  if (!(hi > lo)) return hi;
  const { count, total, least, most } = histogram(values, lo, hi);
  const n = values.length;
  let sum = 0;
  for (let b = 0; b < BINS; b++) sum += total[b];
  let w0 = 0;
  let s0 = 0;
  let best = -1;
  let split = 0;
  for (let b = 0; b < BINS - 1; b++) {
    w0 += count[b];
    s0 += total[b];
    const w1 = n - w0;
    if (w0 === 0 || w1 === 0) continue;
    const between = w0 * w1 * (s0 / w0 - (sum - s0) / w1) ** 2;
    if (between > best) [best, split] = [between, b];
  }
  let lowMax = -Infinity;
  for (let b = 0; b <= split; b++) lowMax = Math.max(lowMax, most[b]);
  let highMin = Infinity;
  for (let b = split + 1; b < BINS; b++) highMin = Math.min(highMin, least[b]);
  return (lowMax + highMin) / 2;
}

/**
 * What {@link findPaper} learns about the paper (or the board, for chalk): which side of the ink it lies on, its
 * level under uneven light, and its noise. Levels are in [0, 1].
 */
export interface Paper {
  /** Whether the paper is lighter than the ink (dark ink on paper): such pictures are inverted. */
  light: boolean;
  /** Otsu's threshold between the gray levels of paper and ink. */
  threshold: number;
  /** The paper's level at the centre of the picture. */
  level: number;
  /**
   * The lighting gradient: how much the paper's level changes per pixel to the right (x) and down (y). The paper at
   * pixel (x, y) is {@link paperLevel}: level + x·(x + 0.5 − width/2) + y·(y + 0.5 − height/2).
   */
  slope: Point;
  /** The picture's noise (sensor noise, paper grain, JPEG), as a standard deviation; 0 for a drawn picture. */
  noise: number;
}

/** The paper's level at pixel (x, y) of a width × height picture: its fitted plane (see {@link Paper.slope}). */
export function paperLevel(paper: Paper, width: number, height: number, x: number, y: number): number {
  return paper.level + paper.slope.x * (x + 0.5 - width / 2) + paper.slope.y * (y + 0.5 - height / 2);
}

/**
 * The least-squares plane z = a + b·u + c·v through the pixels `keep` accepts, with u, v measured from the image
 * centre (so a is the level there): the light on a sheet of paper falls off about linearly across a phone photo.
 * Falls back to the mean (b = c = 0) where the pixels do not span a plane, such as a single row.
 */
function fitPlane(image: GrayImage, keep: (i: number) => boolean): { level: number; slope: Point } {
  const { data, width, height } = image;
  let n = 0;
  let su = 0;
  let sv = 0;
  let suu = 0;
  let suv = 0;
  let svv = 0;
  let sz = 0;
  let suz = 0;
  let svz = 0;
  for (let y = 0; y < height; y++) {
    const v = y + 0.5 - height / 2;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!keep(i)) continue;
      const u = x + 0.5 - width / 2;
      const z = data[i];
      n++;
      su += u;
      sv += v;
      suu += u * u;
      suv += u * v;
      svv += v * v;
      sz += z;
      suz += u * z;
      svz += v * z;
    }
  }
  if (n === 0) return { level: 0, slope: { x: 0, y: 0 } };
  // Cramer's rule on the normal equations [n su sv; su suu suv; sv suv svv] · [a b c] = [sz suz svz].
  const det = n * (suu * svv - suv * suv) - su * (su * svv - suv * sv) + sv * (su * suv - suu * sv);
  const scale = n * (suu + 1) * (svv + 1);
  if (!(Math.abs(det) > 1e-9 * scale)) return { level: sz / n, slope: { x: 0, y: 0 } };
  const a = sz * (suu * svv - suv * suv) - su * (suz * svv - suv * svz) + sv * (suz * suv - suu * svz);
  const b = n * (suz * svv - svz * suv) - sz * (su * svv - suv * sv) + sv * (su * svz - suz * sv);
  const c = n * (suu * svz - suv * suz) - su * (su * svz - suz * sv) + sz * (su * suv - suu * sv);
  return { level: a / det, slope: { x: b / det, y: c / det } };
}

/**
 * The noise of a picture as a standard deviation, from the differences of neighbouring pixels (Donoho's robust
 * estimate, on the finest details): paper, ink and smooth lighting differ little from one pixel to the next, while
 * independent noise of σ makes each difference vary by σ·√2. The median ignores the few differences at stroke edges,
 * so σ ≈ 1.4826 · median |Δ| / √2, and a drawn or scanned picture, with most neighbours equal, gets exactly 0.
 */
export function noiseLevel(image: GrayImage): number {
  const { data, width, height } = image;
  // A histogram of |Δ| ∈ [0, 1] filled as the differences are taken (no array of them: a photo has 2 per pixel),
  // each bin keeping its largest value, so the median is one of the differences, and 0 when most are 0.
  const count = new Float64Array(BINS);
  const most = new Float64Array(BINS);
  let n = 0;
  const add = (d: number) => {
    const b = Math.min(BINS - 1, Math.floor(d * BINS));
    count[b]++;
    if (d > most[b]) most[b] = d;
    n++;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (x + 1 < width) add(Math.abs(data[i + 1] - data[i]));
      if (y + 1 < height) add(Math.abs(data[i + width] - data[i]));
    }
  }
  if (n === 0) return 0;
  let seen = 0;
  for (let b = 0; b < BINS; b++) {
    seen += count[b];
    if (seen >= Math.ceil(n / 2)) return (1.4826 * most[b]) / Math.SQRT2;
  }
  return 0;
}

/**
 * Finds the paper under the digit, in three steps, as a document scanner would:
 *
 * 1. **Which side is paper.** {@link otsuThreshold} splits the gray levels into a dark and a light class; the class
 *    holding more of the border pixels is the paper (a digit is drawn inside the picture), the other is the ink.
 *    So gray paper under darker ink is light paper, whatever its level: 120 under 20 is inverted, as 230 under 30.
 * 2. **The paper's level under uneven light.** A plane is fitted to the paper-class pixels (see {@link Paper.slope}),
 *    then the picture is split again with that light evened out (Otsu on v − plane), and the plane refitted to the
 *    new paper class.
 * 3. **Its noise**, from {@link noiseLevel}.
 *
 * A picture of a single level has no ink class: its paper is light if above mid-gray.
 */
export function findPaper(image: GrayImage): Paper {
  const { data } = image;
  const threshold = otsuThreshold(data);
  let high = 0;
  let borderHigh = 0;
  let border = 0;
  for (const v of data) if (v > threshold) high++;
  forEachBorderPixel(image, (i) => {
    border++;
    if (data[i] > threshold) borderHigh++;
  });
  const noise = noiseLevel(image);
  if (high === 0) {
    const flat = fitPlane(image, () => true);
    return { light: flat.level > 0.5, threshold, ...flat, noise };
  }
  // The light class is paper when it holds more of the border; on a tie, when it holds more of the picture.
  const light = 2 * borderHigh !== border ? 2 * borderHigh > border : 2 * high >= data.length;
  const first = fitPlane(image, (i) => data[i] > threshold === light);
  const residual = new Float32Array(data.length);
  const { width, height } = image;
  for (let y = 0; y < height; y++) {
    const row = first.level + first.slope.y * (y + 0.5 - height / 2);
    for (let x = 0; x < width; x++)
      residual[y * width + x] = data[y * width + x] - (row + first.slope.x * (x + 0.5 - width / 2));
  }
  const split = otsuThreshold(residual);
  const plane = fitPlane(image, (i) => residual[i] > split === light);
  return { light, threshold, ...plane, noise };
}

/**
 * Whether the image is dark ink on a light background (paper, a white canvas), as {@link findPaper} decides it.
 * Such images are inverted, because MNIST's digits are white (1) on black (0).
 */
export function hasLightBackground(image: GrayImage, paper = findPaper(image)): boolean {
  return paper.light;
}

/** The most {@link toInk} evens out the light: where the paper is lit 2× more or less than at the centre. */
export const MAX_LIGHT_RATIO = 2;

/**
 * Ink as MNIST stores it, bright on black: each pixel's distance from the paper at that pixel (its fitted plane, see
 * {@link findPaper}), in the direction of the ink, evened out for the light. On light paper
 * ink = max(0, p − v) · (level / p), where p is the paper's level at the pixel (the inversion); on a dark background
 * ink = max(0, v − p) · (level / p). For a white page this is exactly 1 − v; subtracting the measured paper rather
 * than 1 also removes the grey cast of a photographed sheet.
 *
 * Why the factor level / p: a photo's pixel is light × reflectance, so where the light is half as strong, paper and
 * ink are both half as bright and their distance is halved too. Dividing by the paper's level there (a flat-field
 * correction, as astronomers and scanners do) makes a stroke as strong in the shadow as in the light. The factor is
 * kept within 1/{@link MAX_LIGHT_RATIO} … {@link MAX_LIGHT_RATIO}, and is 1 on a black background (p = 0), where
 * there is no light to measure; on evenly lit paper it is 1.
 */
export function toInk(image: GrayImage, paper = findPaper(image)): GrayImage {
  const { width, height } = image;
  const data = new Float32Array(image.data.length);
  for (let y = 0; y < height; y++) {
    const row = paperLevel(paper, width, height, 0, y);
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const level = row + paper.slope.x * x;
      const gain =
        paper.level > 0 && level > 0
          ? Math.min(MAX_LIGHT_RATIO, Math.max(1 / MAX_LIGHT_RATIO, paper.level / level))
          : 1;
      data[i] = Math.max(0, paper.light ? level - image.data[i] : image.data[i] - level) * gain;
    }
  }
  return { data, width, height };
}

/** The largest value of an image. */
function maxOf(image: GrayImage): number {
  let max = 0;
  for (const v of image.data) if (v > max) max = v;
  return max;
}

/** How strong ink must be to count, and what counts as full ink, as levels of an ink image ({@link toInk}). */
export interface InkLevels {
  /** Full ink: it becomes 1 ({@link cleanInk}). */
  full: number;
  /** Ink at or below this level is noise: it becomes 0, and does not widen the ink box. */
  cut: number;
}

/** The plain rule, for clean pictures: full ink is the strongest, and noise is at most `threshold` × that. */
export function strongestInk(ink: GrayImage, threshold = NOISE_THRESHOLD): InkLevels {
  const full = maxOf(ink);
  return { full, cut: threshold * full };
}

/** How many standard deviations of the picture's noise a mark must exceed to count as ink: 4, so noise alone almost never does. */
export const NOISE_SIGMAS = 4;
/** Full ink is this quantile of the ink class: the strongest 5% may be noise or a glint, and become 1 as well. */
export const FULL_INK_QUANTILE = 0.95;

/**
 * The robust rule, for photos: {@link otsuThreshold} splits the ink image into faint (paper) and strong (the
 * strokes) values; full ink is the {@link FULL_INK_QUANTILE} of the strong class, so a noisy pixel brighter than the
 * stroke does not set the scale. Noise is at most max({@link NOISE_THRESHOLD} × full, {@link NOISE_SIGMAS} × noise):
 * on a clean drawing the first, as before; on a noisy photo the cut rises above the grain of the paper.
 */
export function inkLevels(ink: GrayImage, noise = 0, threshold = NOISE_THRESHOLD): InkLevels {
  const split = otsuThreshold(ink.data);
  const strong = ink.data.filter((v) => v > split);
  const full = strong.length === 0 ? maxOf(ink) : quantile(strong, FULL_INK_QUANTILE);
  return { full, cut: Math.max(threshold * full, NOISE_SIGMAS * noise) };
}

/**
 * The bounding box of the ink: the smallest rectangle holding every pixel above `levels.cut`, so specks of noise
 * fainter than that do not widen it. With `ignoreLonePixels`, a pixel above the cut counts only if one of its 8
 * neighbours is above it too: a stroke is wider than a pixel, and a lone bright pixel is noise or dust. Returns null
 * when the image is blank: its full ink is below {@link MIN_CONTRAST}, or nothing counts.
 */
export function inkBox(
  ink: GrayImage,
  levels: InkLevels = strongestInk(ink),
  { ignoreLonePixels = false } = {},
): PixelBox | null {
  if (!(levels.full >= MIN_CONTRAST)) return null;
  const { data, width, height } = ink;
  const { cut } = levels;
  const counts = (x: number, y: number): boolean => {
    if (!(data[y * width + x] > cut)) return false;
    if (!ignoreLonePixels) return true;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        const ny = y + dy;
        if ((dx !== 0 || dy !== 0) && nx >= 0 && ny >= 0 && nx < width && ny < height && data[ny * width + nx] > cut) {
          return true;
        }
      }
    }
    return false;
  };
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (counts(x, y)) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  if (right < 0) return null;
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
 * Noise to 0 and full ink to 1: v ≤ `levels.cut` → 0, else min(1, v / `levels.full`). NIST's scans were bilevel, so
 * MNIST's strokes are full white with grey only at their anti-aliased edges; a pencil photo's ink may reach only 0.4.
 * Grey levels above the cut keep their proportions, so an MNIST digit passes through unchanged but for its faintest
 * edge pixels.
 */
export function cleanInk(ink: GrayImage, levels: InkLevels = strongestInk(ink)): GrayImage {
  const { full, cut } = levels;
  const data = new Float32Array(ink.data.length);
  if (full > 0) for (let i = 0; i < data.length; i++) data[i] = ink.data[i] > cut ? Math.min(1, ink.data[i] / full) : 0;
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
  if (!(mass > 0)) throw new PreprocessError("E_IMAGE_NO_DIGIT", "the image has no ink, so it has no centre of mass");
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
  /** The same 28×28 pixels as an image: what the model sees (see {@link digitPng} to save or show it). */
  image: GrayImage;
  /** The paper's level at the centre of the picture, in [0, 1] (`paper.level`). */
  background: number;
  /** Whether the picture was dark on light, and so was inverted (`paper.light`). */
  inverted: boolean;
  /** What {@link findPaper} found: the side of the ink, Otsu's threshold, the lighting gradient and the noise. */
  paper: Paper;
  /** Full ink and the noise cut, as distances from the paper in [0, 1] (see {@link inkLevels}). */
  levels: InkLevels;
  /** The ink's bounding box in the input picture. */
  box: PixelBox;
  /** The size of the digit after scaling its longer side to 20 pixels. */
  scaled: { width: number; height: number };
  /** Where the scaled digit's top-left corner was placed on the 28×28 canvas. */
  offset: Point;
  /** The centre of mass of the result: within 0.5 pixel of (14, 14). */
  centerOfMass: Point;
}

/** A level in [0, 1] as one of 255. */
const levels255 = (v: number) => Math.round(v * 255);

/** Why nothing in the picture is a digit, in numbers that are true of it. */
function noDigitMessage(paper: Paper, levels: InkLevels): string {
  const where = paper.light
    ? `darker than the paper (${levels255(paper.level)} of 255)`
    : `lighter than the background (${levels255(paper.level)} of 255)`;
  const strongest = `the ${paper.light ? "darkest" : "lightest"} marks are ${levels255(levels.full)} levels ${where}`;
  if (levels.full <= NOISE_SIGMAS * paper.noise) {
    return (
      `no digit found: nothing stands out from the picture's noise: ${strongest}, within ` +
      `${NOISE_SIGMAS} × its noise of ±${Math.max(1, levels255(paper.noise))} levels`
    );
  }
  if (levels.full < MIN_CONTRAST) {
    return `no digit found: ${strongest}, and a digit needs ${levels255(MIN_CONTRAST)} or more`;
  }
  return `no digit found: ${strongest}, but only in lone pixels (specks), not in strokes`;
}

/**
 * The whole recipe (see the module comment): a picture of a digit of any size → MNIST's [1, 28, 28] in [0, 1].
 * `pixels` holds height · width · channels values from 0 to 255 (see {@link grayscale}). Throws a
 * {@link PreprocessError} with a code: for a bad picture (see {@link grayscale}), or `E_IMAGE_NO_DIGIT` when no
 * ink stands out from the paper by {@link MIN_CONTRAST} and above the picture's noise.
 */
export function preprocessDigit(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 4,
): PreprocessedDigit {
  const gray = grayscale(pixels, width, height, channels);
  const paper = findPaper(gray);
  const ink = toInk(gray, paper);
  const levels = inkLevels(ink, paper.noise);
  const box = levels.full > levels.cut ? inkBox(ink, levels, { ignoreLonePixels: true }) : null;
  if (box === null) throw new PreprocessError("E_IMAGE_NO_DIGIT", noDigitMessage(paper, levels));
  const scaled = scaleToFit(cleanInk(crop(ink, box), levels));
  const { image, offset } = centerInCanvas(scaled);
  return {
    tensor: new Tensor(image.data, [1, MNIST_CANVAS, MNIST_CANVAS]),
    image,
    background: paper.level,
    inverted: paper.light,
    paper,
    levels,
    box,
    scaled: { width: scaled.width, height: scaled.height },
    offset,
    centerOfMass: centerOfMass(image),
  };
}
