import type { ChartSpec } from "./types.js";

/** Fonts with Vietnamese glyphs that Debian ships, so SVG (browser) and PNG (resvg) show the same letters. */
export const FONT = "DejaVu Sans, Liberation Sans, sans-serif";

/** A Vega-Lite spec with the schema and the shared look (font, no frame around single views) filled in. */
export function chart(spec: Record<string, unknown>): ChartSpec {
  const config = (spec.config ?? {}) as Record<string, unknown>;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    ...spec,
    config: { font: FONT, ...config },
  } as ChartSpec;
}

/** A chart title in the report's style. */
export const title = (text: string) => ({ text, anchor: "start", fontSize: 14 }) as const;
