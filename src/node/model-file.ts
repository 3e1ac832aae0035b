import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { ARCHS, isArch, presetSpec, type Arch } from "../models/presets.js";
import { SpecModel, specInput, type ModelSpec } from "../models/spec.js";
import { SpecShapeError, traceSpec, type Trace } from "../models/trace.js";
import { validateSpec } from "../models/validate.js";
import { loadSafetensorsFile } from "./safetensors-file.js";

/** What `--arch` named: a built-in preset, or a spec file (the spec is kept so saved weights can rebuild it). */
export interface ModelChoice {
  /** The preset's name, or the spec file's path as given. */
  arch: string;
  /** Set for a preset. */
  preset?: Arch;
  /** Set for a spec file: the spec as read from it. */
  specFile?: string;
  spec: ModelSpec;
  trace: Trace;
}

/** MNIST's image shape and number of classes: what train and eval feed the model and expect back. */
const MNIST_INPUT = [1, 28, 28];
const CLASSES = 10;

/** Reads, parses and validates a spec file; every error names the file. */
export function readSpecFile(path: string): ModelSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(`no such model spec file: ${path}; pass seed, conv3 or the path of a .json spec`, {
        cause: error,
      });
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateSpec(json, path);
}

/** The spec for a preset name or spec file, traced: a spec whose shapes do not fit fails here, before any work. */
export function chooseModel(arch: string): ModelChoice {
  const spec = isArch(arch) ? presetSpec(arch) : readSpecFile(arch);
  return fromSpec(spec, arch, isArch(arch) ? { preset: arch } : { specFile: arch });
}

/** A traced choice from a spec already in hand (such as one stored with saved weights). */
export function fromSpec(spec: ModelSpec, arch: string, extra: { preset?: Arch; specFile?: string } = {}): ModelChoice {
  let trace: Trace;
  try {
    trace = traceSpec(spec);
  } catch (error) {
    if (error instanceof SpecShapeError && extra.specFile !== undefined)
      error.message = `${extra.specFile}: ${error.message}`;
    throw error;
  }
  return { arch, ...extra, spec, trace };
}

/** Train and eval feed MNIST: the spec must take [1, 28, 28] images and give 10 class scores. */
export function checkMnist(choice: ModelChoice): void {
  const where = choice.specFile ?? choice.arch;
  const input = specInput(choice.spec);
  if (input.join() !== MNIST_INPUT.join()) {
    throw new Error(`${where}: MNIST images are [1, 28, 28], but the spec's input is [${input.join(", ")}]`);
  }
  const out = choice.trace.output;
  if (out.length !== 2 || out[1] !== CLASSES) {
    const last = choice.trace.rows[choice.trace.rows.length - 1];
    throw new Error(
      `${where}: MNIST has ${CLASSES} classes, so the model must end in [N, ${CLASSES}], but its last layer ` +
        `${last.key} gives [N, ${out.slice(1).join(", ")}]` +
        (last.layer.type === "Linear"
          ? `; set its out_features to ${CLASSES}`
          : `; end it with a Linear of ${CLASSES} out_features`),
    );
  }
}

/** A short name for run folders: the preset, or the spec file's name without `.json`. */
export function shortName(choice: ModelChoice): string {
  return choice.preset ?? basename(choice.specFile ?? choice.arch).replace(/\.json$/i, "");
}

/**
 * The safetensors metadata that lets `eval` rebuild the model: a preset's name, or for a spec file its name and
 * the spec itself as JSON (the file may have changed or moved since).
 */
export function modelMetadata(choice: ModelChoice): Record<string, string> {
  if (choice.preset !== undefined) return { format: "pt", arch: choice.preset };
  return { format: "pt", arch: choice.spec.name ?? shortName(choice), spec: JSON.stringify(choice.spec) };
}

/**
 * The model of saved weights: `arch` (the --arch flag), else the spec stored in the file's metadata (a model trained from a
 * spec file), else the preset it names, else told by its keys.
 */
function modelOf(
  weights: string,
  arch: string | undefined,
  metadata: Record<string, string>,
  keys: string[],
): ModelChoice {
  if (arch !== undefined) return chooseModel(arch);
  if (metadata.spec !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(metadata.spec);
    } catch (error) {
      throw new Error(`${weights}: the metadata 'spec' is not valid JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const spec = validateSpec(json, `${weights} (metadata 'spec')`);
    return fromSpec(spec, metadata.arch ?? spec.name ?? "spec");
  }
  if (metadata.arch !== undefined && isArch(metadata.arch)) return chooseModel(metadata.arch);
  return chooseModel(keys.includes("conv3.weight") ? "conv3" : "seed");
}

/** What to do when the weights do not fit the model: usually, an --arch that differs from the one they were saved for. */
function archFix(arch: string | undefined, metadata: Record<string, string>): string {
  const saved = metadata.arch;
  if (arch !== undefined && metadata.spec !== undefined) {
    return `the file holds the model of its own spec '${saved}': leave --arch out to rebuild it from the file`;
  }
  if (arch !== undefined && saved !== undefined && isArch(saved) && saved !== arch) {
    return `the file says it holds a '${saved}' model: pass --arch ${saved}, or leave --arch out to read it from the file`;
  }
  return `pass the --arch the weights were trained with (${ARCHS.join(", ")} or the spec file), or check that the file is a state dict of this model`;
}

/**
 * Saved weights loaded into the model they were trained as (see modelOf), checked to take MNIST images and give 10
 * class scores. A file that does not fit the model is an error naming it, with the fix.
 */
export function loadTrainedModel(weights: string, arch?: string): { choice: ModelChoice; model: SpecModel } {
  const { tensors, metadata } = loadSafetensorsFile(weights);
  const choice = modelOf(weights, arch, metadata, Object.keys(tensors));
  checkMnist(choice);
  const model = new SpecModel(choice.spec);
  try {
    model.loadStateDict(tensors);
  } catch (error) {
    const fix = archFix(arch, metadata);
    throw new Error(`${weights}: does not fit the '${choice.arch}' model. ${(error as Error).message}\nFix: ${fix}`, {
      cause: error,
    });
  }
  return { choice, model };
}
