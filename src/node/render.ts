import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile } from "vega-lite";
import type { ChartSpec } from "../report/types.js";
import { writeFileAtomic } from "./atomic.js";

/** PNGs are drawn at twice the SVG's size, so they stay sharp on high-density screens and in slides. */
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

/** Rasterises an SVG with resvg, using the system fonts (DejaVu has the Vietnamese letters). */
export function svgToPng(svg: string, scale = PNG_SCALE): Uint8Array {
  const resvg = new Resvg(svg, { fitTo: { mode: "zoom", value: scale }, font: { loadSystemFonts: true } });
  return resvg.render().asPng();
}

/** Renders `spec` and writes `<dir>/<name>.svg` and `<dir>/<name>.png`, each atomically; returns the SVG text. */
export async function writeChart(dir: string, name: string, spec: ChartSpec): Promise<string> {
  const svg = await renderSvg(spec);
  writeFileAtomic(join(dir, `${name}.svg`), svg);
  writeFileAtomic(join(dir, `${name}.png`), svgToPng(svg));
  return svg;
}
