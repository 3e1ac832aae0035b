import { layerLabel, product, type Trace } from "../../src/models/trace.js";
import type { Lang } from "../../src/explain/index.js";
import { shapeToString } from "../../src/tensor/tensor.js";
import { chooseModel } from "../../src/node/model-file.js";
import { localeLang } from "../options.js";
import { cliMessages } from "../messages.js";
import { formatTable } from "../table.js";

export interface SummaryFlags {
  /** A preset (seed, conv3) or the path of a model spec file. */
  arch: string;
  format: "text" | "json";
  /** Language of the text (not of --format json); default from the locale. */
  lang?: Lang;
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * The summary as text: torchinfo's table with the formula of each size, the totals, and why fc1 has its inputs, in
 * `lang`. The sizes' formulas are the trace's own, written in symbols; only ReLU's is a sentence.
 */
export function summaryText(trace: Trace, lang: Lang = "en"): string[] {
  const m = cliMessages(lang).summary;
  const rows = [
    { layer: m.input, shape: shapeToString(trace.input), formula: "", params: "", multAdds: "" },
    ...trace.rows.map((row) => ({
      layer: layerLabel(row.key, row.layer) + (row.reused ? ` ${m.again}` : ""),
      shape: shapeToString(row.output),
      formula: row.layer.type === "ReLU" ? m.relu : row.formula,
      params: row.reused && row.layer.type !== "ReLU" ? m.reused : count(row.params),
      multAdds: count(row.multAdds),
    })),
  ];
  // Counts right-aligned, as torchinfo's columns; text left-aligned.
  const [header, ...lines] = formatTable(rows, [
    { header: m.head.layer, value: (r) => r.layer },
    { header: m.head.shape, value: (r) => r.shape },
    { header: m.head.formula, value: (r) => r.formula },
    { header: m.head.params, value: (r) => r.params, numeric: true },
    { header: m.head.multAdds, value: (r) => r.multAdds, numeric: true },
  ])
    .split("\n")
    .map((line) => `  ${line}`);
  const rule = "  " + "─".repeat(Math.max(header.length, ...lines.map((l) => l.length)) - 2);
  return [
    m.title(trace.name),
    rule,
    header,
    rule,
    ...lines,
    rule,
    `  ${m.totalParams}: ${count(trace.params)}`,
    `  ${m.trainableParams}: ${count(trace.params)}`,
    `  ${m.multAdds}: ${count(trace.multAdds)}`,
    `  ${m.output}: [N, ${trace.output.slice(1).join(", ")}]`,
    ...trace.linearInputs.map(
      (n) => `  ${m.inputsOf(n.key, n.inputs, product(n.image), n.sizes.join(" → "), product(n.flattened))}`,
    ),
  ];
}

/**
 * `convlab summary`: what torchinfo's `summary(model, (1, 1, 28, 28))` shows (each layer's output shape, parameters
 * and multiply-adds, then totals), plus the formula behind each size. Builds nothing: the numbers come from tracing
 * the spec, so it is instant and draws no random numbers.
 */
export function summaryCommand(flags: SummaryFlags): void {
  const { trace } = chooseModel(flags.arch);
  if (flags.format === "json") {
    const { rows, ...totals } = trace;
    const layers = rows.map(({ layer, ...row }) => ({ ...row, type: layer.type }));
    console.log(JSON.stringify({ arch: flags.arch, ...totals, layers }));
    return;
  }
  console.log(summaryText(trace, flags.lang ?? localeLang()).join("\n"));
}
