// The preparation of a drawing, step by step, as preprocessDigit decided it (src/data/preprocess.ts): the ink box,
// the digit scaled to fit 20×20, the shift that puts its centre of mass at (14, 14), and the 28×28 input. Every
// picture here is cut from preprocessDigit's own result or from the drawing, never recomputed, so what is shown is
// exactly what the model gets.
import { MNIST_BOX, MNIST_CANVAS, type PreprocessedDigit } from "../src/data/preprocess.js";
import type { Plane } from "../src/report/types.js";
import { el, tr, type LabContext, type Texts } from "./context.js";
import { markDensity, PAD_SIZE, type DrawPad } from "./draw-pad.js";
import { both, fixed, liveText, signed, type LiveText } from "./draw-text.js";
import { drawPlane } from "./planes.js";

/** CSS pixels per MNIST pixel in the scaling, centring and input pictures. */
const SCALED_ZOOM = 6;
const CENTRE_ZOOM = 5;
const INPUT_ZOOM = 8;
/** The crop is shown within a square of this many CSS pixels, keeping its aspect ratio. */
const CROP_SIDE = MNIST_BOX * SCALED_ZOOM;
/** Shown in place of a number while the pad is blank. */
const NONE = both("—");

/** The steps' view: built once, then shown again after every stroke. */
export interface StepsView {
  element: HTMLElement;
  /** Shows what preprocessDigit decided for the pad's drawing; `digit` null for a blank pad. */
  show(digit: PreprocessedDigit | null, pad: DrawPad): void;
}

/** A step: its numbered title, its picture, and the numbers it decided, one line each. */
function stepFigure(ctx: LabContext, title: Texts, picture: HTMLElement, lines: LiveText[]): HTMLElement {
  return el(
    "figure",
    { class: "draw-step" },
    el("h4", {}, tr(ctx, title)),
    el("div", { class: "draw-step-picture" }, picture),
    el("ul", { class: "draw-step-numbers" }, ...lines.map((line) => el("li", {}, line.node))),
  );
}

/** `count` lines of text for a step. */
const lines = (ctx: LabContext, count: number): LiveText[] => Array.from({ length: count }, () => liveText(ctx));

/** A canvas of `side` × `side` CSS pixels for marks over a picture, its context working in CSS pixels. */
function marksCanvas(side: number): HTMLCanvasElement {
  const density = markDensity();
  const canvas = el("canvas", { class: "draw-marks", "aria-hidden": "true" });
  canvas.width = canvas.height = Math.round(side * density);
  canvas.style.width = canvas.style.height = `${side}px`;
  canvas.getContext("2d")!.setTransform(density, 0, 0, density, 0, 0);
  return canvas;
}

/** The scaled digit as preprocessDigit made it: the `scaled`-sized part of the 28×28 image at `offset`. */
function scaledPlane(digit: PreprocessedDigit): Plane {
  const { width, height } = digit.scaled;
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cx = x + digit.offset.x;
      const cy = y + digit.offset.y;
      // Pixels a lopsided digit pushed off the canvas were dropped; they show as black here too.
      const inside = cx >= 0 && cx < MNIST_CANVAS && cy >= 0 && cy < MNIST_CANVAS;
      values[y * width + x] = inside ? digit.image.data[cy * MNIST_CANVAS + cx] : 0;
    }
  }
  return { width, height, values };
}

/** preprocessDigit's 28×28 image as a plane. */
const toPlane = (digit: PreprocessedDigit): Plane => ({
  width: digit.image.width,
  height: digit.image.height,
  values: digit.image.data,
});

/** An all-black plane: the steps' pictures while the pad is blank. */
const blackPlane = (width: number, height: number): Plane => ({
  width,
  height,
  values: new Float32Array(width * height),
});

/** The ink box on the pad's overlay, just outside the ink so it does not hide the stroke's edge. */
function markInkBox(pad: DrawPad, digit: PreprocessedDigit | null): void {
  const marks = pad.overlay.getContext("2d")!;
  marks.clearRect(0, 0, PAD_SIZE, PAD_SIZE);
  if (digit === null) return;
  const { x, y, width, height } = digit.box;
  marks.save();
  marks.strokeStyle = "#2f6fdf";
  marks.lineWidth = 1.5;
  marks.setLineDash([6, 4]);
  marks.strokeRect(x - 1, y - 1, width + 2, height + 2);
  marks.restore();
}

/** Step 1: the drawing cut to the ink box, inverted as preprocessDigit inverted it. */
function showCrop(canvas: HTMLCanvasElement, pad: DrawPad, digit: PreprocessedDigit | null): void {
  const box = digit?.box ?? { x: 0, y: 0, width: 1, height: 1 };
  canvas.width = box.width;
  canvas.height = box.height;
  const fit = CROP_SIDE / Math.max(box.width, box.height);
  canvas.style.width = `${box.width * fit}px`;
  canvas.style.height = `${box.height * fit}px`;
  canvas.classList.toggle("inverted", digit?.inverted ?? false);
  canvas.hidden = digit === null;
  if (digit !== null) {
    canvas.getContext("2d")!.drawImage(pad.canvas, box.x, box.y, box.width, box.height, 0, 0, box.width, box.height);
  }
}

/** Step 3's marks over the 28×28 picture: the scaled digit's place, the canvas centre (+), the centre of mass (●). */
function markCentre(canvas: HTMLCanvasElement, digit: PreprocessedDigit | null): void {
  const marks = canvas.getContext("2d")!;
  const side = MNIST_CANVAS * CENTRE_ZOOM;
  marks.clearRect(0, 0, side, side);
  if (digit === null) return;
  const z = CENTRE_ZOOM;
  marks.save();
  marks.lineWidth = 1.5;
  marks.setLineDash([4, 3]);
  marks.strokeStyle = "#6f9bea";
  marks.strokeRect(digit.offset.x * z, digit.offset.y * z, digit.scaled.width * z, digit.scaled.height * z);
  marks.setLineDash([]);
  const centre = (MNIST_CANVAS / 2) * z;
  marks.strokeStyle = "#3ecf7a";
  marks.beginPath();
  marks.moveTo(centre - 9, centre);
  marks.lineTo(centre + 9, centre);
  marks.moveTo(centre, centre - 9);
  marks.lineTo(centre, centre + 9);
  marks.stroke();
  marks.fillStyle = "#ff5a4a";
  marks.beginPath();
  marks.arc(digit.centerOfMass.x * z, digit.centerOfMass.y * z, 3.5, 0, 2 * Math.PI);
  marks.fill();
  marks.restore();
}

/**
 * The four steps of preprocessDigit for the drawing, each with its picture and the numbers it decided, plus the ink
 * box drawn over the pad itself.
 */
export function stepsView(ctx: LabContext): StepsView {
  const crop = el("canvas", { class: "draw-crop" });
  const cropLines = lines(ctx, 2);
  const scaled = el("canvas", {});
  const scaledLines = lines(ctx, 2);
  const centred = el("canvas", {});
  const centreMarks = marksCanvas(MNIST_CANVAS * CENTRE_ZOOM);
  const centreLines = lines(ctx, 3);
  const input = el("canvas", { testid: "draw-input" });
  const inputLines = lines(ctx, 2);

  const element = el(
    "div",
    { class: "draw-steps", testid: "draw-steps" },
    stepFigure(ctx, { en: "1. Crop to the ink", vi: "1. Cắt sát nét mực" }, crop, cropLines),
    stepFigure(ctx, { en: "2. Scale to fit 20×20", vi: "2. Thu nhỏ vừa khung 20×20" }, scaled, scaledLines),
    stepFigure(
      ctx,
      { en: "3. Centre the mass", vi: "3. Đưa trọng tâm vào giữa" },
      el("div", { class: "draw-marked" }, centred, centreMarks),
      centreLines,
    ),
    stepFigure(ctx, { en: "4. The model's input", vi: "4. Đầu vào của mô hình" }, input, inputLines),
  );

  const show = (digit: PreprocessedDigit | null, pad: DrawPad) => {
    element.classList.toggle("is-blank", digit === null);
    markInkBox(pad, digit);
    showCrop(crop, pad, digit);
    drawPlane(scaled, digit === null ? blackPlane(MNIST_BOX, MNIST_BOX) : scaledPlane(digit), {
      scale: SCALED_ZOOM,
      max: 1,
    });
    const full = digit === null ? blackPlane(MNIST_CANVAS, MNIST_CANVAS) : toPlane(digit);
    drawPlane(centred, full, { scale: CENTRE_ZOOM, max: 1 });
    markCentre(centreMarks, digit);
    drawPlane(input, full, { scale: INPUT_ZOOM, max: 1 });
    if (digit === null) {
      for (const line of [...cropLines, ...scaledLines, ...centreLines, ...inputLines]) line.set(NONE);
      return;
    }
    describe(digit, pad, { cropLines, scaledLines, centreLines, inputLines });
  };
  return { element, show };
}

/** The numbers each step decided, in words. */
function describe(
  digit: PreprocessedDigit,
  pad: DrawPad,
  lines: { cropLines: LiveText[]; scaledLines: LiveText[]; centreLines: LiveText[]; inputLines: LiveText[] },
): void {
  const { box, scaled, offset, centerOfMass } = digit;
  const side = pad.canvas.width;
  lines.cropLines[0].set({
    en: `ink box ${box.width}×${box.height} px at (${box.x}, ${box.y}) of ${side}×${side}`,
    vi: `khung mực ${box.width}×${box.height} px tại (${box.x}, ${box.y}) trong ${side}×${side}`,
  });
  const background = Math.round(digit.background * 255);
  lines.cropLines[1].set(
    digit.inverted
      ? {
          en: `background ${background}/255, light: inverted to white ink on black`,
          vi: `nền ${background}/255, sáng: đảo màu thành mực trắng trên nền đen`,
        }
      : {
          en: `background ${background}/255, dark: not inverted`,
          vi: `nền ${background}/255, tối: không đảo màu`,
        },
  );
  const factor = MNIST_BOX / Math.max(box.width, box.height);
  lines.scaledLines[0].set(both(`${box.width}×${box.height} → ${scaled.width}×${scaled.height} px`));
  lines.scaledLines[1].set({
    en: `×${fixed(factor, 3)}: the longer side to 20, by area averaging`,
    vi: `×${fixed(factor, 3)}: cạnh dài thành 20, lấy trung bình theo diện tích`,
  });
  // The scaled digit's own centre of mass: the final one, moved back by the whole-pixel offset.
  const own = { x: centerOfMass.x - offset.x, y: centerOfMass.y - offset.y };
  lines.centreLines[0].set({
    en: `centre of mass (x̄, ȳ) = (${fixed(own.x)}, ${fixed(own.y)})`,
    vi: `trọng tâm (x̄, ȳ) = (${fixed(own.x)}, ${fixed(own.y)})`,
  });
  lines.centreLines[1].set({
    en: `shift (${signed(offset.x)}, ${signed(offset.y)}) = round(14 − x̄, 14 − ȳ)`,
    vi: `dời (${signed(offset.x)}, ${signed(offset.y)}) = round(14 − x̄, 14 − ȳ)`,
  });
  lines.centreLines[2].set({
    en: `● now at (${fixed(centerOfMass.x)}, ${fixed(centerOfMass.y)}), + is (14, 14)`,
    vi: `● giờ ở (${fixed(centerOfMass.x)}, ${fixed(centerOfMass.y)}), + là (14, 14)`,
  });
  lines.inputLines[0].set({ en: "tensor [1, 1, 28, 28], values 0…1", vi: "tensor [1, 1, 28, 28], giá trị 0…1" });
  lines.inputLines[1].set({ en: "white ink on black, as in MNIST", vi: "mực trắng trên nền đen, như MNIST" });
}
