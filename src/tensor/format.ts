import type { DType, Shape, Storage } from "./tensor.js";

/**
 * PyTorch's tensor printing (`torch/_tensor_str.py`, default print options), so `console.log(t)` reads as
 * `print(t)` does: `tensor([[0.1000, 2.0000]], grad_fn=<AddmmBackward0>)`.
 *
 * - One format for all elements, chosen from the nonzero finite ones: integers print as `2.` (int mode); otherwise 4
 *   decimals, or scientific `1.0000e-05` when max/min > 1000, max > 1e8, or min < 1e-4 (max > 1e8 in int mode).
 *   Every element is padded to the widest one.
 * - Rows wrap at 80 columns; nested dimensions are separated by one blank line per dimension below the outer one.
 * - Past 1000 elements only the first and last 3 of each dimension show, around `...`.
 * - Suffixes: `dtype=…` for a dtype other than float32, then `grad_fn=<…>` or `requires_grad=True`.
 *
 * Differs from PyTorch: numbers are rounded half to even on their exact binary value, as Python's `format` does,
 * which JavaScript's `toFixed` does not (it rounds ties up), so that the digits agree.
 */
const PRECISION = 4;
const LINE_WIDTH = 80;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;

/** What a tensor is printed from: its shape, elements and autograd state. */
export interface Printable {
  shape: Shape;
  data: Storage;
  dtype: DType;
  requiresGrad: boolean;
  gradFnName: string | null;
}

/**
 * Whether rounding `exact` (the exact decimal digits of |x|, as toFixed(100) or toExponential(100) give them) to
 * `keep` characters is a tie whose lower neighbour ends in an even digit: Python keeps that one, JavaScript rounds up.
 */
function tieToLower(exact: string, keep: number): boolean {
  const rest = exact.slice(keep);
  if (rest[0] !== "5" || /[1-9]/.test(rest.slice(1))) return false;
  const kept = exact.slice(0, keep).replace(/\.$/, "");
  return Number(kept[kept.length - 1]) % 2 === 0;
}

/** Python's '{:.Nf}': `digits` decimals, ties to even. */
function fixed(x: number, digits: number): string {
  // Int mode prints only integers with 0 decimals: nothing to round.
  if (digits === 0) return x.toFixed(0);
  const exact = Math.abs(x).toFixed(100);
  const keep = exact.indexOf(".") + 1 + digits;
  // toFixed drops the sign of −0 and of negatives that round to 0; Python keeps it ("-0.0000").
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (!tieToLower(exact, keep)) return sign + Math.abs(x).toFixed(digits);
  return sign + exact.slice(0, keep);
}

/** Python's '{:.Ne}': mantissa with `digits` decimals, ties to even; exponent signed, at least two digits. */
function scientific(x: number, digits: number): string {
  const [exact, exactExponent] = Math.abs(x).toExponential(100).split("e");
  const [rounded, exponent] = tieToLower(exact, 2 + digits)
    ? [(x < 0 ? "-" : "") + exact.slice(0, 2 + digits), exactExponent]
    : x.toExponential(digits).split("e");
  const sign = exponent.startsWith("-") ? "-" : "+";
  return `${rounded}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
}

/** PyTorch's `_Formatter`: one width and one mode for every element of the tensor. */
class Formatter {
  private intMode = true;
  private sciMode = false;
  private width = 1;

  constructor(
    private readonly floating: boolean,
    values: ArrayLike<number>,
  ) {
    if (!floating) {
      for (let i = 0; i < values.length; i++) this.width = Math.max(this.width, String(values[i]).length);
      return;
    }
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && values[i] !== 0) finite.push(values[i]);
    if (finite.length === 0) return;
    let min = Infinity;
    let max = 0;
    for (const v of finite) {
      min = Math.min(min, Math.abs(v));
      max = Math.max(max, Math.abs(v));
      if (v !== Math.ceil(v)) this.intMode = false;
    }
    if (this.intMode) {
      this.sciMode = max / min > 1000 || max > 1e8;
    } else {
      this.sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
    }
    for (const v of finite) {
      const text = this.sciMode ? scientific(v, PRECISION) : this.intMode ? `${fixed(v, 0)}.` : fixed(v, PRECISION);
      this.width = Math.max(this.width, text.length);
    }
  }

  get maxWidth(): number {
    return this.width;
  }

  format(value: number): string {
    let text: string;
    if (!this.floating) text = String(value);
    else if (!Number.isFinite(value)) text = nonFinite(value);
    else if (this.sciMode) text = scientific(value, PRECISION);
    else if (this.intMode) text = `${Object.is(value, -0) ? "-0" : fixed(value, 0)}.`;
    else text = fixed(value, PRECISION);
    return text.padStart(this.width);
  }
}

const numel = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

/** A view of the elements at `index` along the first dimension: the sub-tensor t[index]. */
interface Block {
  shape: Shape;
  data: Storage;
  offset: number;
}

const sub = (block: Block, index: number): Block => {
  const inner = numel(block.shape.slice(1));
  return { shape: block.shape.slice(1), data: block.data, offset: block.offset + index * inner };
};

/** The indices shown along a dimension of `size`: all, or the first and last EDGE_ITEMS around a gap (null). */
function shown(size: number, summarize: boolean): (number | null)[] {
  if (!summarize || size <= 2 * EDGE_ITEMS) return Array.from({ length: size }, (_, i) => i);
  const head = Array.from({ length: EDGE_ITEMS }, (_, i) => i);
  const tail = Array.from({ length: EDGE_ITEMS }, (_, i) => size - EDGE_ITEMS + i);
  return [...head, null, ...tail];
}

/** The elements that print, PyTorch's `get_summarized_data`: the formatter is fitted to these only. */
function shownValues(block: Block, summarize: boolean, out: number[]): number[] {
  if (block.shape.length === 0) {
    out.push(block.data[block.offset]);
    return out;
  }
  for (const i of shown(block.shape[0], summarize)) if (i !== null) shownValues(sub(block, i), summarize, out);
  return out;
}

function vectorString(block: Block, indent: number, summarize: boolean, formatter: Formatter): string {
  const elementLength = formatter.maxWidth + 2;
  const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / elementLength));
  const items = shown(block.shape[0], summarize).map((i) =>
    i === null ? " ..." : formatter.format(block.data[block.offset + i]),
  );
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(", "));
  return `[${lines.join(`,\n${" ".repeat(indent + 1)}`)}]`;
}

function blockString(block: Block, indent: number, summarize: boolean, formatter: Formatter): string {
  const dim = block.shape.length;
  if (dim === 0) return formatter.format(block.data[block.offset]);
  if (dim === 1) return vectorString(block, indent, summarize, formatter);
  const slices = shown(block.shape[0], summarize).map((i) =>
    i === null ? "..." : blockString(sub(block, i), indent + 1, summarize, formatter),
  );
  return `[${slices.join(`,${"\n".repeat(dim - 1)}${" ".repeat(indent + 1)}`)}]`;
}

/** Appends `, suffix` to the last line, or starts a new line when it would pass 80 columns (`_add_suffixes`). */
function addSuffixes(text: string, suffixes: string[], indent: number): string {
  const parts = [text];
  let lastLine = text.length - text.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLine + suffix.length + 2 > LINE_WIDTH) {
      parts.push(`,\n${" ".repeat(indent)}${suffix}`);
      lastLine = indent + suffix.length;
    } else {
      parts.push(`, ${suffix}`);
      lastLine += suffix.length + 2;
    }
  }
  parts.push(")");
  return parts.join("");
}

/** The tensor as PyTorch's `repr`: `tensor([[1., 2.]], requires_grad=True)`. */
export function formatTensor(t: Printable): string {
  const prefix = "tensor(";
  const indent = prefix.length;
  const suffixes: string[] = [];
  let body: string;
  const count = numel(t.shape);
  if (count === 0) {
    body = "[]";
    if (t.shape.length !== 1) suffixes.push(`size=(${t.shape.join(", ")}${t.shape.length === 1 ? "," : ""})`);
  } else {
    const summarize = count > THRESHOLD;
    const block = { shape: t.shape, data: t.data, offset: 0 };
    const formatter = new Formatter(t.dtype !== "int32", shownValues(block, summarize, []));
    body = blockString(block, indent, summarize, formatter);
  }
  if (t.dtype !== "float32") suffixes.push(`dtype=torch.${t.dtype}`);
  if (t.gradFnName !== null) suffixes.push(`grad_fn=<${t.gradFnName}>`);
  else if (t.requiresGrad) suffixes.push("requires_grad=True");
  return addSuffixes(prefix + body, suffixes, indent);
}
