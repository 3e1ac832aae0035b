import { DataLoader } from "../../src/data/dataloader.js";
import { ARCHS, MnistCNN, isArch, type Arch } from "../../src/models/tutorial.js";
import { evaluate } from "../../src/train/loop.js";
import { loadSafetensorsFile } from "../../src/node/safetensors-file.js";
import { loadSplit, type DataFlags } from "../data.js";

export interface EvalFlags extends DataFlags {
  weights: string;
  arch?: Arch;
  batchSize: number;
  json: boolean;
}

/** The architecture of a saved model: the --arch flag, else the file's metadata, else told by its keys. */
function archOf(flags: EvalFlags, metadata: Record<string, string>, keys: string[]): Arch {
  if (flags.arch !== undefined) return flags.arch;
  if (metadata.arch !== undefined && isArch(metadata.arch)) return metadata.arch;
  return keys.includes("conv3.weight") ? "conv3" : "seed";
}

/** What to do when the weights do not fit the model: usually, an --arch that differs from the one they were saved for. */
function archFix(flags: EvalFlags, metadata: Record<string, string>): string {
  const saved = metadata.arch;
  if (flags.arch !== undefined && saved !== undefined && isArch(saved) && saved !== flags.arch) {
    return `the file says it holds a '${saved}' model: pass --arch ${saved}, or leave --arch out to read it from the file`;
  }
  return `pass the --arch the weights were trained with (${ARCHS.join(" or ")}), or check that the file is a state dict of this model`;
}

/** Test accuracy, overall and per class, of saved weights, as the tutorial's evaluation cell. */
export async function evalCommand(flags: EvalFlags): Promise<void> {
  const { tensors, metadata } = loadSafetensorsFile(flags.weights);
  const arch = archOf(flags, metadata, Object.keys(tensors));
  const model = new MnistCNN(arch);
  try {
    model.loadStateDict(tensors);
  } catch (error) {
    const fix = archFix(flags, metadata);
    throw new Error(`${flags.weights}: does not fit the '${arch}' model. ${(error as Error).message}\nFix: ${fix}`, {
      cause: error,
    });
  }
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
