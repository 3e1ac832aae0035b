import { spawnSync } from "node:child_process";
import { median, round3 } from "./stats.js";

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
  return { nodeSeconds: round3(median(node)), cliSeconds: round3(median(convlab)), ratio: round3(median(ratios)) };
}
