import { argmax } from "../ops/reduce.js";
import { confusionStats, countInto, emptyConfusion } from "../train/confusion.js";
import { noGrad } from "../autograd/graph.js";
import { Conv2d } from "../nn/layers.js";
import type { AnyModule, Module } from "../nn/module.js";
import { title as chartTitle } from "../report/base.js";
import { confusionSpec } from "../report/confusion.js";
import { imageGridSpec, type GridColor } from "../report/image-grid.js";
import { lossComparisonSpec, lossSpec, type LossHistory } from "../report/loss.js";
import { reportMessages } from "../report/messages.js";
import { columnsFor, featureMapsSpec, kernelsSpec, predictionsSpec } from "../report/pictures.js";
import type { ChartSpec, Plane, Prediction, ReportLang } from "../report/types.js";
import { Tensor } from "../tensor/tensor.js";
import { Figure, PlotError } from "./figure.js";

/**
 * The tutorial's pictures from the user's own values: each function takes tensors, arrays or a model, builds the
 * chart with the same spec builders the CLI's run reports use (src/report), and returns a {@link Figure}.
 */

/** The options every figure with text takes. */
export interface TextOptions {
  /** The language of titles and labels: English (default) or the tutorial's Vietnamese. */
  lang?: ReportLang;
  /** A title replacing the default one. */
  title?: string;
}

/** The spec with its top-level title replaced, in the reports' style. */
function retitle(spec: ChartSpec, text: string | undefined): ChartSpec {
  return text === undefined ? spec : ({ ...spec, title: chartTitle(text) } as ChartSpec);
}

/** A tensor's shape as PyTorch prints it in messages. */
const shapeText = (t: { shape: readonly number[] }) => `[${t.shape.join(", ")}]`;

// ---------------------------------------------------------------------------------------------------------------
// Loss

/** One run of several to overlay: its name in the legend, and its epoch losses (or its whole history). */
export interface LossRun {
  name: string;
  losses: ArrayLike<number> | LossHistory;
}

const isNumbers = (x: unknown): x is ArrayLike<number> =>
  ArrayBuffer.isView(x) || (Array.isArray(x) && (x.length === 0 || typeof x[0] === "number"));

/** `[0.9, 0.4, …]` as a history: epoch i + 1 has loss i, as `range(1, 6)` numbers them in the tutorial. */
function history(losses: ArrayLike<number> | LossHistory): LossHistory {
  if (!isNumbers(losses)) return losses;
  return { epochs: Array.from(losses, (loss, i) => ({ epoch: i + 1, loss })) };
}

/**
 * The loss curve, the tutorial's last training cell: `plt.plot(range(1, 6), loss_values, marker='o')` titled "Loss
 * over the epochs" ("Biểu đồ mất mát qua các epoch"), x the epoch from 1, y the loss from 0.
 *
 * - `lossCurve([0.41, 0.12, …])`: one run's epoch losses, the tutorial's plot itself;
 * - `lossCurve({ epochs: [{ epoch: 1, loss, batchLosses: […] }, …] })` (a run's `metrics.json` fits): with every
 *   batch's loss drawn faint beneath and their moving average, as the CLI's run report draws it;
 * - `lossCurve([{ name: "lr=0.01", losses: […] }, …])`: several runs overlaid, one coloured line each.
 */
export function lossCurve(
  losses: ArrayLike<number> | LossHistory | readonly LossRun[],
  options: TextOptions = {},
): Figure {
  const lang = options.lang ?? "en";
  const empty = () => new PlotError("BadArgument", "lossCurve: no losses to draw");
  if (isNumbers(losses) || !Array.isArray(losses)) {
    const h = history(losses as ArrayLike<number> | LossHistory);
    if (h.epochs.length === 0) throw empty();
    return new Figure(retitle(lossSpec(h, lang), options.title), "loss");
  }
  const runs = losses as readonly LossRun[];
  if (runs.length === 0) throw empty();
  const spec = lossComparisonSpec(
    runs.map((r) => ({ name: r.name, metrics: history(r.losses) })),
    lang,
  );
  return new Figure(retitle(spec, options.title), "loss-comparison");
}

// ---------------------------------------------------------------------------------------------------------------
// Images

/**
 * The 2-D planes of an image tensor: [N, 1, H, W] or [N, H, W] gives N planes, [H, W] one; [1, C, H, W] gives the C
 * channels of one image (a layer's output). `what` names the argument in errors.
 */
export function tensorPlanes(t: Tensor, what: string): Plane[] {
  const s = t.shape;
  let count: number;
  if (s.length === 2) count = 1;
  else if (s.length === 3) count = s[0];
  else if (s.length === 4 && (s[1] === 1 || s[0] === 1)) count = s[0] * s[1];
  else {
    throw new PlotError(
      "BadShape",
      `${what}: expected images [N, 1, H, W], [N, H, W] or [H, W] (or the channels [1, C, H, W]), got ${shapeText(t)}`,
    );
  }
  const height = s[s.length - 2];
  const width = s[s.length - 1];
  const size = height * width;
  const data = t.data;
  return Array.from({ length: count }, (_, i) => ({ height, width, values: data.subarray(i * size, (i + 1) * size) }));
}

export interface ImageGridOptions {
  /** The grid's title (none by default). */
  title?: string;
  /** Each panel's title, in order (none by default). */
  titles?: readonly string[];
  /** Panels per row (default: at most 10, rows as even as possible). */
  columns?: number;
  /** Pixels per image pixel (default: a panel is about 84 px). */
  cell?: number;
  /** "gray" (default): each panel stretched black → white, `imshow(cmap='gray')`; "signed": values written in. */
  color?: GridColor;
  /** The figure's name (default "images"). */
  name?: string;
}

/**
 * A grid of images, matplotlib's `plt.subplot` loop of `imshow(…, cmap='gray')`: e.g. the tutorial's first look at
 * the data, a batch from the DataLoader (`imageGrid(images.slice(…), { titles: labels.map(String) })`). Takes a
 * tensor [N, 1, H, W], [N, H, W] or [H, W], or a list of such tensors (of any sizes, as the tutorial's five
 * subplots: the 28×28 image, conv1's 26×26 maps and conv2's 11×11) or planes `{ height, width, values }`.
 */
export function imageGrid(images: Tensor | readonly (Plane | Tensor)[], options: ImageGridOptions = {}): Figure {
  const planes =
    images instanceof Tensor
      ? tensorPlanes(images, "imageGrid")
      : images.flatMap((image, i) =>
          image instanceof Tensor ? tensorPlanes(image, `imageGrid (image ${i})`) : [image],
        );
  if (planes.length === 0) throw new PlotError("BadArgument", "imageGrid: no images to draw");
  const titles = options.titles ?? [];
  if (titles.length > planes.length) {
    throw new PlotError("BadArgument", `imageGrid: ${titles.length} titles for ${planes.length} images`);
  }
  const largest = Math.max(...planes.map((p) => Math.max(p.height, p.width)));
  const spec = imageGridSpec(
    planes.map((p, i) => ({ ...p, title: titles[i] ?? "" })),
    {
      title: options.title ?? "",
      columns: options.columns ?? columnsFor(planes.length),
      cell: options.cell ?? Math.max(1, Math.round(84 / largest)),
      color: options.color ?? "gray",
    },
  );
  return new Figure(spec, options.name ?? "images");
}

/** Class indices from a tensor of classes [N] or of scores [N, K] (argmax of each row, `torch.max(outputs, 1)`). */
function classes(x: Tensor | ArrayLike<number>, what: string): ArrayLike<number> {
  if (!(x instanceof Tensor)) return x;
  if (x.shape.length === 1) return x.data;
  if (x.shape.length !== 2) {
    throw new PlotError("BadShape", `${what}: expected classes [N] or scores [N, K], got ${shapeText(x)}`);
  }
  return argmax(x, 1).data;
}

export interface PredictionsOptions extends TextOptions {
  /** How many of the first images to show (default 5, as the tutorial). */
  count?: number;
}

/**
 * The tutorial's `visualize_prediction`: the first `count` images, each titled "Predicted: 7 / True: 7" ("Dự đoán:
 * 7 / Thật: 7") in gray, a wrong prediction framed in red. `predicted` is the classes [N] or the model's scores
 * [N, K] (their argmax is taken, as `torch.max(outputs, 1)`), or an array; `labels` the true classes.
 */
export function predictions(
  images: Tensor,
  predicted: Tensor | ArrayLike<number>,
  labels: Tensor | ArrayLike<number>,
  options: PredictionsOptions = {},
): Figure {
  const lang = options.lang ?? "en";
  const planes = tensorPlanes(images, "predictions");
  const guess = classes(predicted, "predictions");
  const truth = classes(labels, "predictions (labels)");
  const count = Math.min(options.count ?? 5, planes.length);
  if (guess.length < count || truth.length < count) {
    throw new PlotError(
      "BadArgument",
      `predictions: ${count} images but ${guess.length} predictions and ${truth.length} labels`,
    );
  }
  const shown: Prediction[] = Array.from({ length: count }, (_, i) => ({
    index: i,
    label: truth[i],
    predicted: guess[i],
    probability: NaN,
    image: planes[i],
  }));
  const spec = predictionsSpec(shown, lang);
  return new Figure(retitle(spec, options.title ?? reportMessages(lang).predictionsOf(count)), "predictions");
}

// ---------------------------------------------------------------------------------------------------------------
// Feature maps and kernels

export interface FeatureMapsOptions extends TextOptions {
  /** Apply ReLU to the layer's output before drawing, as the tutorial's `torch.relu(model.conv1(img))` (default true). */
  relu?: boolean;
  /** Which channels to draw, counted from 0 (default all); panel titles count from 1, as the tutorial's. */
  channels?: readonly number[];
  /** Draw the input image first, titled "Original image" ("Ảnh gốc") (default true). */
  original?: boolean;
  /**
   * Which call of the layer to draw when the forward calls it more than once (the tutorial's `self.pool` runs twice),
   * from 0 (default 0: the first).
   */
  call?: number;
}

/** The modules of a model by dotted path, the model itself ("") left out. */
function layersOf(model: Module): [string, AnyModule][] {
  return model.namedModules().filter(([path]) => path !== "");
}

/** The layer at dotted path `name`, or an UnknownLayer error from `fn` listing the paths there are. */
function findLayer(layers: [string, AnyModule][], name: string, fn: string): [string, AnyModule] {
  const found = layers.find(([path]) => path === name);
  if (found === undefined) {
    const paths = layers.map(([path]) => path).join(", ");
    throw new PlotError("UnknownLayer", `${fn}: the model has no layer '${name}'; its layers are ${paths}`);
  }
  return found;
}

/** A tensor's copy that outlives any tidy() scope: its shape and values. */
interface Captured {
  shape: number[];
  values: Float64Array;
}

/**
 * The tutorial's `visualize_feature_map`, for any named layer of any model: runs `model(image)` in eval mode
 * without gradients, catches what `layer` outputs with a forward hook, applies ReLU (unless `relu: false`) and draws
 * each channel in gray, the input first: "Original image", "Feature Map 1", … ("Ảnh gốc", …).
 *
 * `layer` is a dotted path of `model.namedModules()` ("conv1", "features.0"); a user's `class Net extends Module`
 * works as long as its forward calls the layer as `this.conv1(x)` (hooks fire on calls, not on `.forward(x)`).
 * `image` is one input, [1, C, H, W], [C, H, W] or [H, W]. The model's train/eval mode is restored afterwards.
 *
 * Shape: the layer must give [N, C_out, H_out, W_out]; a Linear's [N, F] is refused, naming the layers that do.
 */
export function featureMaps(model: Module, layer: string, image: Tensor, options: FeatureMapsOptions = {}): Figure {
  const lang = options.lang ?? "en";
  const relu = options.relu ?? true;
  const call = options.call ?? 0;
  const layers = layersOf(model);
  findLayer(layers, layer, "featureMaps");
  const s = image.shape;
  const shape = s.length === 4 && s[0] === 1 ? s : s.length === 3 ? [1, ...s] : s.length === 2 ? [1, 1, ...s] : null;
  if (shape === null) {
    throw new PlotError(
      "BadShape",
      `featureMaps: the image is one input [1, C, H, W], [C, H, W] or [H, W], got ${shapeText(image)}`,
    );
  }

  // Every layer is hooked, not only the target, so that a wrong choice can be answered with the layers that do give
  // maps; the target's output is copied in its hook, since the model may free it once its forward returns.
  const shapes = new Map<string, readonly number[]>();
  const calls = new Map<string, number>();
  let captured: Captured | undefined;
  const handles = layers.map(([path, module]) =>
    module.registerForwardHook((_m, _args, output) => {
      const n = calls.get(path) ?? 0;
      calls.set(path, n + 1);
      if (n === 0) shapes.set(path, output.shape);
      if (path === layer && n === call) captured = { shape: [...output.shape], values: Float64Array.from(output.data) };
    }),
  );
  const wasTraining = model.training;
  try {
    model.eval();
    noGrad(() => model(new Tensor(image.data, shape)));
  } finally {
    for (const h of handles) h.remove();
    model.train(wasTraining);
  }

  if (captured === undefined) {
    const n = calls.get(layer) ?? 0;
    throw new PlotError(
      "BadArgument",
      n === 0
        ? `featureMaps: '${layer}' was not called by the model's forward; call it as this.${layer}(x), not ` +
            `this.${layer}.forward(x), so that its hook sees the output`
        : `featureMaps: '${layer}' was called ${n} time(s), so call: ${call} does not exist`,
    );
  }
  if (captured.shape.length !== 4) {
    const maps = [...shapes].filter(([, sh]) => sh.length === 4).map(([p]) => p);
    throw new PlotError(
      "BadShape",
      `featureMaps: ${layer} gives [${captured.shape.join(", ")}], not feature maps [N, C, H, W]; ` +
        (maps.length > 0 ? `the layers that give maps are ${maps.join(", ")}` : "no layer of this model gives maps"),
    );
  }

  const [, c, h, w] = captured.shape;
  const channels = options.channels ?? Array.from({ length: c }, (_, i) => i);
  for (const k of channels) {
    if (!Number.isInteger(k) || k < 0 || k >= c) {
      throw new PlotError("BadArgument", `featureMaps: channel ${k} does not exist; ${layer} has channels 0…${c - 1}`);
    }
  }
  const values = captured.values;
  const maps = channels.map((k) => {
    const plane = values.slice(k * h * w, (k + 1) * h * w);
    if (relu) for (let i = 0; i < plane.length; i++) plane[i] = Math.max(plane[i], 0);
    return { height: h, width: w, values: plane };
  });
  const [, , ih, iw] = shape;
  const input = {
    layer,
    index: 0,
    label: 0,
    image: { height: ih, width: iw, values: image.data.subarray(0, ih * iw) },
    maps,
    channels,
    title: options.title ?? reportMessages(lang).mapsTitle(layer, maps.length, h, w, relu),
  };
  return new Figure(featureMapsSpec(input, lang, { original: options.original ?? true }), `features-${layer}`);
}

export interface KernelsOptions extends TextOptions {
  /** Which input channel's kernels to draw (default 0; a first convolution on gray images has only 0). */
  inChannel?: number;
}

/**
 * A convolution's kernels drawn large, one heatmap per output channel ("Kernel 1" …), each value written in, all
 * on one blue–orange scale centred on 0: what the tutorial's `conv1` has learned. `kernels(model.conv1)` or
 * `kernels(model, "conv1")`. The weight is [C_out, C_in, kh, kw]; for C_in > 1 one input channel is drawn.
 */
export function kernels(layer: Conv2d, options?: KernelsOptions): Figure;
export function kernels(model: Module, name: string, options?: KernelsOptions): Figure;
export function kernels(first: Conv2d | Module, second?: string | KernelsOptions, third: KernelsOptions = {}): Figure {
  let conv: AnyModule;
  let name: string;
  let options: KernelsOptions;
  if (typeof second === "string") {
    [name, conv] = findLayer(layersOf(first), second, "kernels");
    options = third;
  } else {
    conv = first;
    name = first.path === "" ? "Conv2d" : first.path;
    options = second ?? {};
  }
  if (!(conv instanceof Conv2d)) {
    throw new PlotError("BadArgument", `kernels: ${name} is a ${conv.constructor.name}, not a Conv2d`);
  }
  const lang = options.lang ?? "en";
  const inChannel = options.inChannel ?? 0;
  const [out, inputs, kh, kw] = conv.weight.shape;
  if (!Number.isInteger(inChannel) || inChannel < 0 || inChannel >= inputs) {
    throw new PlotError("BadArgument", `kernels: ${name} has input channels 0…${inputs - 1}, not ${inChannel}`);
  }
  const data = conv.weight.data;
  const planes = Array.from({ length: out }, (_, o) => {
    const start = (o * inputs + inChannel) * kh * kw;
    return { height: kh, width: kw, values: data.slice(start, start + kh * kw) };
  });
  const m = reportMessages(lang);
  const spec = kernelsSpec(name, planes, lang);
  const title =
    options.title ?? (inputs > 1 ? m.kernelsTitle(name, out, `${kh}×${kw}`) + m.inChannel(inChannel) : undefined);
  return new Figure(retitle(spec, title), `kernels-${name}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

export interface ConfusionOptions extends TextOptions {
  /** The number of classes (default 10, MNIST's digits; the K of scores [N, K] when those are given). */
  classes?: number;
}

/** The confusion matrix `confusion[true][predicted]`, the accuracy and each true class's accuracy. */
export function confusionOf(predicted: ArrayLike<number>, labels: ArrayLike<number>, classes: number) {
  if (predicted.length !== labels.length) {
    throw new PlotError("BadArgument", `confusionMatrix: ${predicted.length} predictions for ${labels.length} labels`);
  }
  for (const [what, values] of [
    ["label", labels],
    ["prediction", predicted],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v >= classes) {
        throw new PlotError("BadArgument", `confusionMatrix: ${what} ${v} at ${i} is not one of 0…${classes - 1}`);
      }
    }
  }
  const confusion = emptyConfusion(classes);
  countInto(confusion, predicted, labels);
  const { accuracy, perClassAccuracy } = confusionStats(confusion);
  return { confusion, accuracy, perClassAccuracy };
}

/**
 * The confusion matrix (rows: the true class, columns: the prediction, counts written in) beside each class's
 * accuracy; from the predictions the tutorial's evaluation loop computes (`predicted`, classes [N] or scores [N, K])
 * and the true `labels`.
 */
export function confusionMatrix(
  predicted: Tensor | ArrayLike<number>,
  labels: Tensor | ArrayLike<number>,
  options: ConfusionOptions = {},
): Figure {
  const lang = options.lang ?? "en";
  const scores = predicted instanceof Tensor && predicted.shape.length === 2 ? predicted.shape[1] : undefined;
  const k = options.classes ?? scores ?? 10;
  const result = confusionOf(classes(predicted, "confusionMatrix"), classes(labels, "confusionMatrix (labels)"), k);
  const spec = confusionSpec(result, lang);
  return new Figure(retitle(spec, options.title ?? reportMessages(lang).confusionOf(result.accuracy)), "confusion");
}
