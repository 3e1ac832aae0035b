import { chart, title } from "./base.js";
import { reportMessages } from "./messages.js";
import type { ChartSpec, ReportLang } from "./types.js";

/**
 * A run's losses as the pictures read them: each epoch's mean loss and, when recorded, every batch's. A run's
 * `metrics.json` (its `epochs`) fits it, and so does `{ epochs: losses.map((loss, i) => ({ epoch: i + 1, loss })) }`.
 */
export interface LossHistory {
  epochs: readonly { epoch: number; loss: number; batchLosses?: readonly number[] }[];
}

/** Weight of the newest batch in the smoothed curve; 0.1 averages over roughly the last 10 batches. */
export const EMA_ALPHA = 0.1;

/**
 * Exponential moving average, bias-corrected as Adam's moments (and TensorBoard's smoothing) are, so the first
 * points are not pulled towards 0: m_t = (1−α)·m_{t−1} + α·x_t, shown as m_t / (1 − (1−α)^t).
 */
export function ema(values: readonly number[], alpha = EMA_ALPHA): number[] {
  let m = 0;
  return values.map((x, t) => {
    m = (1 - alpha) * m + alpha * x;
    return m / (1 - (1 - alpha) ** (t + 1));
  });
}

interface LossPoint {
  /** Position in epochs: batch b of n in epoch e sits at e − 1 + b/n, so the epoch mean of e sits at e. */
  x: number;
  loss: number;
  series: string;
}

/** The batch, smoothed and epoch-mean points of one run, labelled in `lang`. */
export function lossPoints(metrics: LossHistory, lang: ReportLang): LossPoint[] {
  const m = reportMessages(lang);
  const points: LossPoint[] = [];
  const batches: { x: number; loss: number }[] = [];
  for (const { epoch, batchLosses = [] } of metrics.epochs) {
    batchLosses.forEach((loss, b) => batches.push({ x: epoch - 1 + (b + 1) / batchLosses.length, loss }));
  }
  const smooth = ema(batches.map((b) => b.loss));
  for (const b of batches) points.push({ ...b, series: m.batchLoss });
  batches.forEach((b, i) => points.push({ x: b.x, loss: smooth[i], series: m.smoothed(EMA_ALPHA) }));
  for (const e of metrics.epochs) points.push({ x: e.epoch, loss: e.loss, series: m.epochMean });
  return points;
}

const AXES = (lang: ReportLang) => {
  const m = reportMessages(lang);
  return {
    x: {
      field: "x",
      type: "quantitative",
      title: m.epoch,
      scale: { domainMin: 0, nice: false },
      axis: { tickMinStep: 1 },
    },
    y: { field: "loss", type: "quantitative", title: m.loss, scale: { zero: true } },
  } as const;
};

/**
 * The tutorial's "Biểu đồ mất mát qua các epoch" (plt.plot of each epoch's mean loss, marker 'o', grid), with what
 * happened inside the epochs under it: every batch's loss, faint, and their exponential moving average. Without
 * batch losses it is the tutorial's plot alone: one line with points and no legend.
 */
export function lossSpec(metrics: LossHistory, lang: ReportLang): ChartSpec {
  const m = reportMessages(lang);
  const batches = metrics.epochs.some((e) => (e.batchLosses?.length ?? 0) > 0);
  const series = [m.batchLoss, m.smoothed(EMA_ALPHA), m.epochMean];
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: {
      domain: batches ? series : [m.epochMean],
      range: batches ? ["#9ecae1", "#ff7f0e", "#1f77b4"] : ["#1f77b4"],
    },
    legend: batches ? { orient: "top-right", labelLimit: 320 } : null,
  };
  const { x, y } = AXES(lang);
  return chart({
    title: title(m.lossTitle),
    width: 560,
    height: 320,
    data: { values: lossPoints(metrics, lang) },
    encoding: { x, y, color },
    layer: [
      ...(batches
        ? [
            {
              transform: [{ filter: { field: "series", equal: m.batchLoss } }],
              mark: { type: "line", opacity: 0.45, strokeWidth: 1 },
            },
            {
              transform: [{ filter: { field: "series", equal: series[1] } }],
              mark: { type: "line", strokeWidth: 2 },
            },
          ]
        : []),
      {
        transform: [{ filter: { field: "series", equal: m.epochMean } }],
        mark: { type: "line", point: true, strokeWidth: 2 },
      },
    ],
  });
}

/** The sweep's picture: each run's epoch-mean loss, one coloured line with points per run. */
export function lossComparisonSpec(
  runs: readonly { name: string; metrics: LossHistory }[],
  lang: ReportLang,
): ChartSpec {
  const m = reportMessages(lang);
  const { x, y } = AXES(lang);
  return chart({
    title: title(m.comparisonLoss),
    width: 560,
    height: 320,
    data: { values: runs.flatMap((r) => r.metrics.epochs.map((e) => ({ x: e.epoch, loss: e.loss, run: r.name }))) },
    mark: { type: "line", point: true },
    encoding: {
      x,
      y,
      color: {
        field: "run",
        type: "nominal",
        title: m.run,
        sort: runs.map((r) => r.name),
        // Run names such as "arch=seed,epochs=10,lr=0.001" differ only at the end: show them whole.
        legend: { labelLimit: 400 },
      },
    },
  });
}
