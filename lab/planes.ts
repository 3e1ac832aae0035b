import type { Plane } from "../src/report/types.js";

/** How {@link drawPlane} maps values to grey: MNIST's white ink on black, each plane scaled to its own maximum. */
export interface PlaneStyle {
  /** CSS pixels per value. Default 4. */
  scale?: number;
  /** The value drawn white; default the plane's own maximum (at least a tiny positive number). */
  max?: number;
}

/**
 * Draws one plane (a feature map, a kernel, an image) on a canvas, one block of `scale` pixels per value, black at 0
 * (or below) and white at `max`: how the tutorial's `plt.imshow(…, cmap="gray")` shows them.
 */
export function drawPlane(canvas: HTMLCanvasElement, plane: Plane, style: PlaneStyle = {}): void {
  const scale = style.scale ?? 4;
  // Assigning a canvas's size reallocates it even when unchanged; a plane redrawn every frame keeps its buffer.
  if (canvas.width !== plane.width) canvas.width = plane.width;
  if (canvas.height !== plane.height) canvas.height = plane.height;
  canvas.style.width = `${plane.width * scale}px`;
  canvas.style.height = `${plane.height * scale}px`;
  canvas.style.imageRendering = "pixelated";
  const context = canvas.getContext("2d")!;
  const image = context.createImageData(plane.width, plane.height);
  let max = style.max ?? 0;
  if (style.max === undefined) for (let i = 0; i < plane.values.length; i++) max = Math.max(max, plane.values[i]);
  const top = max > 1e-12 ? max : 1e-12;
  for (let i = 0; i < plane.values.length; i++) {
    const grey = Math.round(255 * Math.min(1, Math.max(0, plane.values[i] / top)));
    image.data.set([grey, grey, grey, 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}

/** One plane of a grid: its canvas with its index under it. */
function planeFigure(plane: Plane, index: number, style: PlaneStyle): HTMLElement {
  const figure = document.createElement("figure");
  const canvas = document.createElement("canvas");
  drawPlane(canvas, plane, style);
  const caption = document.createElement("figcaption");
  caption.textContent = String(index);
  figure.append(canvas, caption);
  return figure;
}

/** A grid of planes, each on its own canvas with its index under it: "every channel of conv1". */
export function planeGrid(planes: Plane[], style: PlaneStyle = {}): HTMLElement {
  const grid = document.createElement("div");
  grid.className = "plane-grid";
  updatePlaneGrid(grid, planes, style);
  return grid;
}

/**
 * Redraws a grid made by {@link planeGrid} with new planes. When the count is unchanged its canvases are reused, so
 * a grid redrawn on every animation frame (the Draw part's feature maps) does not rebuild its part of the page.
 */
export function updatePlaneGrid(grid: HTMLElement, planes: Plane[], style: PlaneStyle = {}): void {
  const canvases = grid.querySelectorAll<HTMLCanvasElement>(":scope > figure > canvas");
  if (canvases.length !== planes.length) {
    grid.replaceChildren(...planes.map((plane, i) => planeFigure(plane, i, style)));
    return;
  }
  planes.forEach((plane, i) => drawPlane(canvases[i], plane, style));
}
