import { DataLoader } from "../../src/data/dataloader.js";
import { evaluate } from "../../src/train/loop.js";
import { loadSplit, type DataFlags } from "../data.js";
import { loadTrainedModel } from "../../src/node/model-file.js";

export interface EvalFlags extends DataFlags {
  weights: string;
  /** A preset (seed, conv3) or the path of a model spec file; default: from the weights file. */
  arch?: string;
  batchSize: number;
  json: boolean;
}

/** Test accuracy, overall and per class, of saved weights, as the tutorial's evaluation cell. */
export async function evalCommand(flags: EvalFlags): Promise<void> {
  const { choice, model } = loadTrainedModel(flags.weights, flags.arch);
  const { arch } = choice;
  const testSet = await loadSplit(flags, false, flags.json);
  const result = evaluate(model, new DataLoader(testSet, { batchSize: flags.batchSize }));
  if (flags.json) {
    console.log(JSON.stringify({ weights: flags.weights, arch, ...result }));
    return;
  }
  console.log(`Test accuracy: ${(100 * result.accuracy).toFixed(2)}% (${result.correct}/${result.total})`);
  console.log(`Test loss: ${result.loss.toFixed(4)}`);
  console.log("Per-class accuracy:");
  result.perClassAccuracy.forEach((acc, digit) => {
    const count = result.confusion[digit].reduce((a, v) => a + v, 0);
    console.log(`  ${digit}: ${(100 * acc).toFixed(2)}% of ${count}`);
  });
}
