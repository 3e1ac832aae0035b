import { join } from "node:path";
import {
  ExplainInputError,
  allTopics,
  explain,
  isCustom,
  parseMatrix,
  renderMarkdown,
  renderText,
  toDocument,
  type ExplainInput,
  type Lang,
  type Topic,
} from "../../src/explain/index.js";
import { clean, toMatrixOf } from "../../src/explain/matrix.js";
import { messages } from "../../src/explain/messages.js";
import { loadSafetensorsFile } from "../../src/node/safetensors-file.js";
import { isOnnxFile, loadOnnxFile } from "../../src/node/onnx-file.js";
import { importOnnx } from "../../src/models/onnx-import.js";
// Loading src/node/render.ts registers resvg (Figure.png) and atomic writes (Figure.save).
import "../../src/node/render.js";
import { theoryFiguresOf } from "../../src/plot/theory.js";
import { loadSplit, type DataFlags } from "../data.js";
import { localeLang, type ExplainFormat } from "../options.js";
import { CliError, cliMessages } from "../messages.js";

/** text, md and json print the walk-through; svg and png write the tutorial's figures of the topic instead. */

export interface ExplainFlags extends DataFlags {
  lang?: Lang;
  format: ExplainFormat;
  image?: string;
  kernel?: string;
  stride?: number;
  padding?: number;
  mnistIndex?: number;
  weights?: string;
  channel?: number;
  /** Folder of the svg/png figures (default: the current folder). */
  out?: string;
}

/**
 * Writes the figures of `topic` (src/plot/theory.ts) as `<out>/<name>.<lang>.<svg|png>` (e.g. convolution.vi.png),
 * each atomically, and prints each path; the language is in the name so both languages can share a folder.
 */
async function writeFigures(
  topic: Topic | "all",
  format: "svg" | "png",
  out: string,
  lang: Lang,
  input: ExplainInput,
): Promise<void> {
  const figures = theoryFiguresOf(topic, lang, input);
  if (figures.length === 0) {
    console.error(cliMessages(lang).explain.noFigure(topic));
    return;
  }
  for (const figure of figures) {
    const path = join(out, `${figure.name}.${lang}.${format}`);
    await figure.save(path);
    console.log(path);
  }
}

/** The image and kernel the flags ask for, read and checked; {} for the tutorial's own examples. */
async function inputOf(flags: ExplainFlags, lang: Lang): Promise<ExplainInput> {
  const m = messages(lang);
  const input: ExplainInput = { stride: flags.stride, padding: flags.padding };
  if (flags.image !== undefined && flags.mnistIndex !== undefined) {
    throw new ExplainInputError("give either --image or --mnist-index, not both");
  }
  if (flags.kernel !== undefined && flags.weights !== undefined) {
    throw new ExplainInputError("give either --kernel or --weights, not both");
  }
  if (flags.channel !== undefined && flags.weights === undefined) {
    throw new ExplainInputError("--channel picks a kernel of --weights; pass --weights FILE too");
  }
  if (flags.image !== undefined) {
    input.image = parseMatrix(flags.image, "--image");
    input.imageSource = m.matrixSource("--image");
  }
  if (flags.kernel !== undefined) {
    input.kernel = parseMatrix(flags.kernel, "--kernel");
    input.kernelSource = m.matrixSource("--kernel");
  }
  if (flags.mnistIndex !== undefined) {
    const testSet = await loadSplit(flags, false, flags.format === "json");
    if (flags.mnistIndex >= testSet.length) {
      throw new CliError("mnistIndexRange", [flags.mnistIndex, testSet.length - 1]);
    }
    const [image, label] = testSet.get(flags.mnistIndex);
    input.image = toMatrixOf(image);
    input.imageSource = m.mnistSource(flags.mnistIndex, label);
  }
  if (flags.weights !== undefined) {
    const { tensors } = isOnnxFile(flags.weights)
      ? importOnnx(loadOnnxFile(flags.weights), flags.weights)
      : loadSafetensorsFile(flags.weights);
    const weight = tensors["conv1.weight"];
    if (weight === undefined || weight.ndim !== 4 || weight.shape[1] !== 1) {
      throw new ExplainInputError(
        `${flags.weights}: no conv1.weight of shape [C, 1, F, F]; pass a model saved by \`convlab train\``,
      );
    }
    const [channels, , kh, kw] = weight.shape;
    const channel = flags.channel ?? 0;
    if (channel >= channels) {
      throw new ExplainInputError(
        `--channel ${channel} is out of range: conv1 has ${channels} channels (0–${channels - 1})`,
      );
    }
    const plane = weight.data.subarray(channel * kh * kw, (channel + 1) * kh * kw);
    input.kernel = Array.from({ length: kh }, (_, i) => Array.from(plane.subarray(i * kw, (i + 1) * kw), clean));
    input.bias = clean(tensors["conv1.bias"]?.data[channel] ?? 0);
    input.kernelSource = m.weightsSource(flags.weights, channel, input.bias);
  }
  return input;
}

/** `convlab explain [topic]`: the tutorial's worked examples (or the learner's numbers), computed by the library. */
export async function explainCommand(topic: Topic | "all", flags: ExplainFlags): Promise<void> {
  const lang = flags.lang ?? localeLang();
  const input = await inputOf(flags, lang);
  const topics = topic === "all" ? allTopics(isCustom(input)) : [topic];
  // Computed first in every format: it refuses input that cannot be explained (e.g. fc with your numbers).
  const explanation = explain(topics, input);
  if (flags.format === "svg" || flags.format === "png") {
    await writeFigures(topic, flags.format, flags.out ?? ".", lang, input);
    return;
  }
  if (flags.format === "json") {
    console.log(JSON.stringify({ lang, ...explanation }));
    return;
  }
  const document = toDocument(explanation, lang);
  // NO_COLOR (https://no-color.org): any non-empty value turns colour off.
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  process.stdout.write(flags.format === "md" ? renderMarkdown(document) : renderText(document, { color }));
}
