import { chart, title } from "./base.js";
import type { ChartSpec, Panel } from "./types.js";

/** How the cells of a grid are coloured. */
export type GridColor =
  /** Each panel stretched to its own min…max, black → white: matplotlib's `imshow(…, cmap='gray')`, as the tutorial. */
  | "gray"
  /** Signed values on one symmetric scale shared by all panels (blue < 0 < orange), each cell's value written in. */
  | "signed";

export interface GridOptions {
  title: string;
  /** Panels per row. */
  columns: number;
  /** Size of one cell in pixels; a panel is `cell × width` wide. */
  cell: number;
  color: GridColor;
  /** Legend title of the signed scale. */
  legend?: string;
}

/** The frame drawn around a wrong panel. */
export const WRONG_COLOR = "#d62728";

interface Cell {
  /** Facet key: "<panel index>|<title>", unique even when two titles are equal; the header shows the title. */
  k: string;
  p: number;
  x: number;
  y: number;
  v: number;
  /** Set on the first cell of a wrong panel only: where its frame is drawn. */
  w?: 1;
}

/** One data row per cell of every panel; "gray" values are stretched per panel to [0, 1] as `imshow` does. */
function cells(panels: readonly Panel[], color: GridColor): Cell[] {
  const rows: Cell[] = [];
  panels.forEach((panel, p) => {
    const k = `${p}|${panel.title}`;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < panel.values.length; i++) {
      lo = Math.min(lo, panel.values[i]);
      hi = Math.max(hi, panel.values[i]);
    }
    // A constant panel (e.g. a channel ReLU zeroed everywhere) is drawn black, as imshow draws it.
    const scale = color === "gray" ? (hi > lo ? 1 / (hi - lo) : 0) : 1;
    const offset = color === "gray" ? lo : 0;
    for (let y = 0; y < panel.height; y++) {
      for (let x = 0; x < panel.width; x++) {
        const v = (panel.values[y * panel.width + x] - offset) * scale;
        rows.push({ k, p, x, y, v: color === "gray" ? v : Math.round(v * 1000) / 1000 });
      }
    }
    if (panel.wrong === true) rows[rows.length - panel.height * panel.width].w = 1;
  });
  return rows;
}

/** The largest |value| over all panels: the half-width of the shared signed colour scale. */
function maxAbs(panels: readonly Panel[]): number {
  let m = 0;
  for (const panel of panels) for (let i = 0; i < panel.values.length; i++) m = Math.max(m, Math.abs(panel.values[i]));
  return m > 0 ? m : 1;
}

/**
 * A titled grid of pictures (images, feature maps, kernels) as one faceted Vega-Lite chart of `rect` marks: one
 * facet per panel, one rect per pixel, row 0 at the top. Panels may differ in size (each has its own x/y scale, so
 * a 28×28 image and a 26×26 feature map fill the same box). A panel with `wrong` gets a red frame.
 */
export function imageGridSpec(panels: readonly Panel[], options: GridOptions): ChartSpec {
  return chart({ ...imageGridView(panels, options), config: { view: { stroke: null } } });
}

/** {@link imageGridSpec} without the top-level config, to be placed in an `hconcat`/`vconcat`. */
export function imageGridView(panels: readonly Panel[], options: GridOptions): Record<string, unknown> {
  const size = options.cell * Math.max(1, ...panels.map((p) => Math.max(p.height, p.width)));
  const signed = options.color === "signed";
  const m = maxAbs(panels);
  const position = {
    x: { field: "x", type: "quantitative", scale: { zero: true, nice: false }, axis: null },
    x2: { field: "x1" },
    y: { field: "y", type: "quantitative", scale: { zero: true, nice: false, reverse: true }, axis: null },
    y2: { field: "y1" },
  } as const;
  const color = signed
    ? {
        field: "v",
        type: "quantitative",
        scale: { scheme: "blueorange", domain: [-m, m] },
        legend: { title: options.legend ?? null, orient: "right" },
      }
    : { field: "v", type: "quantitative", scale: { domain: [0, 1], range: ["black", "white"] }, legend: null };
  // Each rect is also stroked in its own colour: without it, anti-aliasing leaves faint seams between the pixels.
  const stroke = { ...color, legend: null };
  const layer: unknown[] = [
    { mark: { type: "rect", aria: false, strokeWidth: 0.5 }, encoding: { ...position, color, stroke } },
  ];
  if (signed) {
    layer.push({
      transform: [
        { calculate: "datum.x + 0.5", as: "xc" },
        { calculate: "datum.y + 0.5", as: "yc" },
      ],
      mark: { type: "text", fontSize: Math.max(8, Math.round(options.cell / 3.6)), aria: false },
      encoding: {
        x: { field: "xc", type: "quantitative" },
        y: { field: "yc", type: "quantitative" },
        text: { field: "v", type: "quantitative", format: ".2f" },
        // Dark cells get white numbers so every value stays readable.
        color: { condition: { test: `abs(datum.v) > ${0.6 * m}`, value: "white" }, value: "black" },
      },
    });
  }
  if (panels.some((p) => p.wrong === true)) {
    layer.push({
      transform: [{ filter: "datum.w === 1" }],
      mark: { type: "rect", filled: false, stroke: WRONG_COLOR, strokeWidth: 3, aria: false },
      // The first cell (x = y = 0) spans to the panel's far corner: a frame around the whole panel.
      encoding: {
        x: { field: "x", type: "quantitative" },
        x2: { field: "xmax" },
        y: { field: "y", type: "quantitative" },
        y2: { field: "ymax" },
      },
    });
  }
  const dims = panels.map((panel, p) => ({ p, width: panel.width, height: panel.height }));
  return {
    title: title(options.title),
    data: { values: cells(panels, options.color) },
    transform: [
      { calculate: "datum.x + 1", as: "x1" },
      { calculate: "datum.y + 1", as: "y1" },
      { lookup: "p", from: { data: { values: dims }, key: "p", fields: ["width", "height"] }, as: ["xmax", "ymax"] },
    ],
    facet: {
      field: "k",
      type: "nominal",
      sort: { field: "p", op: "min" },
      header: {
        title: null,
        labelFontSize: 11,
        labelExpr: "slice(datum.value, indexof(datum.value, '|') + 1)",
      },
    },
    columns: options.columns,
    spacing: { row: 6, column: 10 },
    spec: { width: size, height: size, layer },
    resolve: { scale: { x: "independent", y: "independent" } },
  };
}
