import type { Trace, TraceRow } from "../../src/models/trace.js";
import type { Lang } from "../../src/explain/index.js";
import { shapeToString, type Shape } from "../../src/tensor/tensor.js";
import { chooseModel } from "../../src/node/model-file.js";
import { localeLang } from "../options.js";
import { cliMessages, type CliMessages } from "../messages.js";
import { formatTable } from "../table.js";

export interface SummaryFlags {
  /** A preset (seed, conv3) or the path of a model spec file. */
  arch: string;
  format: "text" | "json";
  /** Language of the text (not of --format json); default from the locale. */
  lang?: Lang;
}

const count = (n: number) => n.toLocaleString("en-US");

/** A layer as torchinfo names it: `conv1 (Conv2d)`, or `[1] ReLU` when unnamed (its key is its index). */
const label = ({ key, layer }: TraceRow) => (/^\d+$/.test(key) ? `[${key}] ${layer.type}` : `${key} (${layer.type})`);

/** `C×H×W`, as the tutorial writes `32 * 5 * 5`. */
const product = (dims: Shape) => dims.join("×");

/**
 * Why each Linear after a Flatten takes the inputs it does: the image's side at each layer that changes it, and what
 * Flatten made of the maps. Read off the trace's rows, as src/models/trace.ts words its (English) `notes`, so the
 * sentence can be said in either language.
 */
function inputNotes(trace: Trace, m: CliMessages["summary"]): string[] {
  const sizes = [String(trace.input[2])];
  const notes: string[] = [];
  // Flatten's input is remembered until a layer changes the features again, so "64 = 64×1×1" survives a ReLU.
  let flattened: Shape | null = null;
  for (const row of trace.rows) {
    const { layer, input, output } = row;
    if (layer.type === "Linear" && flattened !== null) {
      notes.push(m.inputsOf(row.key, input[1], product(trace.input.slice(2)), sizes.join(" → "), product(flattened)));
    }
    if (layer.type === "Flatten") flattened = input.slice(1);
    else if (layer.type !== "ReLU") flattened = null;
    if (output.length === 4 && input.length === 4 && output[2] !== input[2]) sizes.push(`${output[2]} (${row.key})`);
  }
  return notes;
}

/**
 * The summary as text: torchinfo's table with the formula of each size, the totals, and why fc1 has its inputs, in
 * `lang`. The sizes' formulas are the trace's own, written in symbols; only ReLU's is a sentence.
 */
export function summaryText(trace: Trace, lang: Lang = "en"): string[] {
  const m = cliMessages(lang).summary;
  const rows = [
    { layer: m.input, shape: shapeToString(trace.input), formula: "", params: "", multAdds: "" },
    ...trace.rows.map((row) => ({
      layer: label(row) + (row.reused ? ` ${m.again}` : ""),
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
    ...inputNotes(trace, m).map((note) => `  ${note}`),
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
