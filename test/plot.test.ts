import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { chromiumMissing, launchChromium } from "./helpers/chromium.js";
import { show } from "./helpers/cli.js";
import { denoMissing, runDeno } from "./helpers/jupyter.js";
import {
  Conv2d,
  Generator,
  Linear,
  MaxPool2d,
  Module,
  Tensor,
  buildModel,
  conv2d,
  flatten,
  presetSpec,
  relu,
  noGrad,
} from "../src/index.js";
import {
  Figure,
  JUPYTER_DISPLAY,
  PlotError,
  confusionMatrix,
  featureMaps,
  heatmap,
  imageGrid,
  kernels,
  lossCurve,
  predictions,
  registerFileWriter,
  registerRasterizer,
  row,
  type ChartSpec,
} from "../src/plot/index.js";
// Loading convlab/node registers resvg (png) and atomic writes (save), as a user's `import "convlab/node"` does.
import "../src/node/index.js";

/**
 * convlab/plot draws the tutorial's pictures from a user's own values. The charts are checked through their data
 * (the values a picture shows) and through the SVG's texts, sizes and frames, never against pixel snapshots.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-plot-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** A model written as the tutorial writes its class: layers as fields, a forward that calls them. */
class Net extends Module {
  conv1 = new Conv2d(1, 2, 3, { generator: new Generator(1) });
  pool = new MaxPool2d(2);
  fc1 = new Linear(2 * 3 * 3, 10, true, new Generator(2));

  forward(x: Tensor): Tensor {
    x = this.pool(relu(this.conv1(x)));
    return this.fc1(flatten(x, 1));
  }
}

const g = new Generator(7);
const random = (shape: number[]) =>
  new Tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => g.uniform(-1, 1)),
    shape,
  );

/** The text of every `<text>` element, in document order. */
const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&#39;/g, "'").replace(/&amp;/g, "&"));

const svgSize = (svg: string) => {
  const m = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  assert.ok(m, "the SVG has a width and height");
  return { width: Number(m[1]), height: Number(m[2]) };
};

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const pngSize = (bytes: Uint8Array) => {
  assert.deepEqual([...bytes.subarray(0, 8)], PNG_MAGIC, "PNG signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
};

/** The red frames (wrong predictions, highlighted cells). */
const frames = (svg: string) => (svg.match(/stroke="#d62728"/g) ?? []).length;

interface Cell {
  k: string;
  p: number;
  x: number;
  y: number;
  v: number;
}
/** The cells of an image-grid spec, grouped by panel in order, with each panel's title. */
function gridPanels(spec: ChartSpec): { title: string; cells: Cell[] }[] {
  const cells = (spec as unknown as { data: { values: Cell[] } }).data.values;
  const panels: { title: string; cells: Cell[] }[] = [];
  for (const cell of cells) {
    panels[cell.p] ??= { title: cell.k.slice(cell.k.indexOf("|") + 1), cells: [] };
    panels[cell.p].cells.push(cell);
  }
  return panels;
}

/** imshow's gray stretch of a plane: (v − min) / (max − min), or 0 for a constant plane. */
function stretch(values: ArrayLike<number>): number[] {
  const a = Array.from(values);
  const [lo, hi] = [Math.min(...a), Math.max(...a)];
  return a.map((v) => (hi > lo ? (v - lo) / (hi - lo) : 0));
}

test("featureMaps of a user's class: a hook on conv1 catches relu(conv2d(x)), one panel per channel", () => {
  const net = new Net();
  const image = random([1, 1, 8, 8]);
  const figure = featureMaps(net, "conv1", image);
  const panels = gridPanels(figure.spec);
  assert.deepEqual(
    panels.map((p) => p.title),
    ["Original image", "Feature Map 1", "Feature Map 2"],
  );
  const expected = noGrad(() => relu(conv2d(image, net.conv1.weight, net.conv1.bias)));
  assert.deepEqual(expected.shape, [1, 2, 6, 6]);
  const size = expected.shape[2] * expected.shape[3];
  for (let c = 0; c < 2; c++) {
    const cells = panels[c + 1].cells;
    assert.equal(cells.length, size);
    const want = stretch(expected.data.subarray(c * size, (c + 1) * size));
    // Tolerance 1e-6: the same float32 conv2d, then the same min/max stretch in float64.
    for (const cell of cells) assert.ok(Math.abs(cell.v - want[cell.y * 6 + cell.x]) < 1e-6, `channel ${c}`);
  }
  // The original is the input as given, stretched the same way.
  const original = stretch(image.data);
  for (const cell of panels[0].cells) assert.ok(Math.abs(cell.v - original[cell.y * 8 + cell.x]) < 1e-6);
  assert.equal(net.conv1.hasForwardHooks(), false, "the hook is removed");
  assert.equal(net.training, true, "the model's mode is restored");
  assert.equal(figure.name, "features-conv1");
});

test("featureMaps: chosen channels keep their numbers, without ReLU the negatives stay, [C, H, W] input", () => {
  const net = new Net();
  const image = random([1, 8, 8]);
  const figure = featureMaps(net, "conv1", image, { channels: [1], original: false, relu: false, lang: "vi" });
  const panels = gridPanels(figure.spec);
  assert.deepEqual(
    panels.map((p) => p.title),
    ["Feature Map 2"],
  );
  const raw = noGrad(() => conv2d(new Tensor(image.data, [1, 1, 8, 8]), net.conv1.weight, net.conv1.bias));
  const want = stretch(raw.data.subarray(36, 72));
  for (const cell of panels[0].cells) assert.ok(Math.abs(cell.v - want[cell.y * 6 + cell.x]) < 1e-6);
  assert.match(JSON.stringify(figure.spec.title), /Feature map của conv1 \(1 × 6×6\)/);
});

test("featureMaps: a wrong name lists the layers; a layer without maps names those with; a second call", () => {
  const net = new Net();
  const image = random([1, 1, 8, 8]);
  assert.throws(
    () => featureMaps(net, "conv2", image),
    (e: unknown) =>
      e instanceof PlotError && e.code === "E_PLOT_UNKNOWN_LAYER" && /its layers are conv1, pool, fc1/.test(e.message),
  );
  assert.throws(
    () => featureMaps(net, "fc1", image),
    (e: unknown) =>
      e instanceof PlotError &&
      e.code === "E_PLOT_BAD_SHAPE" &&
      /fc1 gives \[1, 10\], not feature maps/.test(e.message) &&
      /conv1, pool/.test(e.message),
  );
  assert.throws(
    () => featureMaps(net, "conv1", random([2, 1, 8, 8])),
    (e: unknown) => e instanceof PlotError && e.code === "E_PLOT_BAD_SHAPE",
  );
  assert.throws(
    () => featureMaps(net, "pool", image, { call: 1 }),
    (e: unknown) => e instanceof PlotError && /called 1 time/.test(e.message),
  );
  for (const [, m] of net.namedModules()) assert.equal(m.hasForwardHooks(), false, "every hook removed, even on error");
});

test("featureMaps of a preset SpecModel: the hook stops conv1 → relu → pool from being fused", () => {
  const model = buildModel(presetSpec("seed"), { generator: new Generator(3) });
  const image = random([1, 1, 28, 28]);
  const panels = gridPanels(featureMaps(model, "conv1", image).spec);
  assert.equal(panels.length, 1 + 16);
  assert.equal(panels[1].cells.length, 26 * 26, "conv1's own 26×26 output, not the fused 13×13");
});

test("Figure.svg: titles in English and in Vietnamese (diacritics kept)", async () => {
  const losses = [0.41, 0.12, 0.08, 0.06, 0.05];
  const en = await lossCurve(losses).svg();
  assert.match(en, /^<svg/);
  assert.ok(texts(en).includes("Loss over the epochs"));
  assert.ok(texts(en).includes("Epoch"));
  const vi = await lossCurve(losses, { lang: "vi" }).svg();
  assert.ok(texts(vi).includes("Biểu đồ mất mát qua các epoch"));
  const own = await lossCurve(losses, { title: "Mất mát của tôi" }).svg();
  assert.ok(texts(own).includes("Mất mát của tôi"));
});

test("lossCurve: the tutorial's points at epochs 1…n; batch losses and several runs add a legend", async () => {
  const spec = lossCurve([0.5, 0.25]).spec as unknown as { data: { values: { x: number; loss: number }[] } };
  assert.deepEqual(
    spec.data.values.map((p) => [p.x, p.loss]),
    [
      [1, 0.5],
      [2, 0.25],
    ],
  );
  const withBatches = await lossCurve({
    epochs: [
      { epoch: 1, loss: 0.5, batchLosses: [0.7, 0.3] },
      { epoch: 2, loss: 0.25, batchLosses: [0.3, 0.2] },
    ],
  }).svg();
  assert.ok(texts(withBatches).includes("batch loss"));
  const runs = await lossCurve([
    { name: "lr=0.01", losses: [0.5, 0.3] },
    { name: "lr=0.1", losses: [0.4, 0.2] },
  ]).svg();
  assert.ok(texts(runs).includes("lr=0.01") && texts(runs).includes("lr=0.1"));
  assert.throws(
    () => lossCurve([]),
    (e: unknown) => e instanceof PlotError && e.code === "E_PLOT_BAD_ARGUMENT",
  );
});

test("Figure.png: PNG bytes twice the SVG's size; no rasterizer gives a clear error", async () => {
  const figure = heatmap([
    [1, 2],
    [3, 4],
  ]);
  const { width, height } = svgSize(await figure.svg());
  assert.deepEqual(pngSize(await figure.png()), { width: 2 * width, height: 2 * height });
  assert.deepEqual(pngSize(await figure.png(1)), { width, height });
  const resvg = registerRasterizer(undefined);
  try {
    // Node has no canvas: without resvg registered, png() says what to do, and the display bundle has no PNG.
    await assert.rejects(figure.png(), (e: unknown) => e instanceof PlotError && e.code === "E_PLOT_NO_RASTERIZER");
    const bundle = await figure[JUPYTER_DISPLAY]();
    assert.deepEqual(Object.keys(bundle).sort(), ["image/svg+xml", "text/plain"]);
  } finally {
    registerRasterizer(resvg);
  }
});

test("Figure.save: .svg and .png by the extension, atomically; other extensions and no writer refused", async () => {
  const figure = imageGrid(random([3, 1, 4, 4]), { titles: ["a", "b", "c"], title: "Three" });
  const dir = join(TMP, "saved");
  await figure.save(join(dir, "x.svg"));
  await figure.save(join(dir, "x.png"));
  assert.deepEqual(readdirSync(dir).sort(), ["x.png", "x.svg"], "no temporary file left behind");
  const svg = readFileSync(join(dir, "x.svg"), "utf8");
  assert.equal(svg, await figure.svg());
  assert.deepEqual(pngSize(readFileSync(join(dir, "x.png"))), {
    width: 2 * svgSize(svg).width,
    height: 2 * svgSize(svg).height,
  });
  await assert.rejects(
    figure.save(join(dir, "x.jpg")),
    (e: unknown) => (e as PlotError).code === "E_PLOT_UNKNOWN_EXTENSION",
  );
  const writer = registerFileWriter(undefined);
  try {
    await assert.rejects(
      figure.save(join(dir, "y.png")),
      (e: unknown) => (e as PlotError).code === "E_PLOT_NO_FILE_WRITER" && /svg\(\) or figure\.png\(\)/.test(String(e)),
    );
  } finally {
    registerFileWriter(writer);
  }
});

test("the Jupyter display bundle: SVG, base64 PNG and one line of text", async () => {
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"), "the symbol Deno's kernel looks for");
  const figure = lossCurve([0.3, 0.2], { lang: "vi" });
  const bundle = await figure[JUPYTER_DISPLAY]();
  assert.match(bundle["image/svg+xml"], /^<svg/);
  assert.deepEqual([...Buffer.from(bundle["image/png"], "base64").subarray(0, 8)], PNG_MAGIC);
  assert.equal(bundle["text/plain"], 'Figure loss: "Biểu đồ mất mát qua các epoch"');
  assert.equal(String(figure), bundle["text/plain"]);
  assert.ok(!bundle["text/plain"].includes("\n"));
});

test("predictions: 'Predicted: p / True: t' in both languages, wrong ones framed, scores argmaxed", async () => {
  const images = random([6, 1, 8, 8]);
  const labels = [3, 1, 4, 1, 5, 9];
  const predicted = [3, 1, 4, 7, 5, 9];
  const en = await predictions(images, predicted, labels).svg();
  const titles = texts(en).filter((t) => t.startsWith("Predicted"));
  assert.deepEqual(titles, [
    "Predicted: 3 / True: 3",
    "Predicted: 1 / True: 1",
    "Predicted: 4 / True: 4",
    "Predicted: 7 / True: 1",
    "Predicted: 5 / True: 5",
  ]);
  assert.equal(frames(en), 1, "one red frame: the wrong 7");
  // Scores [N, 10] are read as torch.max(outputs, 1) reads them; labels may be a tensor.
  const scores = new Tensor(new Float32Array(60), [6, 10]);
  predicted.forEach((p, i) => (scores.data[i * 10 + p] = 1));
  const labelTensor = new Tensor(Int32Array.from(labels), [6]);
  const vi = await predictions(images, scores, labelTensor, { lang: "vi", count: 4 }).svg();
  assert.deepEqual(
    texts(vi).filter((t) => t.startsWith("Dự đoán:")),
    ["Dự đoán: 3 / Thật: 3", "Dự đoán: 1 / Thật: 1", "Dự đoán: 4 / Thật: 4", "Dự đoán: 7 / Thật: 1"],
  );
});

test("confusionMatrix: the counts, accuracy and per-class accuracy of a small known example", async () => {
  const labels = [0, 1, 2, 2, 2, 0];
  const predicted = [0, 1, 1, 2, 2, 2];
  const figure = confusionMatrix(predicted, labels, { classes: 3 });
  const spec = figure.spec as unknown as {
    hconcat: [
      { data: { values: { t: number; p: number; count: number }[] } },
      { data: { values: { accuracy: number }[] } },
    ];
  };
  const matrix = [0, 1, 2].map((t) =>
    [0, 1, 2].map((p) => spec.hconcat[0].data.values.find((c) => c.t === t && c.p === p)!.count),
  );
  assert.deepEqual(matrix, [
    [1, 0, 1],
    [0, 1, 0],
    [0, 1, 2],
  ]);
  const perClass = spec.hconcat[1].data.values.map((c) => c.accuracy);
  // Tolerance 1e-12: 2/3 as a double.
  [0.5, 1, 2 / 3].forEach((want, i) => assert.ok(Math.abs(perClass[i] - want) < 1e-12));
  const svg = await figure.svg();
  assert.ok(texts(svg).includes("Confusion matrix (accuracy 66.67%)"));
  assert.throws(
    () => confusionMatrix([0, 3], [0, 1], { classes: 3 }),
    (e: unknown) => e instanceof PlotError && e.code === "E_PLOT_BAD_ARGUMENT",
  );
});

test("heatmap: every value written in, labels on both axes, highlighted blocks framed", async () => {
  const m = [
    [0.25, -1, 0.5, 2],
    [1.75, 0, -0.125, 3],
    [-2, 1, 0.75, -0.5],
  ];
  const figure = heatmap(m, {
    title: "Kernel",
    highlight: [[0, 0], { row: 1, col: 1, rows: 2, cols: 3 }],
    rowLabels: ["a", "b", "c"],
  });
  const svg = await figure.svg();
  // d3-format writes a minus sign (U+2212), as matplotlib does.
  const written = m.flat().map((v) => v.toFixed(2).replace("-", "\u2212"));
  const shown = texts(svg);
  for (const value of written) assert.ok(shown.includes(value), `${value} is written`);
  assert.equal(shown.filter((t) => written.includes(t)).length, written.length, "one text per cell");
  for (const label of ["a", "b", "c", "0", "1", "2", "3", "Kernel"]) assert.ok(shown.includes(label), label);
  assert.equal(frames(svg), 2);
  // Integers are written as integers; a tensor [1, 1, H, W] is a matrix.
  const ints = await heatmap(new Tensor(Float32Array.of(0, 255, 128, 7), [1, 1, 2, 2]), { values: true }).svg();
  for (const v of ["0", "255", "128", "7"]) assert.ok(texts(ints).includes(v));
  assert.throws(
    () => heatmap(m, { highlight: [{ row: 2, col: 3, rows: 2 }] }),
    (e: unknown) => (e as PlotError).code === "E_PLOT_BAD_ARGUMENT",
  );
});

test("kernels: one panel per output channel with the weight's values, from the layer or by name", () => {
  const net = new Net();
  for (const figure of [kernels(net.conv1), kernels(net, "conv1", { lang: "vi" })]) {
    const panels = gridPanels(figure.spec);
    assert.deepEqual(
      panels.map((p) => p.title),
      ["Kernel 1", "Kernel 2"],
    );
    for (let c = 0; c < 2; c++) {
      for (const cell of panels[c].cells) {
        // The signed grid rounds to 3 decimals: tolerance 5e-4.
        assert.ok(Math.abs(cell.v - net.conv1.weight.data[c * 9 + cell.y * 3 + cell.x]) <= 5e-4);
      }
    }
  }
  assert.throws(
    () => kernels(net, "pool"),
    (e: unknown) => (e as PlotError).code === "E_PLOT_BAD_ARGUMENT" && /not a Conv2d/.test(String(e)),
  );
  assert.throws(
    () => kernels(net, "conv9"),
    (e: unknown) => (e as PlotError).code === "E_PLOT_UNKNOWN_LAYER",
  );
});

test("row: figures side by side in one SVG, each keeping its title", async () => {
  const both = row([heatmap([[1]], { title: "Left" }), lossCurve([1, 0.5], { title: "Right" })], { title: "Both" });
  assert.ok(both instanceof Figure);
  const shown = texts(await both.svg());
  for (const t of ["Left", "Right", "Both"]) assert.ok(shown.includes(t), t);
  assert.equal(row([heatmap([[1]])]).name, "heatmap", "one figure keeps its name");
});

test("src/plot does not import Node: its import graph reaches no node: module nor src/node", () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../src/plot/index.ts");
  const seen = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    // Static imports and re-exports, side-effect imports and dynamic import("…") alike; not `import type`, which
    // TypeScript erases. Anchored at a line's start, so that a message such as 'import "convlab/node" …' is not
    // taken for one.
    const pattern =
      /^\s*(?:import|export)\s(?!type\s)[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"|\bimport\(\s*"([^"]+)"/gm;
    for (const match of source.matchAll(pattern)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
      else external.add(spec);
    }
  };
  visit(root);
  assert.ok(seen.size > 10, `${seen.size} files visited`);
  const nodeOnly = [...seen].filter((f) => f.includes(`${join("src", "node")}/`));
  assert.deepEqual(nodeOnly, [], "no file of src/node");
  const builtins = [...external].filter((s) => s.startsWith("node:") || builtinModules.includes(s));
  assert.deepEqual(builtins, [], "no Node built-in");
  assert.deepEqual(
    [...external].filter((s) => !["vega", "vega-lite"].includes(s)),
    [],
    "only vega and vega-lite from npm",
  );
});

test(
  "in a browser: convlab/plot bundles for the browser platform, png() draws on a canvas, save() names svg()/png()",
  { skip: chromiumMissing, timeout: 60_000 },
  async () => {
    // esbuild comes with tsx (which runs these tests); bundling for "browser" also proves no Node built-in is needed.
    const { build } = await import("esbuild");
    const entry = resolve(dirname(fileURLToPath(import.meta.url)), "../src/plot/index.ts");
    const bundle = await build({
      entryPoints: [entry],
      bundle: true,
      format: "iife",
      globalName: "convlabPlot",
      platform: "browser",
      write: false,
      logLevel: "error",
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.setContent("<!doctype html><title>convlab/plot</title>");
      await page.addScriptTag({ content: bundle.outputFiles[0].text });
      const result = await page.evaluate(async () => {
        type Plot = typeof import("../src/plot/index.js");
        const plot = (globalThis as unknown as { convlabPlot: Plot }).convlabPlot;
        const figure = plot.heatmap(
          [
            [1, 2],
            [3, 4],
          ],
          { title: "Dự đoán" },
        );
        const svg = await figure.svg();
        const png = Array.from(await figure.png());
        const saved = await figure.save("x.png").then(
          () => "saved",
          (error: { code: string; message: string }) => `${error.code}: ${error.message}`,
        );
        const bundle = await figure[plot.JUPYTER_DISPLAY]();
        return { svg, png, saved, keys: Object.keys(bundle).sort() };
      });
      assert.deepEqual(errors, []);
      assert.ok(texts(result.svg).includes("Dự đoán"));
      const { width, height } = svgSize(result.svg);
      assert.deepEqual(pngSize(Uint8Array.from(result.png)), { width: 2 * width, height: 2 * height });
      assert.match(result.saved, /^E_PLOT_NO_FILE_WRITER: .*figure\.svg\(\) or figure\.png\(\)/);
      assert.deepEqual(result.keys, ["image/png", "image/svg+xml", "text/plain"]);
    } finally {
      await browser.close();
    }
  },
);

test(
  "in Deno: the Jupyter display bundle, with a PNG once convlab/node's resvg is loaded and without it",
  { skip: denoMissing, timeout: 120_000 },
  async () => {
    const src = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
    const script = (withNode: boolean) => `
      import { heatmap } from "${src}/plot/index.ts";
      ${withNode ? `import "${src}/node/index.ts";` : ""}
      const bundle = await heatmap([[1, 2], [3, 4]], { title: "Dự đoán" })[Symbol.for("Jupyter.display")]();
      console.log(JSON.stringify({ keys: Object.keys(bundle).sort(), png: bundle["image/png"]?.slice(0, 8) }));`;
    for (const withNode of [false, true]) {
      const file = join(TMP, `deno-${withNode}.ts`);
      writeFileSync(file, script(withNode));
      // The sources are run as they are (sloppy imports map ./x.js to ./x.ts); npm packages come from node_modules.
      const result = await runDeno(
        ["run", "--node-modules-dir=manual", "--unstable-sloppy-imports", "-A", "--quiet", "--no-prompt", file],
        { cwd: resolve(src, ".."), timeoutMs: 100_000 },
      );
      assert.equal(result.code, 0, show(result));
      const out = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { keys: string[]; png?: string };
      // Deno has createImageBitmap and OffscreenCanvas, but cannot decode an SVG: without resvg the bundle keeps
      // the SVG and leaves the PNG out rather than failing.
      assert.deepEqual(
        out.keys,
        withNode ? ["image/png", "image/svg+xml", "text/plain"] : ["image/svg+xml", "text/plain"],
      );
      if (withNode) assert.equal(out.png, "iVBORw0K", "base64 of the PNG signature");
    }
  },
);
