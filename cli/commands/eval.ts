import { DataLoader } from "../../src/data/dataloader.js";
import { ARCHS, isArch } from "../../src/models/presets.js";
import { SpecModel } from "../../src/models/spec.js";
import { validateSpec } from "../../src/models/validate.js";
import { evaluate } from "../../src/train/loop.js";
import { loadSafetensorsFile } from "../../src/node/safetensors-file.js";
import { loadSplit, type DataFlags } from "../data.js";
import { checkMnist, chooseModel, fromSpec, type ModelChoice } from "../model.js";

export interface EvalFlags extends DataFlags {
  weights: string;
  /** A preset (seed, conv3) or the path of a model spec file; default: from the weights file. */
  arch?: string;
  batchSize: number;
  json: boolean;
}

/**
 * The model of saved weights: the --arch flag, else the spec stored in the file's metadata (a model trained from a
 * spec file), else the preset it names, else told by its keys.
 */
function modelOf(flags: EvalFlags, metadata: Record<string, string>, keys: string[]): ModelChoice {
  if (flags.arch !== undefined) return chooseModel(flags.arch);
  if (metadata.spec !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(metadata.spec);
    } catch (error) {
      throw new Error(`${flags.weights}: the metadata 'spec' is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const spec = validateSpec(json, `${flags.weights} (metadata 'spec')`);
    return fromSpec(spec, metadata.arch ?? spec.name ?? "spec");
  }
  if (metadata.arch !== undefined && isArch(metadata.arch)) return chooseModel(metadata.arch);
  return chooseModel(keys.includes("conv3.weight") ? "conv3" : "seed");
}

/** What to do when the weights do not fit the model: usually, an --arch that differs from the one they were saved for. */
function archFix(flags: EvalFlags, metadata: Record<string, string>): string {
  const saved = metadata.arch;
  if (flags.arch !== undefined && metadata.spec !== undefined) {
    return `the file holds the model of its own spec '${saved}': leave --arch out to rebuild it from the file`;
  }
  if (flags.arch !== undefined && saved !== undefined && isArch(saved) && saved !== flags.arch) {
    return `the file says it holds a '${saved}' model: pass --arch ${saved}, or leave --arch out to read it from the file`;
  }
  return `pass the --arch the weights were trained with (${ARCHS.join(", ")} or the spec file), or check that the file is a state dict of this model`;
}

/** Test accuracy, overall and per class, of saved weights, as the tutorial's evaluation cell. */
export async function evalCommand(flags: EvalFlags): Promise<void> {
  const { tensors, metadata } = loadSafetensorsFile(flags.weights);
  const choice = modelOf(flags, metadata, Object.keys(tensors));
  checkMnist(choice);
  const { arch } = choice;
  const model = new SpecModel(choice.spec);
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
