import { join } from "node:path";
import { existsSync } from "node:fs";
import { DataLoader } from "../../src/data/dataloader.js";
import { SpecModel, type ModelSpec } from "../../src/models/spec.js";
import { SGD } from "../../src/optim/sgd.js";
import { manualSeed } from "../../src/tensor/random.js";
import { evaluate, trainEpoch, type EvalResult } from "../../src/train/loop.js";
import { writeFileAtomic } from "../../src/node/atomic.js";
import { saveSafetensorsFile } from "../../src/node/safetensors-file.js";
import { getBackend } from "../../src/kernels/registry.js";
import { wasmThreads } from "../../src/kernels/wasm/index.js";
import { loadSplit, type DataFlags } from "../data.js";
import { epochProgress } from "../progress.js";
import { checkMnist, chooseModel, modelMetadata, shortName, type ModelChoice } from "../model.js";

export interface TrainFlags extends DataFlags {
  /** A preset (seed, conv3) or the path of a model spec file (.json). */
  arch: string;
  epochs: number;
  lr: number;
  momentum: number;
  batchSize: number;
  seed: number;
  out?: string;
  json: boolean;
  progress: boolean;
}

export interface EpochMetrics {
  epoch: number;
  loss: number;
  seconds: number;
}

/** What `metrics.json` holds: the run's settings, each epoch's mean loss and time, and the test result. */
export interface RunMetrics {
  config: Omit<TrainFlags, "json" | "progress" | "out"> & {
    backend: string;
    threads: number;
    optimizer: string;
    /** For `--arch FILE.json`: the spec trained, as read from the file. */
    spec?: ModelSpec;
  };
  epochs: EpochMetrics[];
  test: Omit<EvalResult, "confusion"> & { confusion: number[][] };
  parameters: number;
  seconds: number;
  /** The process's peak resident memory so far, in MB. */
  peakRssMB: number;
}

function defaultOutDir(flags: TrainFlags, choice: ModelChoice): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return join("runs", `${stamp}-${shortName(choice)}-lr${flags.lr}-e${flags.epochs}-s${flags.seed}`);
}

/**
 * The tutorial's exercise: train the model (a preset or a spec file) with SGD(momentum) on shuffled batches, print each epoch's mean loss,
 * then the test accuracy; save `metrics.json` and `model.safetensors` in the run folder. The files are written only
 * when training succeeded, each atomically, so a failed or interrupted run leaves no half-written output.
 */
export async function trainCommand(flags: TrainFlags): Promise<RunMetrics> {
  const say = (line: string) => {
    if (!flags.json) console.log(line);
  };
  // A spec that is invalid or does not fit MNIST fails here, before any data is read or weight drawn.
  const choice = chooseModel(flags.arch);
  checkMnist(choice);
  const out = flags.out ?? defaultOutDir(flags, choice);
  if (existsSync(join(out, "model.safetensors"))) {
    throw new Error(`${out} already holds a trained model (model.safetensors); choose another --out folder`);
  }
  const [trainSet, testSet] = await Promise.all([
    loadSplit(flags, true, flags.json),
    loadSplit(flags, false, flags.json),
  ]);

  // Same order of random draws as the tutorial's script after torch.manual_seed: model init, then each epoch's order.
  manualSeed(flags.seed);
  const model = new SpecModel(choice.spec);
  const optimizer = new SGD(model.parameters(), { lr: flags.lr, momentum: flags.momentum });
  const trainLoader = new DataLoader(trainSet, { batchSize: flags.batchSize, shuffle: true });
  const testLoader = new DataLoader(testSet, { batchSize: 64, shuffle: false }); // the tutorial's test_loader

  const start = performance.now();
  const epochs: EpochMetrics[] = [];
  for (let epoch = 1; epoch <= flags.epochs; epoch++) {
    const progress = epochProgress(epoch, flags.epochs, trainLoader.length, flags.progress && !flags.json);
    let result;
    try {
      result = trainEpoch(model, trainLoader, optimizer, epoch, (r) => progress.update(r.batch, r.loss, r.examples));
    } finally {
      progress.stop();
    }
    epochs.push({ epoch, loss: result.loss, seconds: result.seconds });
    say(`Epoch ${epoch}, Loss: ${result.loss.toFixed(4)} (${result.seconds.toFixed(1)}s)`);
  }
  const test = evaluate(model, testLoader);
  say(`Test accuracy: ${(100 * test.accuracy).toFixed(2)}%`);

  const { json: _json, progress: _progress, out: _out, ...config } = flags;
  const metrics: RunMetrics = {
    config: {
      ...config,
      backend: getBackend(),
      threads: getBackend() === "wasm" ? wasmThreads() : 1,
      optimizer: "SGD",
      ...(choice.specFile !== undefined ? { spec: choice.spec } : {}),
    },
    epochs,
    test,
    parameters: model.numParameters(),
    seconds: (performance.now() - start) / 1000,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  saveSafetensorsFile(join(out, "model.safetensors"), model.stateDict(), modelMetadata(choice));
  writeFileAtomic(join(out, "metrics.json"), JSON.stringify(metrics, null, 2) + "\n");
  say(`Saved ${join(out, "model.safetensors")} and ${join(out, "metrics.json")}`);
  if (flags.json) console.log(JSON.stringify({ out, ...metrics }));
  return metrics;
}
