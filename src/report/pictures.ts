import { chart } from "./base.js";
import { imageGridSpec, imageGridView } from "./image-grid.js";
import { reportMessages } from "./messages.js";
import type { ChartSpec, Panel, Plane, Prediction, ReportLang } from "./types.js";

/** Panels per row for `n` panels: at most 10, in rows as even as possible (17 → 9 + 8 rather than 10 + 7). */
export function columnsFor(n: number): number {
  return Math.ceil(n / Math.ceil(n / 10));
}

/**
 * The tutorial's `visualize_prediction`: the test images, each titled "Predicted: 7 / True: 7" ("Dự đoán: 7 /
 * Thật: 7"), in gray; a wrong prediction gets a red frame.
 */
export function predictionsSpec(predictions: readonly Prediction[], lang: ReportLang): ChartSpec {
  const m = reportMessages(lang);
  const panels = predictions.map((p) => ({
    ...p.image,
    title: m.prediction(p.predicted, p.label),
    wrong: p.predicted !== p.label,
  }));
  return imageGridSpec(panels, { title: m.predictionsTitle(predictions.length), columns: 5, cell: 4, color: "gray" });
}

/** The most confidently wrong test images, each titled with its index, the wrong class and its probability. */
export function confidentlyWrongSpec(predictions: readonly Prediction[], lang: ReportLang): ChartSpec {
  const m = reportMessages(lang);
  const panels = predictions.map((p) => ({
    ...p.image,
    title: m.wrongPanel(p.predicted, p.label, p.probability, p.index),
    wrong: true,
  }));
  return imageGridSpec(panels, { title: m.wrongTitle(predictions.length), columns: 5, cell: 4, color: "gray" });
}

/** A test image with the feature maps of one layer computed from it. */
export interface FeatureInput {
  layer: string;
  index: number;
  label: number;
  image: Plane;
  /** One plane per output channel, after ReLU. */
  maps: readonly Plane[];
  /** The channel (from 0) of each map, when they are not all of them in order: map i is titled channels[i] + 1. */
  channels?: readonly number[];
  /** The chart's title, replacing the one naming the test image (for images that are not from a test set). */
  title?: string;
}

/**
 * The tutorial's `visualize_feature_map`, for every channel: "Ảnh gốc" (the original image), then "Feature Map
 * 1" … "Feature Map C", numbered from 1 as the tutorial titles `conv1_output[0, 0]` "Feature Map 1".
 */
function featurePanels(input: FeatureInput, lang: ReportLang, withOriginal: boolean): Panel[] {
  const m = reportMessages(lang);
  const maps = input.maps.map((map, c) => ({ ...map, title: m.featureMap((input.channels?.[c] ?? c) + 1) }));
  return withOriginal ? [{ ...input.image, title: m.original }, ...maps] : maps;
}

/** The panels and grid options of {@link featureMapsSpec}, also for placing them in a concat. */
export function featureView(input: FeatureInput, lang: ReportLang, withOriginal: boolean) {
  const m = reportMessages(lang);
  const { height, width } = input.maps[0] ?? input.image;
  const panels = featurePanels(input, lang, withOriginal);
  const title = input.title ?? m.featuresTitle(input.layer, input.index, input.label, input.maps.length, height, width);
  // Keep a panel about 72 px whatever the map size: conv1's 26×26 and conv2's 11×11 both stay readable. Every panel
  // gets the box of the largest one (the 28×28 original, when drawn), so that one sets the cell: sizing it by
  // conv3's 3×3 maps made 672-px panels and a 13,680 × 9,858 PNG that took 1.2 GB to render.
  const largest = Math.max(...panels.map((p) => Math.max(p.height, p.width)));
  const cell = Math.max(2, Math.round(72 / largest));
  return { panels, options: { title, columns: columnsFor(panels.length), cell, color: "gray" as const } };
}

/** All feature maps of one layer after ReLU, the original image first (unless `original` is false). */
export function featureMapsSpec(input: FeatureInput, lang: ReportLang, { original = true } = {}): ChartSpec {
  const { panels, options } = featureView(input, lang, original);
  return imageGridSpec(panels, options);
}

/** Two layers' feature maps of the same image side by side (conv1 | conv2), for comparing runs. */
export function featurePairSpec(
  first: FeatureInput,
  second: FeatureInput,
  lang: ReportLang,
  heading: string,
): ChartSpec {
  const a = featureView(first, lang, true);
  const b = featureView(second, lang, false);
  return chart({
    title: { text: heading, anchor: "start", fontSize: 15 },
    hconcat: [
      imageGridView(a.panels, a.options),
      imageGridView(b.panels, { ...b.options, columns: columnsFor(b.panels.length) }),
    ],
    spacing: 24,
    config: { view: { stroke: null } },
  });
}

/**
 * The learned kernels of a convolution drawn large: one heatmap per output channel (numbered from 1, as the feature
 * maps it makes), its values written in, all on one blue–orange scale centred on 0. `weight` is [C_out, C_in, kh,
 * kw] flattened as `planes` gives it; for C_in > 1 the planes are those of one input channel.
 */
export function kernelsSpec(layer: string, kernels: readonly Plane[], lang: ReportLang): ChartSpec {
  const m = reportMessages(lang);
  const panels = kernels.map((k, c) => ({ ...k, title: m.kernel(c + 1) }));
  const size = kernels.length > 0 ? `${kernels[0].height}×${kernels[0].width}` : "";
  return imageGridSpec(panels, {
    title: m.kernelsTitle(layer, kernels.length, size),
    columns: Math.min(8, columnsFor(panels.length)),
    cell: 30,
    color: "signed",
    legend: m.weight,
  });
}
