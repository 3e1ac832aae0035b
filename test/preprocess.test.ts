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
  grayscale,
  hasLightBackground,
  inkBox,
  preprocessDigit,
  resizeArea,
  scaleToFit,
  toInk,
  type GrayImage,
} from "../src/index.js";
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
