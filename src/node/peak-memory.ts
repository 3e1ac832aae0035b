/** This process's peak resident memory so far, in MB, as metrics.json and the bench record it (Node's maxRSS). */
export function peakRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
