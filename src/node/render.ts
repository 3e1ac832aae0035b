import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { Figure, PNG_SCALE, registerFileWriter, registerRasterizer, renderSvg } from "../plot/figure.js";
import type { ChartSpec } from "../report/types.js";
import { writeFileAtomic } from "./atomic.js";

// Rendering itself is browser-safe and lives in src/plot/figure.ts; Node adds what a browser lacks: resvg to
// rasterise, and atomic file writes for `Figure.save`. They are registered as soon as this module loads, which
// every `convlab/node` import does (src/node/index.ts re-exports this file).
export { PNG_SCALE, renderSvg };

/** Rasterises an SVG with resvg, using the system fonts (DejaVu has the Vietnamese letters). */
export function svgToPng(svg: string, scale = PNG_SCALE): Uint8Array {
  const resvg = new Resvg(svg, { fitTo: { mode: "zoom", value: scale }, font: { loadSystemFonts: true } });
  return resvg.render().asPng();
}

registerRasterizer(svgToPng);
registerFileWriter(writeFileAtomic);

/**
 * Renders `spec` as a {@link Figure} (the same path as convlab/plot's `fig.svg()` and `fig.png()`) and writes
 * `<dir>/<name>.svg` and `<dir>/<name>.png`, each atomically; returns the SVG text. The CLI's run and sweep reports
 * and `convlab features` draw through it.
 */
export async function writeChart(dir: string, name: string, spec: ChartSpec | Figure): Promise<string> {
  const figure = spec instanceof Figure ? spec : new Figure(spec, name);
  const svg = await figure.svg();
  writeFileAtomic(join(dir, `${name}.svg`), svg);
  writeFileAtomic(join(dir, `${name}.png`), await figure.png());
  return svg;
}
