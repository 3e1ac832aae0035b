import { chart, title as chartTitle } from "../report/base.js";
import { WRONG_COLOR } from "../report/image-grid.js";
import type { ChartSpec } from "../report/types.js";
import { Tensor } from "../tensor/tensor.js";
import { Figure, PlotError } from "./figure.js";

/** How a heatmap's cells are coloured. */
export type HeatmapColor =
  /** "signed" when the values have both signs, else "blues" (the default). */
  | "auto"
  /** matplotlib's `imshow(…, cmap='gray')`: the smallest value black, the largest white (the tutorial's images). */
  | "gray"
  /** Light to dark blue from the smallest value to the largest (counts, a feature map after ReLU). */
  | "blues"
  /** Blue below 0, white at 0, orange above, on a scale symmetric around 0 (kernels, feature maps before ReLU). */
  | "signed";

/**
 * A block of cells to frame: `[row, col]` for one cell, or `{ row, col, rows, cols }` for a `rows × cols` block whose
 * top-left cell is (row, col), e.g. the 3×3 window a kernel covers. Rows and columns count from 0.
 */
export type HeatmapRegion =
  readonly [row: number, col: number] | { row: number; col: number; rows?: number; cols?: number; color?: string };

export interface HeatmapOptions {
  /** The chart's title; none by default. */
  title?: string;
  /** Write each cell's value in it (default true), in black or white, whichever reads on the cell's colour. */
  values?: boolean;
  /** The d3-format of the written values: "d" (integers) when every value is an integer, else ".2f" (default). */
  format?: string;
  /** Cells or blocks to frame (in red unless a region says `color`), e.g. `[{ row: 0, col: 0, rows: 3, cols: 3 }]`. */
  highlight?: readonly HeatmapRegion[];
  /** The label of each row, top to bottom (default 0, 1, …). */
  rowLabels?: readonly (string | number)[];
  /** The label of each column, left to right (default 0, 1, …). */
  colLabels?: readonly (string | number)[];
  /** The title of the row axis (left) and of the column axis (top); none by default. */
  rowTitle?: string;
  colTitle?: string;
  /** Show the row and column labels (default true). */
  axes?: boolean;
  /** The colour scale (default "auto"). */
  color?: HeatmapColor;
  /** The side of a cell in pixels (default: the matrix fits about 560 px, cells 16…40 px when values are written). */
  cell?: number;
  /** The title of a colour legend beside the matrix; no legend unless given. */
  legend?: string;
  /** The figure's name (default "heatmap"). */
  name?: string;
}

/** A matrix as rows of numbers: a `number[][]` as it is, a tensor [H, W] (leading 1s squeezed: [1, 1, H, W]). */
export function matrixRows(matrix: readonly (readonly number[])[] | Tensor): number[][] {
  if (matrix instanceof Tensor) {
    const shape = matrix.shape.filter((s, i) => s !== 1 || i >= matrix.shape.length - 2);
    if (shape.length !== 2) {
      throw new PlotError(
        "BadShape",
        `heatmap: a matrix is [H, W] (or [1, 1, H, W]), got [${matrix.shape.join(", ")}]; pick one plane, e.g. t[0][0]`,
      );
    }
    const [h, w] = shape;
    const data = matrix.data;
    return Array.from({ length: h }, (_, r) => Array.from(data.subarray(r * w, (r + 1) * w)));
  }
  const width = matrix[0]?.length ?? 0;
  if (matrix.length === 0 || width === 0) throw new PlotError("BadArgument", "heatmap: the matrix is empty");
  matrix.forEach((row, r) => {
    if (row.length !== width) {
      throw new PlotError("BadShape", `heatmap: row ${r} has ${row.length} values, row 0 has ${width}`);
    }
  });
  return matrix.map((row) => [...row]);
}

/** Axis labels drawn at the middle of each cell, from a list (an expression indexes it by the cell number). */
function axis(
  labels: readonly (string | number)[],
  titleText: string | undefined,
  orient: "top" | "left",
  cell: number,
) {
  const values = labels.map((_, i) => i + 0.5);
  return {
    orient,
    values,
    // Every label where cells are wide enough for one (the 28 rows of the "7"); Vega's default drops every other.
    labelOverlap: cell < 14,
    labelExpr: `${JSON.stringify(labels.map(String))}[floor(datum.value)]`,
    ticks: false,
    domain: false,
    grid: false,
    labelAngle: 0,
    labelPadding: 4,
    labelFontSize: 11,
    title: titleText ?? null,
  };
}

/**
 * A labelled heatmap of a matrix: one square cell per value, row 0 at the top, each value written in (unless
 * `values: false`), chosen cells or blocks framed. For the theory pictures: the "7" as numbers, a 3×3 kernel, a
 * feature map, the window a kernel covers. A Vega-Lite layer of `rect` (cells), `text` (values) and `rect` (frames).
 */
export function heatmapSpec(matrix: readonly (readonly number[])[] | Tensor, options: HeatmapOptions = {}): ChartSpec {
  const rows = matrixRows(matrix);
  const height = rows.length;
  const width = rows[0].length;
  const flat = rows.flat();
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const color =
    options.color === undefined || options.color === "auto" ? (lo < 0 && hi > 0 ? "signed" : "blues") : options.color;
  const showValues = options.values ?? true;
  const format = options.format ?? (flat.every(Number.isInteger) ? "d" : ".2f");
  const cell = options.cell ?? Math.max(showValues ? 16 : 4, Math.min(40, Math.round(560 / Math.max(height, width))));

  // Where a cell's colour is dark, its number is written in white: the same threshold the kernels' grid uses.
  const span = hi > lo ? hi - lo : 1;
  const dark = (v: number) =>
    color === "gray" ? (v - lo) / span < 0.5 : color === "blues" ? (v - lo) / span > 0.6 : Math.abs(v) > 0.6 * m;
  const cells = rows.flatMap((row, r) =>
    row.map((v, c) => ({ r, c, v, x: c, x1: c + 1, y: r, y1: r + 1, tc: dark(v) ? "white" : "black" })),
  );

  const scale =
    color === "gray"
      ? { domain: [lo, hi > lo ? hi : lo + 1], range: ["black", "white"] }
      : color === "blues"
        ? { scheme: "blues", domain: [lo, hi > lo ? hi : lo + 1] }
        : { scheme: "blueorange", domain: [-m, m] };
  const fill = {
    field: "v",
    type: "quantitative",
    scale,
    legend: options.legend === undefined ? null : { title: options.legend, orient: "right" },
  };
  const axes = options.axes ?? true;
  const rowLabels = options.rowLabels ?? rows.map((_, r) => r);
  const colLabels = options.colLabels ?? rows[0].map((_, c) => c);
  if (rowLabels.length !== height || colLabels.length !== width) {
    throw new PlotError(
      "BadArgument",
      `heatmap: ${rowLabels.length} row labels and ${colLabels.length} column labels for a ${height}×${width} matrix`,
    );
  }
  const x = {
    field: "x",
    type: "quantitative",
    scale: { domain: [0, width], nice: false, zero: true },
    axis: axes ? axis(colLabels, options.colTitle, "top", cell) : null,
  };
  const y = {
    field: "y",
    type: "quantitative",
    scale: { domain: [0, height], nice: false, zero: true, reverse: true },
    axis: axes ? axis(rowLabels, options.rowTitle, "left", cell) : null,
  };

  const layer: unknown[] = [
    {
      // Each rect is also stroked in its own colour: without it, anti-aliasing leaves faint seams between cells.
      mark: { type: "rect", aria: false, strokeWidth: 0.5 },
      encoding: { x, x2: { field: "x1" }, y, y2: { field: "y1" }, color: fill, stroke: { ...fill, legend: null } },
    },
  ];
  if (showValues) {
    const longest = Math.max(...flat.map((v) => (format === "d" ? String(Math.round(v)) : v.toFixed(2)).length));
    const fontSize = Math.max(6, Math.min(14, Math.floor(cell / Math.max(2, 0.62 * longest))));
    layer.push({
      transform: [
        { calculate: "datum.x + 0.5", as: "xc" },
        { calculate: "datum.y + 0.5", as: "yc" },
      ],
      mark: { type: "text", fontSize, baseline: "middle", align: "center", aria: false },
      encoding: {
        x: { field: "xc", type: "quantitative" },
        y: { field: "yc", type: "quantitative" },
        text: { field: "v", type: "quantitative", format },
        color: { field: "tc", type: "nominal", scale: null },
      },
    });
  }
  const regions = (options.highlight ?? []).map((region) => {
    const {
      row,
      col,
      rows: h = 1,
      cols: w = 1,
      color: stroke = WRONG_COLOR,
    } = Array.isArray(region)
      ? { row: region[0], col: region[1] }
      : (region as Exclude<HeatmapRegion, readonly number[]>);
    if (row < 0 || col < 0 || row + h > height || col + w > width) {
      throw new PlotError(
        "BadArgument",
        `heatmap: the highlight ${h}×${w} at row ${row}, col ${col} leaves the ${height}×${width} matrix`,
      );
    }
    return { x: col, x1: col + w, y: row, y1: row + h, stroke };
  });
  if (regions.length > 0) {
    layer.push({
      data: { values: regions },
      mark: { type: "rect", filled: false, strokeWidth: 3, aria: false },
      encoding: {
        x: { field: "x", type: "quantitative" },
        x2: { field: "x1" },
        y: { field: "y", type: "quantitative" },
        y2: { field: "y1" },
        stroke: { field: "stroke", type: "nominal", scale: null },
      },
    });
  }
  return chart({
    ...(options.title === undefined ? {} : { title: chartTitle(options.title) }),
    width: width * cell,
    height: height * cell,
    data: { values: cells },
    layer,
    config: { view: { stroke: null } },
  });
}

/**
 * A labelled heatmap of a matrix (a `number[][]` or a tensor [H, W]) as a {@link Figure}: see {@link heatmapSpec}
 * and {@link HeatmapOptions}. For example the kernel of the tutorial's convolution example, its values written in:
 * `heatmap([[1, 0, -1], [1, 0, -1], [1, 0, -1]], { title: "Kernel" })`.
 */
export function heatmap(matrix: readonly (readonly number[])[] | Tensor, options: HeatmapOptions = {}): Figure {
  return new Figure(heatmapSpec(matrix, options), options.name ?? "heatmap");
}
