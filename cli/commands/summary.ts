import { formatTrace, type Trace } from "../../src/models/trace.js";
import { chooseModel } from "../../src/node/model-file.js";

export interface SummaryFlags {
  /** A preset (seed, conv3) or the path of a model spec file. */
  arch: string;
  format: "text" | "json";
}

const count = (n: number) => n.toLocaleString("en-US");

/** The summary as text: torchinfo's table with the formula of each size, the totals, and why fc1 has its inputs. */
export function summaryText(trace: Trace): string[] {
  const rule = "  " + "─".repeat(Math.max(...formatTrace(trace.input, trace.rows, true).map((l) => l.length)) - 2);
  const [header, ...rows] = formatTrace(trace.input, trace.rows, true);
  return [
    `Model '${trace.name}', one example (batch size 1); the size formula is ⌊(H + 2·P − F) / S⌋ + 1`,
    rule,
    header,
    rule,
    ...rows,
    rule,
    `  Total params: ${count(trace.params)}`,
    `  Trainable params: ${count(trace.params)}`,
    `  Mult-adds per image: ${count(trace.multAdds)}`,
    `  Output: [N, ${trace.output.slice(1).join(", ")}]`,
    ...trace.notes.map((note) => `  ${note}`),
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
  console.log(summaryText(trace).join("\n"));
}
