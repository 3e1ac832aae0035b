import { ConvlabError } from "../errors.js";
import { readFileSync } from "node:fs";
import { fromSpec, modelFromWeights, presetChoice, type ModelChoice } from "../models/choice.js";
import { isArch } from "../models/presets.js";
import type { ModelSpec } from "../models/spec.js";
import type { SpecModel } from "../models/spec.js";
import { validateSpec } from "../models/validate.js";
import { modelFromOnnx } from "../models/onnx-import.js";
import { isOnnxFile, loadOnnxFile } from "./onnx-file.js";
import { applyModelLimitsFromEnv } from "./limits.js";
import { loadSafetensorsFile } from "./safetensors-file.js";

// Model choice itself is browser-safe (src/models/choice.ts); this module adds what reads files: spec files for
// --arch, and weights files.
export { checkMnist, fromSpec, modelMetadata, shortName, type ModelChoice } from "../models/choice.js";

/** Reads, parses and validates a spec file; every error names the file. */
export function readSpecFile(path: string): ModelSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ConvlabError(
        "E_SPEC_NOT_FOUND",
        `no such model spec file: ${path}; pass seed, conv3 or the path of a .json spec`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConvlabError("E_SPEC_INVALID", `${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateSpec(json, path);
}

/**
 * The spec for a preset name or spec file, traced: a spec whose shapes do not fit, or that is too large to build
 * (see ModelLimits; $CONVLAB_MAX_PARAMETERS and $CONVLAB_MAX_ACTIVATION_BYTES raise the limits), fails here, before
 * any work.
 */
export function chooseModel(arch: string): ModelChoice {
  applyModelLimitsFromEnv();
  return isArch(arch) ? presetChoice(arch) : fromSpec(readSpecFile(arch), arch, { specFile: arch });
}

/**
 * Saved weights loaded into the model they were trained as: `arch` (the --arch flag) if given, else what the file
 * says (see modelFromWeights). The file is safetensors (convlab's or PyTorch's state dict) or ONNX (a `.onnx` file,
 * or one whose bytes are ONNX: see modelFromOnnx, which reads the model from its graph). A file that does not fit
 * the model is an error naming it, with the fix.
 */
export function loadTrainedModel(weights: string, arch?: string): { choice: ModelChoice; model: SpecModel } {
  applyModelLimitsFromEnv();
  const asked = arch === undefined ? undefined : chooseModel(arch);
  if (isOnnxFile(weights)) {
    const { choice, model } = modelFromOnnx(loadOnnxFile(weights), weights, asked);
    return { choice, model };
  }
  return modelFromWeights(loadSafetensorsFile(weights), weights, asked);
}
