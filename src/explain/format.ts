/**
 * How numbers are shown: at most 4 decimals, no trailing zeros, and "−0" as 0, so float noise never shows and
 * the tutorial's integers stay integers. JSON output keeps the full values.
 */
export function fmt(x: number): string {
  const r = Number(x.toFixed(4));
  return String(r === 0 ? 0 : r);
}

/** A term of a sum: negative numbers in parentheses, as the tutorial writes "+ (−1)". */
export function term(x: number): string {
  return x < 0 ? `(${fmt(x)})` : fmt(x);
}

/** "a + b + (−c) = total". */
export function sumLine(terms: readonly number[], total: number): string {
  return `${terms.map(term).join(" + ")} = ${fmt(total)}`;
}

/** A vector as "[a, b, c]". */
export function vec(values: readonly number[]): string {
  return `[${values.map(fmt).join(", ")}]`;
}

/** An inclusive range of indices, "0–2" (or "3" for one index). */
export function span(start: number, length: number): string {
  return length === 1 ? String(start) : `${start}–${start + length - 1}`;
}
