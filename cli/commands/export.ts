import { resolve } from "node:path";
import { encodeOnnxModel } from "../../src/io/onnx-proto.js";
import { onnxGraphSummary, onnxModelOf } from "../../src/models/onnx-export.js";
import type { Lang } from "../../src/explain/index.js";
import { loadTrainedModel } from "../../src/node/model-file.js";
import { saveOnnxFile } from "../../src/node/onnx-file.js";
import { localeLang } from "../options.js";
import { CliError, cliMessages } from "../messages.js";

export interface ExportFlags {
  /** The trained model: a .safetensors state dict or a .onnx file. */
  weights: string;
  /** A preset (seed, conv3) or the path of a model spec file; default: from the weights file. */
  arch?: string;
  /** The format to write; ONNX is the only one so far. */
  format: "onnx";
  /** Where to write; default: the weights file with its extension replaced by `.onnx`. */
  out?: string;
  /** Language of the printed lines (not of --json); default from the locale. */
  lang?: Lang;
  json?: boolean;
  /** Recorded as the file's producer_version (convlab's version). */
  producerVersion?: string;
}

/** The weights file's path with `.onnx` in place of its extension (`runs/seed/model.safetensors` → `….onnx`). */
export function defaultExportPath(weights: string): string {
  return weights.replace(/(\.[^./\\]*)?$/, ".onnx");
}

/**
 * `convlab export --weights model.safetensors`: the trained model as an ONNX file (opset 13, input `input`
 * [batch, 1, 28, 28], output `logits` [batch, 10]) that ONNX Runtime, Netron or any ONNX tool opens. Writes it
 * atomically, prints what it wrote, and returns its path.
 */
export function exportCommand(flags: ExportFlags): string {
  const out = flags.out ?? defaultExportPath(flags.weights);
  if (resolve(out) === resolve(flags.weights)) throw new CliError("exportOverwrites", [flags.weights]);
  const { choice, model } = loadTrainedModel(flags.weights, flags.arch);
  const onnx = onnxModelOf(model, { producerVersion: flags.producerVersion });
  const bytes = encodeOnnxModel(onnx);
  saveOnnxFile(out, bytes);
  const summary = onnxGraphSummary(onnx);
  if (flags.json === true) {
    console.log(
      JSON.stringify({
        weights: flags.weights,
        arch: choice.arch,
        format: flags.format,
        out,
        bytes: bytes.length,
        ...summary,
      }),
    );
    return out;
  }
  const m = cliMessages(flags.lang ?? localeLang()).export;
  const shape = (dims: (number | string)[]) => `[${dims.join(", ")}]`;
  console.log(m.wrote(out, bytes.length, summary.opset, summary.irVersion));
  console.log(m.input(summary.input.name, shape(summary.input.shape)));
  console.log(m.output(summary.output.name, shape(summary.output.shape)));
  console.log(m.ops(summary.ops.join(" → ")));
  console.log(m.parameters(summary.parameters, choice.arch));
  return out;
}
