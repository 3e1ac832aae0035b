// What the model made of the drawing: the predicted digit, the ten probabilities as bars, and the feature maps of
// each convolution. Built once; `show` redraws in place, so a stroke's frames do not rebuild the page.
import { el, tr, type LabContext } from "./context.js";
import type { DigitReading, LayerMaps } from "./draw-model.js";
import { both, fixed, liveText } from "./draw-text.js";
import { updatePlaneGrid } from "./planes.js";

/** How many of the most probable digits are highlighted, as `convlab predict` prints its top 3. */
const TOP = 3;
/** About this many CSS pixels per feature map, whatever its size (26×26 for conv1, 11×11 for conv2). */
const MAP_SIDE = 72;

/** A probability as a percentage with one decimal: "93.2%". */
const percent = (p: number): string => `${fixed(100 * p)}%`;

/** The answer and the probability bars. */
export interface ReadingView {
  /** The big predicted digit and how sure the model is. */
  answer: HTMLElement;
  /** One row per digit 0…9: `data-digit`, a bar, the percentage; the top 3 marked by `data-rank`. */
  probabilities: HTMLElement;
  /** Shows a reading, or empties the view (null: no model, or nothing drawn). */
  show(reading: DigitReading | null): void;
}

/** One row of the probabilities: the digit, its bar and its percentage. */
interface ProbabilityRow {
  row: HTMLElement;
  fill: HTMLElement;
  value: HTMLElement;
}

function probabilityRow(digit: number): ProbabilityRow {
  const fill = el("span", { class: "draw-prob-fill" });
  const value = el("span", { class: "draw-prob-value" }, "–");
  const row = el(
    "div",
    { class: "draw-prob", "data-digit": digit },
    el("span", { class: "draw-prob-digit" }, String(digit)),
    el("span", { class: "draw-prob-bar" }, fill),
    value,
  );
  return { row, fill, value };
}

/** The predicted digit (`data-testid="prediction"`, its text only the digit) and the ten probabilities. */
export function readingView(ctx: LabContext): ReadingView {
  const prediction = el("output", { testid: "prediction", class: "draw-prediction" });
  const sure = liveText(ctx);
  const answer = el(
    "div",
    { class: "draw-answer" },
    el("div", { class: "draw-answer-label" }, tr(ctx, { en: "The model reads", vi: "Mô hình đọc được" })),
    prediction,
    el("div", { class: "draw-answer-sure" }, sure.node),
  );
  const rows = Array.from({ length: 10 }, (_, digit) => probabilityRow(digit));
  const probabilities = el(
    "div",
    { testid: "probabilities", class: "draw-probabilities", role: "list" },
    ...rows.map(({ row }) => row),
  );
  for (const { row } of rows) row.setAttribute("role", "listitem");

  const show = (reading: DigitReading | null) => {
    answer.classList.toggle("is-empty", reading === null);
    probabilities.classList.toggle("is-empty", reading === null);
    prediction.textContent = reading === null ? "" : String(reading.best);
    sure.set(
      reading === null
        ? both("")
        : {
            en: `${percent(reading.probabilities[reading.best])} sure`,
            vi: `chắc ${percent(reading.probabilities[reading.best])}`,
          },
    );
    const order = reading === null ? [] : rankOf(reading.probabilities);
    rows.forEach(({ row, fill, value }, digit) => {
      const p = reading?.probabilities[digit] ?? 0;
      fill.style.width = `${100 * p}%`;
      value.textContent = reading === null ? "–" : percent(p);
      const rank = order.indexOf(digit) + 1;
      if (rank >= 1 && rank <= TOP) row.dataset.rank = String(rank);
      else delete row.dataset.rank;
    });
  };
  return { answer, probabilities, show };
}

/** The digits from most to least probable. */
const rankOf = (probabilities: number[]): number[] =>
  probabilities.map((_, digit) => digit).sort((a, b) => probabilities[b] - probabilities[a] || a - b);

/** The feature maps of every convolution, under `data-testid="feature-maps"`. */
export interface MapsView {
  element: HTMLElement;
  /** Draws the maps; null (no model, or nothing drawn) shows why there are none instead. */
  show(maps: LayerMaps[] | null): void;
}

/** One layer's block: its heading (name, count, size) and its grid, kept while the model keeps its shape. */
interface LayerBlock {
  shape: string;
  element: HTMLElement;
  grid: HTMLElement;
}

/** What a layer's block depends on: its key, how many maps, their size. */
const shapeOf = (layer: LayerMaps): string =>
  `${layer.key} ${layer.planes.length} ${layer.planes[0].width}×${layer.planes[0].height}`;

function layerBlock(ctx: LabContext, layer: LayerMaps): LayerBlock {
  const size = `${layer.planes[0].width}×${layer.planes[0].height}`;
  const count = layer.planes.length;
  const grid = el("div", { class: "plane-grid" });
  const element = el(
    "section",
    { class: "draw-layer", "data-layer": layer.key },
    el(
      "h4",
      {},
      el("code", {}, layer.key),
      tr(ctx, {
        en: `: ${count} feature maps of ${size}, after ReLU`,
        vi: `: ${count} bản đồ đặc trưng ${size}, sau ReLU`,
      }),
    ),
    grid,
  );
  return { shape: shapeOf(layer), element, grid };
}

/**
 * Every Conv2d layer's feature maps after ReLU, each map scaled to its own maximum as the tutorial's `imshow` does,
 * so a map's pattern shows however weak the channel is; an all-black map is a channel ReLU silenced.
 */
export function mapsView(ctx: LabContext): MapsView {
  const note = el(
    "p",
    { class: "draw-note" },
    tr(ctx, {
      en: "The feature maps appear here when a model reads your digit.",
      vi: "Các bản đồ đặc trưng sẽ hiện ở đây khi mô hình đọc chữ số bạn vẽ.",
    }),
  );
  const layers = el("div", { class: "draw-layers" });
  const element = el("div", { testid: "feature-maps", class: "draw-maps" }, note, layers);
  let blocks: LayerBlock[] = [];

  const show = (maps: LayerMaps[] | null) => {
    note.hidden = maps !== null;
    layers.hidden = maps === null;
    if (maps === null) return;
    // A new model may have other layers; a model of the same shape keeps the blocks and their canvases.
    if (maps.map(shapeOf).join("|") !== blocks.map((block) => block.shape).join("|")) {
      blocks = maps.map((layer) => layerBlock(ctx, layer));
      layers.replaceChildren(...blocks.map((block) => block.element));
    }
    maps.forEach((layer, i) => {
      const scale = Math.max(2, Math.round(MAP_SIDE / layer.planes[0].width));
      updatePlaneGrid(blocks[i].grid, layer.planes, { scale });
    });
  };
  return { element, show };
}
