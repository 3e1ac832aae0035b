import { join } from "node:path";
import { featureInput } from "../../src/report/analyze.js";
import { featureMapsSpec } from "../../src/report/pictures.js";
import type { ReportLang } from "../../src/report/types.js";
import { writeChart } from "../../src/node/render.js";
import { loadSplit, type DataFlags } from "../data.js";
import { loadTrainedModel } from "../../src/node/model-file.js";
import { localeLang } from "../options.js";
import { cliMessages } from "../messages.js";

export interface FeaturesFlags extends DataFlags {
  weights: string;
  /** The layer whose output is drawn: conv1, conv2, … (any layer giving [C, H, W] maps). */
  layer: string;
  mnistIndex: number;
  /** Folder of the pictures; default: beside the weights file. */
  out?: string;
  /** Language of the pictures' titles and the printed line; default from the locale. */
  lang?: ReportLang;
}

/**
 * The tutorial's `visualize_feature_map` for any layer and test image: the image, then every channel of the layer's
 * output after ReLU, written as `features-<layer>-<index>.svg` and `.png`.
 */
export async function featuresCommand(flags: FeaturesFlags): Promise<string> {
  const { model } = loadTrainedModel(flags.weights);
  const testSet = await loadSplit(flags, false, false);
  const lang = flags.lang ?? localeLang();
  const spec = featureMapsSpec(featureInput(model, testSet, flags.layer, flags.mnistIndex), lang);
  const out = flags.out ?? join(flags.weights, "..");
  const name = `features-${flags.layer}-${flags.mnistIndex}`;
  await writeChart(out, name, spec);
  console.log(cliMessages(lang).features.wrote(join(out, `${name}.svg`), join(out, `${name}.png`)));
  return join(out, name);
}
