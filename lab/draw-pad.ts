// The canvas a digit is drawn on: black ink on white, as on paper, so the picture goes through the same
// preprocessDigit steps (grayscale, inversion, crop…) as a photo given to `convlab predict`.
import { el } from "./context.js";

/** The pad's side in CSS pixels. */
export const PAD_SIZE = 280;
/**
 * The pen's width in CSS pixels. A digit drawn about 200 px tall is scaled by 20/200 to MNIST's 20-pixel box, so a
 * 20 px stroke becomes about 2 pixels wide with grey edges: the width of MNIST's pen strokes.
 */
export const PEN_WIDTH = 20;
/** Backing pixels per CSS pixel for marks: sharp on high-density screens, at most 2 (sharp enough, 4× the pixels). */
export const markDensity = (): number => Math.min(2, Math.max(1, window.devicePixelRatio || 1));

/** A point in the pad's CSS pixels, (0, 0) at its top-left corner. */
interface PadPoint {
  x: number;
  y: number;
}

/** The drawing pad: the canvas, a see-through canvas over it for marks, and what a caller needs from it. */
export interface DrawPad {
  /** The pad's box: the drawing and its overlay, stacked. */
  element: HTMLElement;
  /**
   * The drawing, {@link PAD_SIZE} pixels square on every screen: preprocessDigit then sees the same pixels, and
   * decides the same numbers, whatever the screen's pixel density.
   */
  canvas: HTMLCanvasElement;
  /**
   * Marks over the drawing (the ink box), kept off the drawing so they never reach the preprocessing. Its context
   * works in the drawing's pixels; its backing store may be denser.
   */
  overlay: HTMLCanvasElement;
  /** The drawing as RGBA bytes, what preprocessDigit takes with channels = 4. */
  pixels(): ImageData;
  /** Wipes the drawing back to white paper. */
  clear(): void;
}

/** A canvas of the pad's size with `density` backing pixels per CSS pixel, its context working in CSS pixels. */
function padCanvas(
  density: number,
  attributes: Record<string, string>,
  settings: CanvasRenderingContext2DSettings = {},
): HTMLCanvasElement {
  const canvas = el("canvas", attributes);
  canvas.width = canvas.height = Math.round(PAD_SIZE * density);
  canvas.getContext("2d", settings)!.setTransform(density, 0, 0, density, 0, 0);
  return canvas;
}

/**
 * The pad, drawn on by mouse, pen or finger through Pointer Events. `onChange(final)` is called after every change
 * of the drawing: with `final` false while a stroke goes on (the caller throttles those), true when a stroke ends or
 * the pad is cleared.
 */
export function drawPad(onChange: (final: boolean) => void): DrawPad {
  // The drawing is read back on every frame of a stroke; saying so keeps it in memory rather than on the GPU.
  const canvas = padCanvas(1, { testid: "draw-canvas", class: "draw-canvas" }, { willReadFrequently: true });
  const overlay = padCanvas(markDensity(), { class: "draw-overlay", "aria-hidden": "true" });
  const element = el("div", { class: "draw-pad" }, canvas, overlay);
  const pen = canvas.getContext("2d")!;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.lineWidth = PEN_WIDTH;
  pen.strokeStyle = pen.fillStyle = "black";

  const clear = () => {
    pen.save();
    pen.fillStyle = "white";
    pen.fillRect(0, 0, PAD_SIZE, PAD_SIZE);
    pen.restore();
  };
  clear();

  // One pointer draws at a time: a second finger on a touch screen neither draws nor breaks the stroke.
  let active: number | null = null;
  let last: PadPoint | null = null;
  const at = (event: PointerEvent): PadPoint => {
    // The canvas may be shrunk by CSS on a narrow screen; strokes stay where the finger is.
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * PAD_SIZE) / box.width,
      y: ((event.clientY - box.top) * PAD_SIZE) / box.height,
    };
  };
  const dot = (p: PadPoint) => {
    pen.beginPath();
    pen.arc(p.x, p.y, PEN_WIDTH / 2, 0, 2 * Math.PI);
    pen.fill();
  };
  const line = (from: PadPoint, to: PadPoint) => {
    pen.beginPath();
    pen.moveTo(from.x, from.y);
    pen.lineTo(to.x, to.y);
    pen.stroke();
  };

  canvas.addEventListener("pointerdown", (event) => {
    if (active !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    active = event.pointerId;
    // Capture keeps the stroke going when the pointer leaves the pad, and brings its pointerup back here.
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    dot(last);
    onChange(false);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== active || last === null) return;
    // A fast stroke delivers several positions per frame; drawing all of them keeps curves round.
    const events = typeof event.getCoalescedEvents === "function" ? event.getCoalescedEvents() : [];
    for (const each of events.length > 0 ? events : [event]) {
      const next = at(each);
      line(last, next);
      last = next;
    }
    onChange(false);
  });
  const end = (event: PointerEvent) => {
    if (event.pointerId !== active) return;
    active = null;
    last = null;
    onChange(true);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("lostpointercapture", end);

  return {
    element,
    canvas,
    overlay,
    pixels: () => pen.getImageData(0, 0, canvas.width, canvas.height),
    clear() {
      clear();
      onChange(true);
    },
  };
}
