import { Tensor, shapeToString, type FloatStorage, type Parameter } from "../tensor/tensor.js";

/** A hyperparameter value of a parameter group, as PyTorch keeps them (`lr`, `betas`, `nesterov`, …). */
export type Hyperparameter = number | boolean | number[];

/** One parameter group of {@link OptimizerStateDict}: the hyperparameters and the indices of its parameters. */
export interface ParamGroup {
  params: number[];
  [name: string]: Hyperparameter;
}

/**
 * An optimizer's state, as `optimizer.state_dict()` in PyTorch and with its names: `state` maps a parameter's index
 * (its position in the list given to the constructor) to its buffers, such as SGD's `momentum_buffer` or Adam's
 * `step`, `exp_avg` and `exp_avg_sq`; a parameter that has not been stepped yet has no entry. `param_groups` holds the
 * hyperparameters under PyTorch's snake_case names. convlab has one group per optimizer.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, Tensor>>;
  param_groups: ParamGroup[];
}

/** Base of the optimizers: holds the parameters, clears their gradients, saves and restores the state. */
export abstract class Optimizer {
  readonly params: Parameter[];

  constructor(params: Iterable<Parameter>) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error("optimizer got an empty parameter list");
  }

  /** Sets every gradient to null, as `optimizer.zero_grad()` (set_to_none=True, PyTorch ≥ 2.0's default). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  abstract step(): void;

  /**
   * The state and hyperparameters, as `optimizer.state_dict()`. As in PyTorch the buffers are shared with the
   * optimizer, not copied: save or clone them before the next step if a snapshot is needed.
   */
  stateDict(): OptimizerStateDict {
    const state: Record<number, Record<string, Tensor>> = {};
    this.params.forEach((p, i) => {
      const s = this.paramState(p);
      if (s !== undefined) state[i] = s;
    });
    return { state, param_groups: [{ ...this.hyperparameters(), params: this.params.map((_, i) => i) }] };
  }

  /**
   * Restores a {@link stateDict}, as `optimizer.load_state_dict()`: the hyperparameters of the group replace the
   * current ones and the buffers are copied in. The number of parameters and each buffer's shape must match; every
   * check runs before anything changes, so a refused state leaves the optimizer as it was.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const name = this.constructor.name;
    if (dict.param_groups.length !== 1) {
      throw new Error(`${name}.loadStateDict: expected 1 parameter group, got ${dict.param_groups.length}`);
    }
    const group = dict.param_groups[0];
    if (group.params.length !== this.params.length) {
      throw new Error(
        `${name}.loadStateDict: the state has ${group.params.length} parameters, this optimizer ${this.params.length}`,
      );
    }
    const restored = new Map<Parameter, Record<string, Tensor>>();
    for (const [key, buffers] of Object.entries(dict.state)) {
      const p = this.params[Number(key)];
      if (p === undefined) throw new Error(`${name}.loadStateDict: state for unknown parameter index ${key}`);
      for (const [buffer, t] of Object.entries(buffers)) {
        if (t.shape.length === 0) continue; // a scalar such as Adam's step
        if (t.dtype === "int32" || t.shape.join() !== p.shape.join()) {
          throw new Error(
            `${name}.loadStateDict: ${buffer} of parameter ${key} is ${t.dtype} ${shapeToString(t.shape)}, ` +
              `the parameter is ${p.dtype} ${shapeToString(p.shape)}`,
          );
        }
      }
      restored.set(p, buffers);
    }
    this.setHyperparameters(group);
    for (const p of this.params) this.setParamState(p, restored.get(p));
  }

  /** The gradient of a parameter as an array, or null when backward() gave it none (PyTorch skips such params). */
  protected gradOf(p: Parameter): FloatStorage | null {
    return p.grad === null ? null : (p.grad.data as FloatStorage);
  }

  /** A copy of `t`'s values in an array of the same type as `p`'s data, for restoring a buffer. */
  protected copyLike(p: Parameter, t: Tensor): FloatStorage {
    const out = new (p.data.constructor as new (n: number) => FloatStorage)(p.numel());
    out.set(t.data);
    return out;
  }

  /** The hyperparameters under PyTorch's names, for {@link stateDict}. */
  protected abstract hyperparameters(): Record<string, Hyperparameter>;
  /** Takes the hyperparameters of a loaded group (already known to come from a state dict of this class). */
  protected abstract setHyperparameters(group: ParamGroup): void;
  /** One parameter's buffers, or undefined when it has none yet. */
  protected abstract paramState(p: Parameter): Record<string, Tensor> | undefined;
  /** Replaces one parameter's buffers (undefined: none, as before its first step); shapes are already checked. */
  protected abstract setParamState(p: Parameter, state: Record<string, Tensor> | undefined): void;
}

/** A hyperparameter of a loaded group, checked to have the expected type; the error names the optimizer and key. */
export function hyper<T extends "number" | "boolean">(
  group: ParamGroup,
  owner: string,
  key: string,
  type: T,
): T extends "number" ? number : boolean {
  const value = group[key];
  if (typeof value !== type) throw new Error(`${owner}.loadStateDict: param_groups[0].${key} should be a ${type}`);
  return value as T extends "number" ? number : boolean;
}
