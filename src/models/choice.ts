import { ConvlabError } from "../errors.js";
import type { SafetensorsContent } from "../io/safetensors.js";
import { SpecSizeError, type ModelLimits } from "./limits.js";
import { ARCHS, isArch, presetSpec, type Arch } from "./presets.js";
import { SpecModel, specInput, type ModelSpec } from "./spec.js";
import { SpecShapeError, traceSpec, type Trace } from "./trace.js";
import { validateSpec } from "./validate.js";

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

/**
 * A traced choice from a spec already in hand (such as one stored with saved weights), checked against the size
 * limits (`limits`, else the program-wide `modelLimits`) before anything is built.
 */
export function fromSpec(
  spec: ModelSpec,
  arch: string,
  { limits, ...extra }: { preset?: Arch; specFile?: string; limits?: Partial<ModelLimits> } = {},
): ModelChoice {
  let trace: Trace;
  try {
    trace = traceSpec(spec, { limits });
  } catch (error) {
    if ((error instanceof SpecShapeError || error instanceof SpecSizeError) && extra.specFile !== undefined)
      error.message = `${extra.specFile}: ${error.message}`;
    throw error;
  }
  return { arch, ...extra, spec, trace };
}

/** A built-in model by name: seed (the tutorial's) or conv3 (the homework's). */
export function presetChoice(arch: Arch): ModelChoice {
  return fromSpec(presetSpec(arch), arch, { preset: arch });
}

/** Train and eval feed MNIST: the spec must take [1, 28, 28] images and give 10 class scores. */
export function checkMnist(choice: ModelChoice): void {
  const where = choice.specFile ?? choice.arch;
  const input = specInput(choice.spec);
  if (input.join() !== MNIST_INPUT.join()) {
    throw new ConvlabError(
      "E_MODEL_NOT_MNIST",
      `${where}: MNIST images are [1, 28, 28], but the spec's input is [${input.join(", ")}]`,
    );
  }
  const out = choice.trace.output;
  if (out.length !== 2 || out[1] !== CLASSES) {
    const last = choice.trace.rows[choice.trace.rows.length - 1];
    throw new ConvlabError(
      "E_MODEL_NOT_MNIST",
      `${where}: MNIST has ${CLASSES} classes, so the model must end in [N, ${CLASSES}], but its last layer ` +
        `${last.key} gives [N, ${out.slice(1).join(", ")}]` +
        (last.layer.type === "Linear"
          ? `; set its out_features to ${CLASSES}`
          : `; end it with a Linear of ${CLASSES} out_features`),
    );
  }
}

/** A short name for run folders: the preset, or the spec file's name without folder or `.json`. */
export function shortName(choice: ModelChoice): string {
  return choice.preset ?? (choice.specFile ?? choice.arch).replace(/^.*[\\/]/, "").replace(/\.json$/i, "");
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
 * The model of saved weights `where`: the choice `asked` for (the --arch flag), else the spec stored in the file's
 * metadata (a model trained from a spec file), else the preset it names, else told by its keys (a PyTorch
 * state dict has no metadata: conv3.weight means the homework's model).
 */
function modelOf(where: string, asked: ModelChoice | undefined, content: SafetensorsContent): ModelChoice {
  const { metadata, tensors } = content;
  if (asked !== undefined) return asked;
  if (metadata.spec !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(metadata.spec);
    } catch (error) {
      throw new ConvlabError(
        "E_WEIGHTS_SPEC",
        `${where}: the metadata 'spec' is not valid JSON: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const spec = validateSpec(json, `${where} (metadata 'spec')`);
    return fromSpec(spec, metadata.arch ?? spec.name ?? "spec");
  }
  if (metadata.arch !== undefined && isArch(metadata.arch)) return presetChoice(metadata.arch);
  return presetChoice("conv3.weight" in tensors ? "conv3" : "seed");
}

/** What to do when the weights do not fit the model: usually, an --arch that differs from the one they were saved for. */
function archFix(asked: ModelChoice | undefined, metadata: Record<string, string>): string {
  const saved = metadata.arch;
  if (asked !== undefined && metadata.spec !== undefined) {
    return `the file holds the model of its own spec '${saved}': leave --arch out to rebuild it from the file`;
  }
  if (asked !== undefined && saved !== undefined && isArch(saved) && saved !== asked.arch) {
    return `the file says it holds a '${saved}' model: pass --arch ${saved}, or leave --arch out to read it from the file`;
  }
  return `pass the --arch the weights were trained with (${ARCHS.join(", ")} or the spec file), or check that the file is a state dict of this model`;
}

/**
 * Saved weights (a safetensors file's content, from convlab or PyTorch) loaded into the model they were trained as
 * (see modelOf), checked to take MNIST images and give 10 class scores. Weights that do not fit the model are an
 * error naming `where` (the file), with the fix.
 */
export function modelFromWeights(
  content: SafetensorsContent,
  where: string,
  asked?: ModelChoice,
): { choice: ModelChoice; model: SpecModel } {
  const choice = modelOf(where, asked, content);
  checkMnist(choice);
  const model = new SpecModel(choice.spec);
  try {
    model.loadStateDict(content.tensors);
  } catch (error) {
    const fix = archFix(asked, content.metadata);
    throw new ConvlabError(
      "E_WEIGHTS_MISMATCH",
      `${where}: does not fit the '${choice.arch}' model. ${(error as Error).message}\nFix: ${fix}`,
      {
        cause: error,
      },
    );
  }
  return { choice, model };
}
