import { Parameter, Tensor, shapeToString, type FloatStorage } from "../tensor/tensor.js";

/** A state dict: parameter tensors by dotted path, as PyTorch's (`conv1.weight`, `fc1.bias`, …). */
export type StateDict = Record<string, Tensor>;

/**
 * Base class of every layer and model, like `torch.nn.Module`. Sub-modules and parameters are registered
 * automatically: any own property holding a Module or a Parameter is one, named by the property and ordered by
 * assignment, as PyTorch's `__setattr__` does. So `this.conv1 = new Conv2d(…)` gives the keys `conv1.weight` and
 * `conv1.bias`.
 *
 * Differs from PyTorch: a module is not callable; call `forward` (there are no hooks to run around it).
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); set with train()/eval(). No layer here depends on it yet. */
  training = true;

  /**
   * This module's dotted key in the model that holds it (`fc1`, `features.0`), so its errors can say which layer
   * failed. A model built from a spec sets it when it creates the layer; {@link namedModules} sets it on every
   * module it visits. "" for a root, or a module not yet registered anywhere.
   */
  path = "";

  abstract forward(input: Tensor): Tensor;

  /** Direct sub-modules with their names. */
  namedChildren(): [string, Module][] {
    return Object.entries(this).filter((entry): entry is [string, Module] => entry[1] instanceof Module);
  }

  /** This module's own parameters (not its children's), with their names. */
  ownParameters(): [string, Parameter][] {
    return Object.entries(this).filter((entry): entry is [string, Parameter] => entry[1] instanceof Parameter);
  }

  /** Every parameter with its dotted path: own parameters first, then each child's, depth first (PyTorch's order). */
  namedParameters(prefix = ""): [string, Parameter][] {
    const out: [string, Parameter][] = this.ownParameters().map(([name, p]) => [prefix + name, p]);
    for (const [name, child] of this.namedChildren()) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Every module in the tree with its dotted path, this one first with the name "". Records each descendant's path
   * in its {@link path}, since a child only learns its name from its parent.
   */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) {
      const path = prefix === "" ? name : `${prefix}.${name}`;
      child.path = path;
      out.push(...child.namedModules(path));
    }
    return out;
  }

  /** How errors name this module: `fc1 (Linear)`, or just `Linear` when it has no path yet. */
  protected describe(): string {
    return this.path === "" ? this.constructor.name : `${this.path} (${this.constructor.name})`;
  }

  /** The parameters by key. The tensors share data with the model: clone them to keep a snapshot. */
  stateDict(): StateDict {
    return Object.fromEntries(this.namedParameters());
  }

  /**
   * Copies values into the parameters, as `load_state_dict`. With `strict` (the default) the keys must match
   * exactly; a shape mismatch is always an error. Nothing is copied unless every check passes.
   */
  loadStateDict(state: StateDict, strict = true): void {
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    const problems: string[] = [];
    if (strict && missing.length > 0) problems.push(`missing key(s): ${missing.join(", ")}`);
    if (strict && unexpected.length > 0) problems.push(`unexpected key(s): ${unexpected.join(", ")}`);
    for (const [key, param] of own) {
      const value = state[key];
      if (value === undefined) continue;
      if (value.shape.length !== param.shape.length || value.shape.some((s, i) => s !== param.shape[i])) {
        problems.push(
          `size mismatch for ${key}: copying a param with shape ${shapeToString(value.shape)} from the state dict, ` +
            `the shape in the current model is ${shapeToString(param.shape)}`,
        );
      } else if (value.dtype === "int32") {
        problems.push(`${key}: expected floating-point values, got int32`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`Error(s) in loading state dict for ${this.constructor.name}:\n  ${problems.join("\n  ")}`);
    }
    for (const [key, param] of own) {
      const value = state[key];
      if (value !== undefined) (param.data as FloatStorage).set(value.data);
    }
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears the gradients of every parameter (sets them to null, as PyTorch ≥ 2.0's `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }
}
