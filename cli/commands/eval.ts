import { DataLoader } from "../../src/data/dataloader.js";
import { evaluate } from "../../src/train/loop.js";
import { loadSplit, type DataFlags } from "../data.js";
import { loadTrainedModel } from "../../src/node/model-file.js";
import type { Lang } from "../../src/explain/index.js";
import { localeLang } from "../options.js";
import { cliMessages } from "../messages.js";

export interface EvalFlags extends DataFlags {
  weights: string;
  /** A preset (seed, conv3) or the path of a model spec file; default: from the weights file. */
  arch?: string;
  batchSize: number;
  json: boolean;
  /** Language of the printed lines; default from the locale. */
  lang?: Lang;
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
  const m = cliMessages(flags.lang ?? localeLang()).eval;
  console.log(m.accuracy(result.accuracy, result.correct, result.total));
  console.log(m.loss(result.loss));
  console.log(m.perClass);
  result.perClassAccuracy.forEach((acc, digit) => {
    console.log(
      m.digit(
        digit,
        acc,
        result.confusion[digit].reduce((a, v) => a + v, 0),
      ),
    );
  });
}
