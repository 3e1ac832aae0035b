import type { Module } from "../nn/module.js";
import type { Optimizer, OptimizerStateDict, ParamGroup } from "../optim/optimizer.js";
import type { Generator, GeneratorState } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * A training checkpoint as one safetensors file's content: everything needed to continue training exactly where it
 * stopped, readable by `safetensors.torch.load_file`.
 *
 * Tensors:
 * - the model's state dict under its own keys (`conv1.weight`, …), so the file also loads as plain weights;
 * - each optimizer buffer as `optimizer.<buffer>.<parameter key>`, with PyTorch's buffer names
 *   (`optimizer.momentum_buffer.conv1.weight`; Adam's `step`, `exp_avg`, `exp_avg_sq`).
 *
 * Metadata (strings, as the format requires; JSON where structured):
 * - `optimizer`: the class name; `optimizer.param_groups`: PyTorch's `param_groups` as JSON;
 * - `generator`: the generator's exact state ({@link GeneratorState}) as JSON, so shuffling continues the same stream;
 * - whatever the caller adds (the CLI adds the epoch, its config and the metrics so far).
 */
export interface CheckpointContent {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** What a checkpoint saves and restores. The optimizer's parameters must be the model's, in the model's order. */
export interface TrainingState {
  model: Module;
  optimizer: Optimizer;
  generator: Generator;
}

const OPTIMIZER = "optimizer";
const PARAM_GROUPS = "optimizer.param_groups";
const GENERATOR = "generator";
/** Metadata keys this module owns; a caller's key of the same name is refused rather than silently overwritten. */
const RESERVED = [OPTIMIZER, PARAM_GROUPS, GENERATOR];

/** The model's parameter keys in the optimizer's order: optimizer state is indexed, the file is keyed by name. */
function paramKeys({ model, optimizer }: TrainingState): string[] {
  const named = model.namedParameters();
  const same = named.length === optimizer.params.length && named.every(([, p], i) => optimizer.params[i] === p);
  if (!same) throw new Error("checkpoint: the optimizer must hold the model's parameters, in model.parameters() order");
  return named.map(([key]) => key);
}

/** The checkpoint of a training state, with the caller's metadata (e.g. the epoch) added. */
export function encodeCheckpoint(training: TrainingState, metadata: Record<string, string> = {}): CheckpointContent {
  const clash = RESERVED.find((key) => key in metadata);
  if (clash !== undefined) throw new Error(`checkpoint: metadata key '${clash}' is reserved`);
  const keys = paramKeys(training);
  const { state, param_groups } = training.optimizer.stateDict();
  const tensors: Record<string, Tensor> = { ...training.model.stateDict() };
  for (const [index, buffers] of Object.entries(state)) {
    for (const [buffer, t] of Object.entries(buffers)) tensors[`${OPTIMIZER}.${buffer}.${keys[Number(index)]}`] = t;
  }
  return {
    tensors,
    metadata: {
      ...metadata,
      [OPTIMIZER]: training.optimizer.constructor.name,
      [PARAM_GROUPS]: JSON.stringify(param_groups),
      [GENERATOR]: JSON.stringify(training.generator.getState()),
    },
  };
}

/**
 * Restores model weights, optimizer state and generator state from {@link encodeCheckpoint}'s content. Errors say
 * what does not fit (another optimizer, a missing or misshapen tensor) before the generator is touched.
 */
export function restoreCheckpoint(content: CheckpointContent, training: TrainingState): void {
  const { tensors, metadata } = content;
  const kind = training.optimizer.constructor.name;
  if (metadata[OPTIMIZER] !== kind) {
    throw new Error(`checkpoint: it holds the state of ${metadata[OPTIMIZER] ?? "no optimizer"}, not of ${kind}`);
  }
  const keys = paramKeys(training);
  const index = new Map(keys.map((key, i) => [key, i]));
  const weights: Record<string, Tensor> = {};
  const state: OptimizerStateDict["state"] = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (!name.startsWith(`${OPTIMIZER}.`)) {
      weights[name] = t;
      continue;
    }
    // optimizer.<buffer>.<key>: buffer names have no dots, parameter keys may (conv1.weight).
    const [, buffer, ...rest] = name.split(".");
    const i = index.get(rest.join("."));
    if (i === undefined) throw new Error(`checkpoint: ${name} belongs to no parameter of the model`);
    (state[i] ??= {})[buffer] = t;
  }
  const paramGroups = parseJson<ParamGroup[]>(metadata, PARAM_GROUPS);
  const generator = parseJson<GeneratorState>(metadata, GENERATOR);
  training.model.loadStateDict(weights);
  training.optimizer.loadStateDict({ state, param_groups: paramGroups });
  training.generator.setState(generator);
}

function parseJson<T>(metadata: Record<string, string>, key: string): T {
  const text = metadata[key];
  if (text === undefined) throw new Error(`checkpoint: metadata '${key}' is missing`);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`checkpoint: metadata '${key}' is not valid JSON`, { cause: error });
  }
}
