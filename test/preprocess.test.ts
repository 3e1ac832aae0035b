/**
 * The MNIST preprocessing of src/data/preprocess.ts, step by step, on pictures drawn here with known pixels (see
 * helpers/images.ts), then the whole recipe, then the same picture through a PNG and a JPEG file.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MIN_CONTRAST,
  MNIST_BOX,
  MNIST_CANVAS,
  PreprocessError,
  borderMedian,
  centerInCanvas,
  centerOfMass,
  cleanInk,
  crop,
  findPaper,
  grayscale,
  hasLightBackground,
  inkBox,
  noiseLevel,
  otsuThreshold,
  preprocessDigit,
  resizeArea,
  scaleToFit,
  toInk,
  type GrayImage,
} from "../src/index.js";
import { ConvlabError } from "../src/errors.js";
import { decodeImage, detectImageFormat } from "../src/node/image-file.js";
import { canvas, drawSeven, encodeJpeg, encodePng, setPixel } from "./helpers/images.js";

/** Float32 storage rounds values near 1 to about 6e-8; pixel arithmetic in these tests stays well inside 1e-6. */
const EPS = 1e-6;

function gray(width: number, height: number, values: number[]): GrayImage {
  return { data: Float32Array.from(values), width, height };
}

const sum = (image: GrayImage) => image.data.reduce((a, v) => a + v, 0);

describe("grayscale", () => {
  test("ITU-R 601 luma of RGB, divided by 255", () => {
    const pixels = [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 200, 100, 50, 255];
    const { data } = grayscale(pixels, 4, 1, 4);
    const expected = [0.299, 0.587, 0.114, (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255];
    expected.forEach((e, i) => assert.ok(Math.abs(data[i] - e) < EPS, `pixel ${i}: ${data[i]} vs ${e}`));
  });

  test("alpha is composited over white: transparent is paper, half-transparent black is mid grey", () => {
    const { data } = grayscale([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 51], 3, 1, 4);
    assert.ok(Math.abs(data[0] - 1) < EPS && Math.abs(data[1] - 0) < EPS, `${data}`);
    assert.ok(Math.abs(data[2] - (1 - 51 / 255)) < EPS, `${data[2]}`);
  });

  test("gray, gray + alpha and RGB inputs", () => {
    assert.deepEqual(Array.from(grayscale([0, 255], 2, 1, 1).data), [0, 1]);
    assert.deepEqual(Array.from(grayscale([0, 0, 0, 255], 2, 1, 2).data), [1, 0]);
    assert.ok(Math.abs(grayscale([10, 20, 30], 1, 1, 3).data[0] - (0.299 * 10 + 0.587 * 20 + 0.114 * 30) / 255) < EPS);
  });

  test("an empty image and a buffer of the wrong size are errors", () => {
    assert.throws(
      () => grayscale([], 0, 0),
      (e: unknown) => e instanceof PreprocessError && e.reason === "empty",
    );
    assert.throws(() => grayscale([1, 2, 3], 1, 1, 4), /3 values do not make a 1×1 image of 4 channel/);
  });
});

describe("background and inversion", () => {
  test("the border median decides: dark ink on light paper is inverted, light on dark is not", () => {
    const paper = grayscale(drawSeven().image.data, 100, 60);
    assert.ok(Math.abs(borderMedian(paper) - grayscale([230, 228, 225], 1, 1, 3).data[0]) < EPS);
    assert.equal(hasLightBackground(paper), true);
    const chalk = grayscale(drawSeven([10, 10, 10], [240, 240, 240]).image.data, 100, 60);
    assert.equal(hasLightBackground(chalk), false);
  });

  test("a stroke touching the border does not move the median", () => {
    const image = gray(4, 4, [1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1]);
    assert.equal(borderMedian(image), 1);
  });

  test("toInk: distance from the background towards the ink, so both pictures give the same ink", () => {
    const paper = grayscale(drawSeven([230, 230, 230], [30, 30, 30]).image.data, 100, 60);
    const chalk = grayscale(drawSeven([30, 30, 30], [230, 230, 230]).image.data, 100, 60);
    const a = toInk(paper);
    const b = toInk(chalk);
    assert.ok(Math.abs(a.data[0]) < EPS, "background → 0");
    assert.ok(Math.abs(Math.max(...a.data) - 200 / 255) < EPS, "ink → (230 − 30) / 255");
    a.data.forEach((v, i) => assert.ok(Math.abs(v - b.data[i]) < EPS, `pixel ${i}`));
  });
});

describe("crop", () => {
  test("the ink box is the drawn stroke's bounding box; faint specks below 10% of the ink do not widen it", () => {
    const { image, box } = drawSeven([230, 230, 230], [30, 30, 30]);
    setPixel(image, 90, 55, [220, 220, 220]); // 10/200 = 5% of the ink: paper grain
    setPixel(image, 2, 2, [215, 215, 215]); // 7.5%
    assert.deepEqual(inkBox(toInk(grayscale(image.data, 100, 60))), box);
    assert.deepEqual(box, { x: 20, y: 6, width: 32, height: 46 });
  });

  test("a blank picture, or one whose marks are fainter than MIN_CONTRAST, has no ink box", () => {
    assert.equal(inkBox(gray(3, 1, [0, 0, 0])), null);
    assert.equal(inkBox(gray(3, 1, [0, MIN_CONTRAST * 0.9, 0])), null);
    assert.deepEqual(inkBox(gray(3, 1, [0, MIN_CONTRAST, 0])), { x: 1, y: 0, width: 1, height: 1 });
  });

  test("crop copies the box; cleanInk zeroes noise and scales the strongest ink to 1", () => {
    const image = gray(3, 3, [0, 0, 0, 0, 0.5, 0.04, 0, 0.25, 0]);
    const cropped = crop(image, { x: 1, y: 1, width: 2, height: 2 });
    assert.deepEqual(Array.from(cropped.data), [0.5, 0.04, 0.25, 0].map(Math.fround));
    assert.deepEqual(Array.from(cleanInk(cropped).data), [1, 0, 0.5, 0]);
  });
});

describe("scaling", () => {
  test("the longer side becomes 20 pixels and the aspect ratio is kept", () => {
    assert.deepEqual(sizeOf(scaleToFit(gray(32, 46, new Array(32 * 46).fill(1)))), [14, 20]);
    assert.deepEqual(sizeOf(scaleToFit(gray(50, 10, new Array(500).fill(1)))), [20, 4]);
    assert.deepEqual(sizeOf(scaleToFit(gray(3, 90, new Array(270).fill(1)))), [1, 20], "at least one pixel wide");
    assert.deepEqual(sizeOf(scaleToFit(gray(5, 4, new Array(20).fill(1)))), [20, 16], "small drawings grow");
  });

  test("area averaging: a 1-pixel line shrunk 5× becomes grey 0.2, not lost or kept whole as nearest would", () => {
    const values = new Array(100).fill(0);
    values[42] = 1;
    const out = resizeArea(gray(100, 1, values), 20, 1);
    assert.ok(Math.abs(out.data[8] - 0.2) < EPS, `${Array.from(out.data)}`);
    assert.equal(out.data.filter((v) => v > 0).length, 1);
  });

  test("area averaging keeps the total ink: Σ out · (in area / out area) = Σ in, for non-integer ratios too", () => {
    const { image } = drawSeven();
    const ink = toInk(grayscale(image.data, 100, 60));
    const out = resizeArea(ink, 37, 23);
    const ratio = (100 * 60) / (37 * 23);
    assert.ok(Math.abs(sum(out) * ratio - sum(ink)) < 1e-3 * sum(ink), `${sum(out) * ratio} vs ${sum(ink)}`);
  });
});

describe("centring", () => {
  test("the centre of mass uses pixel centres: one pixel at (2, 1) has its mass at (2.5, 1.5)", () => {
    const values = new Array(12).fill(0);
    values[1 * 4 + 2] = 0.7;
    assert.deepEqual(centerOfMass(gray(4, 3, values)), { x: 2.5, y: 1.5 });
    assert.throws(() => centerOfMass(gray(2, 1, [0, 0])), PreprocessError);
  });

  test("the digit is shifted by the rounded difference, so its centre of mass is within 0.5 px of (14, 14)", () => {
    const values = new Array(20 * 20).fill(0);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 6; x++) values[y * 20 + x] = 1; // mass at x = 3, y = 10
    const { image, offset } = centerInCanvas(gray(20, 20, values));
    assert.deepEqual(offset, { x: 11, y: 4 });
    assert.deepEqual(centerOfMass(image), { x: 14, y: 14 });
    assert.equal(sum(image), 120, "nothing pushed off the canvas");
  });
});

describe("preprocessDigit", () => {
  test("a '7' on a 100×60 page becomes a 28×28 digit in [0, 1], white on black, centred", () => {
    const { image, box } = drawSeven();
    const digit = preprocessDigit(image.data, image.width, image.height);
    assert.deepEqual(digit.tensor.shape, [1, MNIST_CANVAS, MNIST_CANVAS]);
    assert.equal(digit.inverted, true);
    assert.deepEqual(digit.box, box);
    assert.deepEqual(digit.scaled, { width: 14, height: MNIST_BOX });
    assert.ok(digit.tensor.data.every((v) => v >= 0 && v <= 1));
    assert.ok(Math.abs(Math.max(...digit.tensor.data) - 1) < EPS, "the strongest ink is 1");
    const com = centerOfMass(digit.image);
    assert.ok(Math.abs(com.x - 14) <= 0.5 && Math.abs(com.y - 14) <= 0.5, JSON.stringify(com));
    assert.deepEqual(digit.centerOfMass, com);
    assert.equal(corners(digit.image), 0, "the margin is black");
  });

  test("a light digit on a dark background gives the same 28×28 without inversion", () => {
    const paper = preprocessDigit(drawSeven([230, 230, 230], [30, 30, 30]).image.data, 100, 60);
    const chalk = preprocessDigit(drawSeven([30, 30, 30], [230, 230, 230]).image.data, 100, 60);
    assert.equal(chalk.inverted, false);
    paper.image.data.forEach((v, i) => assert.ok(Math.abs(v - chalk.image.data[i]) < EPS, `pixel ${i}`));
  });

  test("a blank picture is a PreprocessError that says no digit was found", () => {
    const blank = canvas(40, 30, [250, 250, 250]);
    setPixel(blank, 20, 15, [245, 245, 245]); // a speck too faint to be a digit
    assert.throws(
      () => preprocessDigit(blank.data, 40, 30),
      (e: unknown) => e instanceof PreprocessError && e.reason === "blank" && /no digit found/.test(e.message),
    );
  });

  test("through a PNG and a JPEG file: same decisions, pixels within JPEG's loss", () => {
    const { image, box } = drawSeven();
    const direct = preprocessDigit(image.data, image.width, image.height);
    const png = decodeImage(encodePng(image), "seven.png");
    assert.equal(png.format, "png");
    assert.deepEqual(preprocessDigit(png.data, png.width, png.height).image.data, direct.image.data);
    const jpegBytes = encodeJpeg(image, 90);
    assert.equal(detectImageFormat(jpegBytes), "jpeg");
    const jpg = decodeImage(jpegBytes, "seven.jpg");
    const viaJpeg = preprocessDigit(jpg.data, jpg.width, jpg.height);
    assert.equal(viaJpeg.inverted, true);
    // JPEG ringing may extend the box by a pixel or two at the stroke edges.
    for (const k of ["x", "y", "width", "height"] as const) assert.ok(Math.abs(viaJpeg.box[k] - box[k]) <= 2, k);
    const meanDiff = direct.image.data.reduce((a, v, i) => a + Math.abs(v - viaJpeg.image.data[i]), 0) / 784;
    assert.ok(meanDiff < 0.05, `mean |Δ| ${meanDiff}`);
  });
});

function sizeOf(image: GrayImage): [number, number] {
  return [image.width, image.height];
}

/** The summed values of the four 2×2 corners. */
function corners(image: GrayImage): number {
  let total = 0;
  for (const y of [0, 1, image.height - 2, image.height - 1]) {
    for (const x of [0, 1, image.width - 2, image.width - 1]) total += image.data[y * image.width + x];
  }
  return total;
}

/** Asserts that `fn` throws a PreprocessError (a ConvlabError, never a RangeError) with this code. */
function throwsCode(fn: () => unknown, code: string, label: string): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof PreprocessError && e instanceof ConvlabError && e.code === code,
    `${label}: expected ${code}`,
  );
}

describe("bad pictures: a PreprocessError with a code, never a RangeError", () => {
  const rgba = (n: number) => new Array<number>(n * 4).fill(200);

  test("non-finite and out-of-range pixel values: E_IMAGE_PIXELS, naming the pixel", () => {
    for (const bad of [Infinity, -Infinity, NaN, -1, 256, 1e9]) {
      const pixels = rgba(6);
      pixels[4 * 4 + 1] = bad; // pixel 4 = (1, 1) of a 3×2 picture, channel 1
      throwsCode(() => preprocessDigit(pixels, 3, 2), "E_IMAGE_PIXELS", String(bad));
      assert.throws(() => grayscale(pixels, 3, 2), { message: new RegExp(`pixel \\(1, 1\\) has the value ${bad}`) });
    }
    // The fuzz campaign's case: a whole picture of Infinity once reached `new Float32Array(-N)`.
    throwsCode(() => preprocessDigit(new Float64Array(40 * 30 * 4).fill(Infinity), 40, 30), "E_IMAGE_PIXELS", "all ∞");
  });

  test("sizes that are not whole positive pixels: E_IMAGE_EMPTY for 0, E_IMAGE_SIZE otherwise", () => {
    throwsCode(() => preprocessDigit([], 0, 5), "E_IMAGE_EMPTY", "0 wide");
    assert.equal(new PreprocessError("E_IMAGE_EMPTY", "").reason, "empty", "the lab's coarse reason stays");
    for (const [w, h] of [
      [-2, 3],
      [2.5, 2],
      [NaN, 1],
      [Infinity, 1],
      [1, -0.5],
    ]) {
      throwsCode(() => preprocessDigit(rgba(6), w, h), "E_IMAGE_SIZE", `${w}×${h}`);
    }
  });

  test("a buffer that is too short, too long or missing: E_IMAGE_BUFFER; other channel counts: E_IMAGE_CHANNELS", () => {
    throwsCode(() => preprocessDigit(rgba(5), 3, 2), "E_IMAGE_BUFFER", "short");
    throwsCode(() => preprocessDigit(rgba(7), 3, 2), "E_IMAGE_BUFFER", "long");
    throwsCode(() => preprocessDigit(null as unknown as number[], 3, 2), "E_IMAGE_BUFFER", "null");
    throwsCode(() => preprocessDigit(rgba(6), 3, 2, 5 as 4), "E_IMAGE_CHANNELS", "5 channels");
    throwsCode(() => preprocessDigit(rgba(6), 3, 2, 0 as 4), "E_IMAGE_CHANNELS", "0 channels");
  });

  test("1×1, 1×N and N×1 pictures give a digit or E_IMAGE_NO_DIGIT", () => {
    throwsCode(() => preprocessDigit([0, 0, 0, 255], 1, 1), "E_IMAGE_NO_DIGIT", "1×1");
    const line = (n: number) => Array.from({ length: n }, (_, i) => (i > n / 3 && i < (2 * n) / 3 ? 0 : 255));
    for (const [w, h] of [
      [30, 1],
      [1, 30],
    ]) {
      const digit = preprocessDigit(line(30), w, h, 1);
      assert.equal(digit.inverted, true);
      assert.ok(digit.tensor.data.every((v) => v >= 0 && v <= 1));
    }
  });

  test("random damage to a good picture: always a digit or a PreprocessError (seeded, 400 tries)", () => {
    const { image } = drawSeven();
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const specials = [Infinity, -Infinity, NaN, -1, 300, 0, 255, 127.5];
    for (let t = 0; t < 400; t++) {
      const pixels = Array.from(image.data);
      for (let k = Math.floor(next() * 4); k >= 0; k--) {
        pixels[Math.floor(next() * pixels.length)] = specials[Math.floor(next() * specials.length)];
      }
      const width = next() < 0.1 ? specials[Math.floor(next() * specials.length)] : 100;
      try {
        const digit = preprocessDigit(pixels, width, 60);
        assert.ok(
          digit.tensor.data.every((v) => v >= 0 && v <= 1),
          `try ${t}: values in [0, 1]`,
        );
      } catch (error) {
        assert.ok(error instanceof PreprocessError, `try ${t}: ${String(error)}`);
      }
    }
  });
});

describe("paper and ink on dim, unevenly lit, noisy pages", () => {
  test("Otsu's threshold lies between the two levels of a two-level picture; one level is not split", () => {
    const t = otsuThreshold([0.1, 0.1, 0.1, 0.8, 0.8]);
    assert.ok(t > 0.1 && t < 0.8, `${t}`);
    assert.equal(otsuThreshold([0.4, 0.4]), 0.4);
    // Paper 90 … 150 under 35 ink: the split is between ink and paper, not inside the paper's range.
    const levels = [...Array.from({ length: 900 }, (_, i) => 90 + (60 * i) / 899), ...new Array(100).fill(35)];
    const split = otsuThreshold(levels);
    assert.ok(split > 35 && split < 90, `${split}`);
  });

  test("a plain 120-gray page with ink 100 levels darker is light paper, and its digit is found", () => {
    const gray = drawSeven([120, 120, 120], [20, 20, 20]);
    const paper = findPaper(grayscale(gray.image.data, 100, 60));
    assert.equal(paper.light, true, "gray paper under darker ink is light paper, though below mid-gray");
    assert.ok(Math.abs(paper.level - 120 / 255) < EPS, `${paper.level}`);
    const digit = preprocessDigit(gray.image.data, 100, 60);
    assert.equal(digit.inverted, true);
    assert.deepEqual(digit.box, gray.box);
    assert.ok(Math.abs(digit.levels.full - 100 / 255) < EPS, `full ink ${digit.levels.full}: 100 levels`);
    // The same 28×28 as the same "7" on white paper: cleanInk scales full ink to 1 either way.
    const white = preprocessDigit(drawSeven([230, 230, 230], [30, 30, 30]).image.data, 100, 60);
    white.image.data.forEach((v, i) => assert.ok(Math.abs(v - digit.image.data[i]) < EPS, `pixel ${i}`));
  });

  test("the light's fall-off is fitted as a plane and evened out: a stroke is as strong in the shade", () => {
    // Paper from 150 at the left to 90 at the right; the ink reflects 25% of the light falling on it.
    const page = canvas(100, 60, [0, 0, 0]);
    const { image } = drawSeven([255, 255, 255], [0, 0, 0]);
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 100; x++) {
        const light = 150 - (60 * (x + 0.5)) / 100;
        const v = image.data[(y * 100 + x) * 4] === 0 ? 0.25 * light : light;
        setPixel(page, x, y, [v, v, v]);
      }
    }
    const paper = findPaper(grayscale(page.data, 100, 60));
    assert.equal(paper.light, true);
    assert.ok(Math.abs(paper.slope.x * 255 + 0.6) < 0.01, `slope ${paper.slope.x * 255} levels per pixel, not −0.6`);
    assert.ok(Math.abs(paper.slope.y * 255) < 0.01, `${paper.slope.y * 255}`);
    assert.equal(paper.noise, 0, "a clean page has no noise");
    const ink = toInk(grayscale(page.data, 100, 60), paper);
    // Ink everywhere is 75% of the light, so after evening out the light it is 75% of the level at the centre.
    const strokes = ink.data.filter((v) => v > 0.2);
    const [lo, hi] = [Math.min(...strokes), Math.max(...strokes)];
    assert.ok(hi - lo < 2 / 255, `stroke strength varies by ${(hi - lo) * 255} levels`);
  });

  test("noise is measured from neighbouring pixels: 0 on a drawing, σ on a noisy page", () => {
    assert.equal(noiseLevel(grayscale(drawSeven().image.data, 100, 60)), 0);
    let seed = 7;
    const uniform = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
    const sigma = 8 / 255;
    // Sums of 4 uniforms have σ = √(4/12); scaled to σ = 8 levels.
    const noisy = Float32Array.from({ length: 200 * 150 }, () => {
      const bell = (uniform() + uniform() + uniform() + uniform()) / Math.sqrt(4 / 12);
      return 0.5 + sigma * bell;
    });
    const measured = noiseLevel({ data: noisy, width: 200, height: 150 });
    assert.ok(Math.abs(measured - sigma) < 0.1 * sigma, `σ ${measured * 255} levels, not 8 (10% tolerance)`);
  });

  test("no digit: the message gives true numbers, the contrast and the noise", () => {
    const speck = canvas(40, 30, [250, 250, 250]);
    setPixel(speck, 20, 15, [245, 245, 245]);
    setPixel(speck, 21, 15, [245, 245, 245]);
    assert.throws(
      () => preprocessDigit(speck.data, 40, 30),
      (e: unknown) =>
        e instanceof PreprocessError &&
        e.code === "E_IMAGE_NO_DIGIT" &&
        e.reason === "blank" &&
        e.message ===
          "no digit found: the darkest marks are 5 levels darker than the paper (250 of 255), and a digit needs 26 or more",
    );
    const dust = canvas(40, 30, [250, 250, 250]);
    setPixel(dust, 5, 5, [50, 50, 50]);
    setPixel(dust, 30, 20, [50, 50, 50]);
    assert.throws(() => preprocessDigit(dust.data, 40, 30), {
      code: "E_IMAGE_NO_DIGIT",
      message:
        "no digit found: the darkest marks are 200 levels darker than the paper (250 of 255), but only in lone pixels (specks), not in strokes",
    });
    // A dim, noisy page with nothing on it: its noise is not a digit.
    let seed = 3;
    const uniform = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
    const blank = canvas(120, 90, [0, 0, 0]);
    for (let y = 0; y < 90; y++) {
      for (let x = 0; x < 120; x++) {
        const v = Math.round(150 - (60 * x) / 120 + 10 * (uniform() + uniform() + uniform()));
        setPixel(blank, x, y, [v, v, v]);
      }
    }
    assert.throws(
      () => preprocessDigit(blank.data, 120, 90),
      (e: unknown) =>
        e instanceof PreprocessError &&
        e.code === "E_IMAGE_NO_DIGIT" &&
        /stands out from the picture's noise/.test(e.message),
    );
    assert.throws(
      () => preprocessDigit(canvas(8, 8, [120, 120, 120]).data, 8, 8),
      { code: "E_IMAGE_NO_DIGIT", message: /the (darkest|lightest) marks are 0 levels/ },
      "a flat page",
    );
  });
});
