import uPlot from "uplot";
import { EMA_ALPHA } from "../src/report/loss.js";

// The live loss curve is drawn with uPlot, not the report's Vega-Lite: a training run adds about 30 points a second
// for minutes, and uPlot redraws tens of thousands of points on a canvas in about a millisecond, where Vega rebuilds
// its scene graph (tens of milliseconds) on every change. The finished report still uses the Vega-Lite charts.

/** Colours of the series, as in report.html's loss chart. */
const COLORS = ["#2f6fdf", "#d33c2e", "#1f8f4e", "#9a4fd0", "#d08a1f", "#444c5c"];

export interface LossSeries {
  label: string;
  /** x in epochs: batch b of n in epoch e sits at e − 1 + b/n, so the epoch mean of e sits at e. */
  x: number[];
  y: number[];
  /** Drawn as points only (epoch means), or as a faint line (every batch). */
  style: "batches" | "smooth" | "epochs";
  /** Which colour: series of one run share theirs. */
  color: number;
}

function seriesOptions(series: LossSeries): uPlot.Series {
  const stroke = COLORS[series.color % COLORS.length];
  if (series.style === "batches") return { label: series.label, stroke: `${stroke}40`, width: 1, spanGaps: true };
  if (series.style === "smooth") return { label: series.label, stroke, width: 2, spanGaps: true };
  return { label: series.label, stroke, width: 0, spanGaps: false, points: { show: true, size: 8, fill: stroke } };
}

/** Joins the series on one x axis (uPlot's data layout), with nulls where a series has no point. */
function aligned(series: readonly LossSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => (column[at.get(x)!] = s.y[i]));
    return column;
  });
  return [xs, ...columns] as uPlot.AlignedData;
}

/**
 * A loss chart that takes new points as fast as they come and redraws at most once per frame. `update(series)`
 * replaces the data; the labels follow the series given.
 */
export class LossChart {
  readonly element: HTMLElement;
  #plot: uPlot | undefined;
  #labels = "";
  #pending: LossSeries[] | undefined;
  #yLabel: string;

  constructor(testid: string, yLabel: string) {
    this.element = document.createElement("div");
    this.element.className = "loss-chart";
    this.element.dataset.testid = testid;
    this.#yLabel = yLabel;
  }

  /** The chart's axis title, e.g. when the language changes. */
  setYLabel(label: string): void {
    this.#yLabel = label;
    this.#labels = "";
    // The axis is drawn once; the chart is rebuilt with the new title on its next update.
    this.#plot?.destroy();
    this.#plot = undefined;
  }

  update(series: LossSeries[]): void {
    const first = this.#pending === undefined;
    this.#pending = series;
    if (first) requestAnimationFrame(() => this.#draw());
  }

  #draw(): void {
    const series = this.#pending ?? [];
    this.#pending = undefined;
    const labels = series.map((s) => s.label).join("\n");
    if (this.#plot === undefined || labels !== this.#labels) {
      this.#plot?.destroy();
      this.#labels = labels;
      const width = Math.max(320, Math.min(900, this.element.clientWidth || 720));
      this.#plot = new uPlot(
        {
          width,
          height: 300,
          scales: { x: { time: false } },
          axes: [{ label: "epoch" }, { label: this.#yLabel }],
          series: [{ label: "epoch" }, ...series.map(seriesOptions)],
          legend: { live: false },
        },
        aligned(series),
        this.element,
      );
      return;
    }
    this.#plot.setData(aligned(series));
  }
}

/** The exponential moving average of report.html's loss chart, kept up point by point. */
export class Smoother {
  #m = 0;
  #t = 0;
  next(value: number): number {
    this.#t++;
    this.#m = (1 - EMA_ALPHA) * this.#m + EMA_ALPHA * value;
    return this.#m / (1 - (1 - EMA_ALPHA) ** this.#t);
  }
}
