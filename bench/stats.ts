/** The middle value (the mean of the two middle ones for an even count): the number to quote on a noisy machine. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** x to 3 decimals, as the bench's JSON lines print milliseconds, seconds and ratios. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
