import { noGrad } from "../src/autograd/graph.js";
import { DataLoader, type Batch } from "../src/data/dataloader.js";
import type { MnistDataset } from "../src/data/mnist.js";
import { MnistCNN, type Arch } from "../src/models/tutorial.js";
import { SGD } from "../src/optim/sgd.js";
import { manualSeed } from "../src/tensor/random.js";
import { trainNextBatch, trainStep, withNextBatch } from "../src/train/loop.js";
import { setWinograd } from "../src/kernels/wasm/kernels.js";
import { profileKernels } from "./profile.js";
import { median, round3 } from "./stats.js";

export interface TrainThroughput {
  imagesPerSec: number;
  msPerStep: number;
  /** Milliseconds per step in each kernel, largest first. */
  kernelMsPerStep: Record<string, number>;
}

/**
 * Training throughput of the tutorial's step (forward, cross-entropy, backward, SGD with momentum) on real MNIST
 * batches of 64, after `warmup` steps that let the JIT and WebAssembly tier-up settle.
 */
export function trainThroughput(train: MnistDataset, arch: Arch, steps: number, warmup = 20): TrainThroughput {
  manualSeed(0);
  const model = new MnistCNN(arch);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const loader = new DataLoader(train, { batchSize: 64, shuffle: true });
  const profile = profileKernels();
  const onNonFinite = (loss: number) => new Error(`the bench's loss became ${loss}`);
  let step = 0;
  let start = performance.now();
  for (;;) {
    // As trainEpoch: each batch made inside its step's scope (in wasm memory on wasm).
    const batches = loader[Symbol.iterator]();
    for (;;) {
      if (step === warmup) {
        profile.reset();
        start = performance.now();
      }
      if (trainNextBatch(batches, model, optimizer, onNonFinite).done === true) break;
      if (++step === warmup + steps) {
        const ms = (performance.now() - start) / steps;
        const kernels = [...profile.totals].sort((a, b) => b[1].ms - a[1].ms);
        return {
          imagesPerSec: Math.round((64 * 1000) / ms),
          msPerStep: round3(ms),
          kernelMsPerStep: Object.fromEntries(kernels.map(([name, t]) => [name, round3(t.ms / steps)])),
        };
      }
    }
  }
}

export interface FusionComparison {
  fusedMsPerStep: number;
  unfusedMsPerStep: number;
  /** unfused / fused: how much faster a step is with Conv2d → ReLU → MaxPool2d fused. */
  speedup: number;
}

/** The training step with the model's conv → relu → pool blocks fused and run layer by layer. */
export function fusionComparison(train: MnistDataset, arch: Arch): FusionComparison {
  const [fused, unfused] = alternateSteps(train, arch, [
    (model) => (model.fuse = true),
    (model) => (model.fuse = false),
  ]);
  return { fusedMsPerStep: round3(fused), unfusedMsPerStep: round3(unfused), speedup: round3(unfused / fused) };
}

export interface WinogradComparison {
  winogradMsPerStep: number;
  im2colMsPerStep: number;
  /** im2col / Winograd: how much faster a step is with the 3×3 convolutions in Winograd F(2×2, 3×3). */
  speedup: number;
}

/** The training step with the 3×3 stride-1 convolutions in Winograd F(2×2, 3×3) and in im2col + GEMM. */
export function winogradComparison(train: MnistDataset, arch: Arch): WinogradComparison {
  try {
    const [winograd, im2col] = alternateSteps(train, arch, [() => setWinograd(true), () => setWinograd(false)]);
    return { winogradMsPerStep: round3(winograd), im2colMsPerStep: round3(im2col), speedup: round3(im2col / winograd) };
  } finally {
    setWinograd(true);
  }
}

/**
 * Median milliseconds per training step under each of two settings, alternated (A B A B, `rounds` times `steps`
 * steps each) on one model, so both see the same machine load. Round 0 warms both up.
 */
function alternateSteps(
  train: MnistDataset,
  arch: Arch,
  settings: [(model: MnistCNN) => void, (model: MnistCNN) => void],
  rounds = 6,
  steps = 30,
): [number, number] {
  manualSeed(0);
  const model = new MnistCNN(arch);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const batches: Batch[] = [];
  for (const batch of new DataLoader(train, { batchSize: 64, shuffle: true })) {
    if (batches.push(batch) === steps) break;
  }
  const times: [number[], number[]] = [[], []];
  for (let round = 0; round <= rounds; round++) {
    for (const which of [0, 1] as const) {
      settings[which](model);
      const start = performance.now();
      for (const { inputs, labels } of batches) {
        trainStep(model, inputs, labels, optimizer, (loss) => new Error(`the bench's loss became ${loss}`));
      }
      if (round > 0) times[which].push((performance.now() - start) / batches.length);
    }
  }
  return [median(times[0]), median(times[1])];
}

/** Inference throughput over the whole test set (no gradients), in batches of `batchSize`. */
export function inferenceThroughput(test: MnistDataset, arch: Arch, batchSize = 64, rounds = 3): number {
  manualSeed(0);
  const model = new MnistCNN(arch).eval();
  const loader = new DataLoader(test, { batchSize });
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    noGrad(() => {
      const batches = loader[Symbol.iterator]();
      while (withNextBatch(batches, ({ inputs }) => void model.forward(inputs)).done !== true);
    });
    best = Math.min(best, performance.now() - start);
  }
  return Math.round((test.length * 1000) / best);
}
