import { spawnSync } from "node:child_process";

/** The median of some numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[Math.floor(middle)];
}

function seconds(args: string[]): number {
  const start = performance.now();
  spawnSync(process.execPath, args, { stdio: "ignore" });
  return (performance.now() - start) / 1000;
}

/**
 * How long `convlab --version` takes against a bare `node -e 1`, alternated `rounds` times (A B A B) so that the
 * machine's load weighs on both alike: the ratio is the CLI's own start-up cost.
 */
export function startupComparison(
  cli: string,
  rounds = 10,
): { nodeSeconds: number; cliSeconds: number; ratio: number } {
  const node: number[] = [];
  const convlab: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) {
    node.push(seconds(["-e", "1"]));
    convlab.push(seconds([cli, "--version"]));
    ratios.push(convlab[i] / node[i]);
  }
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  return { nodeSeconds: round3(median(node)), cliSeconds: round3(median(convlab)), ratio: round3(median(ratios)) };
}
