import { JUPYTER_DISPLAY, show } from "./display.js";
import * as vega from "vega";
import { compile } from "vega-lite";
import type { ChartSpec } from "../report/types.js";
import { ConvlabError } from "../errors.js";

/**
 * A figure: a Vega-Lite spec with a name, drawn on demand. The `plt.figure()` … `plt.savefig()` of the tutorial,
 * in a form that runs in Node, in a browser and in a notebook:
 *
 * - `svg()` renders headlessly (vega's "none" renderer: no DOM, no canvas), so it works everywhere;
 * - `png(scale)` rasterises that SVG through the registered rasterizer (resvg in Node, registered when any
 *   `convlab/node` module loads; a canvas in a browser);
 * - `save(path)` is `savefig`: `.svg` or `.png` by the extension, written atomically, in Node only;
 * - `[Symbol.for("Jupyter.display")]()` is what Deno's Jupyter kernel awaits to show the figure inline, and
 *   `show()` sends it to the notebook while the cell runs, as matplotlib's `plt.show()`.
 *
 * This file may not import `node:` modules: everything Node-specific comes in through {@link registerRasterizer}
 * and {@link registerFileWriter}, which `src/node/render.ts` calls.
 */

/** What went wrong in `convlab/plot`, in words; each has a stable {@link PlotErrorCode} (see {@link PLOT_CODES}). */
export type PlotErrorReason =
  /** No way to turn an SVG into PNG bytes here (no registered rasterizer, no canvas). */
  | "NoRasterizer"
  /** `save()` without a file writer: a browser, or Node without `convlab/node` loaded. */
  | "NoFileWriter"
  /** `save()` of a path that does not end in `.svg` or `.png`. */
  | "UnknownExtension"
  /** A layer name not found in the model. */
  | "UnknownLayer"
  /** A tensor or an output of the wrong shape for the picture. */
  | "BadShape"
  /** Any other argument that cannot be drawn (empty data, mismatched lengths, a class out of range). */
  | "BadArgument";

/** The stable `code` of each {@link PlotErrorReason}: `E_PLOT_` and the reason in capitals. */
export const PLOT_CODES = {
  NoRasterizer: "E_PLOT_NO_RASTERIZER",
  NoFileWriter: "E_PLOT_NO_FILE_WRITER",
  UnknownExtension: "E_PLOT_UNKNOWN_EXTENSION",
  UnknownLayer: "E_PLOT_UNKNOWN_LAYER",
  BadShape: "E_PLOT_BAD_SHAPE",
  BadArgument: "E_PLOT_BAD_ARGUMENT",
} as const satisfies Record<PlotErrorReason, string>;

/** A stable code of {@link PlotError}, for programs to test instead of the message. */
export type PlotErrorCode = (typeof PLOT_CODES)[PlotErrorReason];

/** An error of `convlab/plot`; `code` (stable) and `reason` say which, the message says what to do. */
export class PlotError extends ConvlabError {
  declare readonly code: PlotErrorCode;

  constructor(
    readonly reason: PlotErrorReason,
    message: string,
  ) {
    super(PLOT_CODES[reason], message);
  }
}

/** PNGs are drawn at twice the SVG's size by default, so they stay sharp on high-density screens and in slides. */
export const PNG_SCALE = 2;

/** Compiles a Vega-Lite spec and renders it headlessly (no DOM, no canvas) to an SVG document. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  // Vega-Lite's warnings (e.g. a legend property set two ways by layered marks) are about styling choices, not
  // errors; printed to stderr they would only confuse the training log, so only errors are logged.
  const compiled = compile(spec, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Turns an SVG document into PNG bytes, `scale` times its size. */
export type Rasterizer = (svg: string, scale: number) => Uint8Array | Promise<Uint8Array>;

/** Writes a whole file, atomically (readers see the old file or the new one, never a part). */
export type FileWriter = (path: string, data: string | Uint8Array) => void | Promise<void>;

let rasterizer: Rasterizer | undefined;
let fileWriter: FileWriter | undefined;

/**
 * Sets how `png()` rasterises (`undefined` restores the default: a canvas where one exists). `src/node/render.ts`
 * registers resvg; a page may register its own (e.g. resvg-wasm). Returns the one it replaced.
 */
export function registerRasterizer(r: Rasterizer | undefined): Rasterizer | undefined {
  const previous = rasterizer;
  rasterizer = r;
  return previous;
}

/** Sets how `save()` writes files (`src/node/render.ts` registers `writeFileAtomic`). Returns the one it replaced. */
export function registerFileWriter(w: FileWriter | undefined): FileWriter | undefined {
  const previous = fileWriter;
  fileWriter = w;
  return previous;
}

/** Whether `png()` can work here: a registered rasterizer, or a canvas that can draw an SVG image. */
export function canRasterize(): boolean {
  return rasterizer !== undefined || canvasRasterizerAvailable();
}

/** The width and height (CSS pixels) written on an SVG's root element, as vega writes them. */
export function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const width = Number(/\swidth="([\d.]+)"/.exec(root)?.[1]);
  const height = Number(/\sheight="([\d.]+)"/.exec(root)?.[1]);
  if (!(width > 0 && height > 0)) throw new PlotError("BadArgument", "the SVG has no width/height on its <svg> root");
  return { width, height };
}

// The browser's default rasterizer. `Image` needs a document (a page); a worker has only createImageBitmap, which
// not every browser can feed an SVG (Chrome cannot): then the error below says to register a rasterizer.
const g = globalThis as unknown as {
  Image?: new () => HTMLImageElement;
  document?: Document;
  OffscreenCanvas?: typeof OffscreenCanvas;
  createImageBitmap?: typeof createImageBitmap;
  URL?: typeof URL;
  Blob?: typeof Blob;
};

function canvasRasterizerAvailable(): boolean {
  const canDecode =
    (g.Image !== undefined && g.URL?.createObjectURL !== undefined) || g.createImageBitmap !== undefined;
  const canDraw = g.OffscreenCanvas !== undefined || g.document?.createElement !== undefined;
  return g.Blob !== undefined && canDecode && canDraw;
}

async function canvasRasterize(svg: string, scale: number): Promise<Uint8Array> {
  const { width, height } = svgSize(svg);
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  const blob = new Blob([svg], { type: "image/svg+xml" });
  let source: CanvasImageSource;
  let url: string | undefined;
  if (g.Image !== undefined && g.URL?.createObjectURL !== undefined) {
    url = URL.createObjectURL(blob);
    const image = new g.Image();
    image.width = w;
    image.height = h;
    image.src = url;
    await image.decode();
    source = image;
  } else {
    try {
      source = await createImageBitmap(blob);
    } catch (error) {
      // Chrome's workers and Deno have createImageBitmap, but it cannot decode an SVG there.
      throw new PlotError(
        "NoRasterizer",
        `png(): this runtime's createImageBitmap cannot decode an SVG (${String(error)}); register a rasterizer ` +
          "with registerRasterizer() (in Node or Deno: import 'convlab/node'), or use svg()",
      );
    }
  }
  try {
    if (g.OffscreenCanvas !== undefined) {
      const canvas = new g.OffscreenCanvas(w, h);
      const context = canvas.getContext("2d");
      if (context === null) throw new PlotError("NoRasterizer", "OffscreenCanvas has no 2d context here");
      context.drawImage(source, 0, 0, w, h);
      return new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
    }
    const canvas = (g.document as Document).createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const context = canvas.getContext("2d");
    if (context === null) throw new PlotError("NoRasterizer", "the canvas has no 2d context here");
    context.drawImage(source, 0, 0, w, h);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/png"));
    if (png === null) throw new PlotError("NoRasterizer", "canvas.toBlob gave no PNG");
    return new Uint8Array(await png.arrayBuffer());
  } finally {
    if (url !== undefined) URL.revokeObjectURL(url);
  }
}

/** Rasterises an SVG with the registered rasterizer, or a canvas; a clear error where there is neither. */
export async function svgToPngBytes(svg: string, scale = PNG_SCALE): Promise<Uint8Array> {
  if (rasterizer !== undefined) return rasterizer(svg, scale);
  if (canvasRasterizerAvailable()) return canvasRasterize(svg, scale);
  throw new PlotError(
    "NoRasterizer",
    "png() needs a rasterizer: in Node import 'convlab/node' (it registers resvg), in a browser a page with a " +
      "canvas; elsewhere call registerRasterizer(), or use svg()",
  );
}

/** Base64 of bytes (the MIME bundle's encoding of a PNG), with `btoa`, which Node, Deno and browsers all have. */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  // In chunks: String.fromCharCode(...bytes) of a whole PNG would overflow the argument stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** The text of a spec's top-level title, if it has one. */
function titleText(spec: ChartSpec): string | undefined {
  const t = (spec as { title?: unknown }).title;
  if (typeof t === "string") return t;
  if (t !== null && typeof t === "object" && "text" in t) {
    const text = (t as { text: unknown }).text;
    return Array.isArray(text) ? text.join(" ") : typeof text === "string" ? text : undefined;
  }
  return undefined;
}

export { JUPYTER_DISPLAY };

/** A chart ready to draw: see the top of this file. */
export class Figure {
  #svg: Promise<string> | undefined;

  /**
   * @param spec a complete (top-level) Vega-Lite spec, as the builders of `src/report` return it.
   * @param name a short file-friendly name (e.g. "loss", "feature-maps-conv1"), used by `toString()` and reports.
   */
  constructor(
    readonly spec: ChartSpec,
    readonly name: string,
  ) {}

  /** The figure as an SVG document (rendered once, then cached: the spec is not meant to change). */
  svg(): Promise<string> {
    if (this.#svg === undefined) {
      const rendering = renderSvg(this.spec);
      this.#svg = rendering;
      // A failed render is not kept: the caller sees the error, and the next call tries again.
      rendering.catch(() => {
        if (this.#svg === rendering) this.#svg = undefined;
      });
    }
    return this.#svg;
  }

  /** The figure as PNG bytes, `scale` times the SVG's size (2 by default, as the CLI's reports). */
  async png(scale = PNG_SCALE): Promise<Uint8Array> {
    return svgToPngBytes(await this.svg(), scale);
  }

  /**
   * matplotlib's `savefig`: writes `path` as SVG or PNG (at {@link PNG_SCALE}) by its extension, atomically. Node
   * only (it uses the writer that `convlab/node` registers); in a browser use `svg()` or `png()` and offer a
   * download.
   */
  async save(path: string): Promise<void> {
    const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase();
    if (extension !== "svg" && extension !== "png") {
      throw new PlotError("UnknownExtension", `save("${path}"): the file name must end in .svg or .png`);
    }
    if (fileWriter === undefined) {
      throw new PlotError(
        "NoFileWriter",
        `save("${path}") writes files, which only Node can (import 'convlab/node' first); in a browser use ` +
          "figure.svg() or figure.png() and offer the result as a download",
      );
    }
    const data = extension === "svg" ? await this.svg() : await this.png();
    await fileWriter(path, data);
  }

  /** Shows the figure in the notebook now, as `plt.show()`: see {@link show} (Deno's Jupyter kernel). */
  show(): Promise<void> {
    return show(this);
  }

  /**
   * The MIME bundle Deno's Jupyter kernel awaits to show the figure inline: the SVG, a base64 PNG where a
   * rasterizer is available, and a one-line text.
   */
  async [JUPYTER_DISPLAY](): Promise<Record<string, string>> {
    const svg = await this.svg();
    const bundle: Record<string, string> = { "image/svg+xml": svg };
    if (canRasterize()) {
      // The PNG is a bonus for front-ends without SVG: a runtime that only seems able to draw must not lose the SVG.
      const png = await svgToPngBytes(svg).catch(() => undefined);
      if (png !== undefined) bundle["image/png"] = base64(png);
    }
    bundle["text/plain"] = this.toString();
    return bundle;
  }

  /** One line: the name and the title, e.g. `Figure loss: "Loss over the epochs"`. */
  toString(): string {
    const text = titleText(this.spec);
    return text === undefined ? `Figure ${this.name}` : `Figure ${this.name}: "${text}"`;
  }
}

/** A spec without what only a top-level spec may have (`$schema`, `config`), so it can sit in a concat. */
function inner(spec: ChartSpec): { view: Record<string, unknown>; config: Record<string, unknown> } {
  const { $schema: _schema, config = {}, ...view } = spec as unknown as Record<string, unknown>;
  return { view, config: config as Record<string, unknown> };
}

/**
 * Puts figures side by side (Vega-Lite `hconcat` of their specs): e.g. `row([imageGrid(x), heatmap(k)])`. Each
 * keeps its own scales and legends; their configs are merged (later ones win), so they share one look.
 */
export function row(figures: readonly Figure[], options: { name?: string; title?: string } = {}): Figure {
  if (figures.length === 0) throw new PlotError("BadArgument", "row() needs at least one figure");
  const parts = figures.map((f) => inner(f.spec));
  const config = Object.assign({}, ...parts.map((p) => p.config)) as Record<string, unknown>;
  const independent = { color: "independent", stroke: "independent", opacity: "independent", size: "independent" };
  const spec = {
    $schema: (figures[0].spec as { $schema?: string }).$schema,
    ...(options.title === undefined ? {} : { title: { text: options.title, anchor: "start", fontSize: 15 } }),
    hconcat: parts.map((p) => p.view),
    spacing: 24,
    resolve: { scale: independent },
    config,
  } as unknown as ChartSpec;
  return new Figure(spec, options.name ?? figures.map((f) => f.name).join("+"));
}
