import { Parameter, Tensor, shapeToString, type FloatStorage } from "../tensor/tensor.js";

/** A state dict: parameter tensors by dotted path, as PyTorch's (`conv1.weight`, `fc1.bias`, …). */
export type StateDict = Record<string, Tensor>;

/** A forward hook, as PyTorch's `register_forward_hook`: sees the module, its arguments and its output. */
export type ForwardHook = (module: AnyModule, args: readonly unknown[], output: Tensor) => Tensor | void;

/** What `registerForwardHook` returns: `remove()` takes the hook off again, as PyTorch's `RemovableHandle`. */
export interface RemovableHandle {
  remove(): void;
}

/**
 * A module whatever its forward takes: the type of a model's sub-modules as listed by `namedModules`. Narrow it
 * with `instanceof` (`m instanceof Conv2d`) to call it.
 */
export type AnyModule = Module<never>;

/**
 * A module is callable, as in PyTorch: `model(x)` runs `forward(x)` and then the forward hooks. A class cannot
 * declare a call signature, so this interface merges one into it; CallableObject's constructor makes it true.
 */
export interface Module<Args extends unknown[] = [Tensor]> {
  (...args: Args): Tensor;
}

/**
 * Makes the object under construction a function, so that `model(x)` works: a constructor that returns an object
 * replaces `this`, and the fields of every class below this one are then set on that function. Module's own fields
 * included, which is why this is a class of its own rather than Module's constructor.
 */
class CallableObject {
  constructor() {
    const callable = function (...args: unknown[]): unknown {
      return (callable as unknown as { call(...a: unknown[]): unknown }).call(...args);
    };
    Object.setPrototypeOf(callable, new.target.prototype);
    // Functions own `name` and `length`, which are read-only: a model may well want an attribute called `name`.
    delete (callable as { name?: string }).name;
    delete (callable as { length?: number }).length;
    return callable;
  }
}

/**
 * Base class of every layer and model, like `torch.nn.Module`. Sub-modules and parameters are registered
 * automatically: any own property holding a Module or a Parameter is one, named by the property and ordered by
 * assignment, as PyTorch's `__setattr__` does. So `this.conv1 = new Conv2d(…)` gives the keys `conv1.weight` and
 * `conv1.bias`.
 *
 * A module is callable, `model(x)`, as PyTorch's `__call__`: it runs `forward` and then the hooks registered with
 * {@link registerForwardHook}. It prints as PyTorch prints a module (`toString`, `console.log`).
 *
 * Differs from PyTorch: a JavaScript value is callable only if it is a function, so the constructor returns a
 * function object whose prototype is the module's class. `typeof model` is therefore "function", and the module has
 * none of Function.prototype's methods (`call`, `apply`, `bind`). `Args` types what `forward` takes: `[Tensor]` for
 * layers and models, `[Tensor, Target]` for a loss.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the merge adds the call signature
export abstract class Module<Args extends unknown[] = [Tensor]> extends CallableObject {
  /** Training mode (true) or evaluation mode (false); set with train()/eval(). No layer here depends on it yet. */
  training = true;

  /**
   * This module's dotted key in the model that holds it (`fc1`, `features.0`), so its errors can say which layer
   * failed. A model built from a spec sets it when it creates the layer; {@link namedModules} sets it on every
   * module it visits, and so do calling a model and listing its parameters. "" for a root, or a module not yet
   * registered anywhere.
   */
  path = "";

  /** The hooks, each bound to this module (so the list's type does not depend on Args). */
  readonly #forwardHooks: ((args: unknown[], output: Tensor) => Tensor | void)[] = [];
  #named = false;

  /** The computation, as PyTorch's `forward`: define it in every subclass, and call the module rather than it. */
  abstract forward(...args: Args): Tensor;

  /**
   * Runs `forward` and then each forward hook, as PyTorch's `__call__`; a hook that returns a tensor replaces the
   * output. The first call of a model also names its sub-modules, so an error inside says `fc1 (Linear) …`.
   */
  call(...args: Args): Tensor {
    if (this.path === "" && !this.#named) {
      this.namedModules();
      this.#named = true;
    }
    let output = this.forward(...args);
    for (const hook of this.#forwardHooks) output = hook(args, output) ?? output;
    return output;
  }

  /**
   * Calls `hook(module, args, output)` after every call of this module, as PyTorch's `register_forward_hook`;
   * for example to keep a layer's output for a feature-map picture. Hooks run only when the module is called
   * (`this.conv1(x)`), not when its `forward` is called directly.
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    const bound = (args: unknown[], output: Tensor) => hook(this, args, output);
    this.#forwardHooks.push(bound);
    return {
      remove: () => {
        const at = this.#forwardHooks.indexOf(bound);
        if (at >= 0) this.#forwardHooks.splice(at, 1);
      },
    };
  }

  /** Whether any forward hook is registered here (a model then runs this layer on its own, not fused). */
  hasForwardHooks(): boolean {
    return this.#forwardHooks.length > 0;
  }

  /** Direct sub-modules with their names. */
  namedChildren(): [string, AnyModule][] {
    return Object.entries(this).filter((entry): entry is [string, AnyModule] => entry[1] instanceof Module);
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

  /** Every parameter, in {@link namedParameters} order; as an optimizer takes them, it also names the sub-modules. */
  parameters(): Parameter[] {
    if (this.path === "") this.namedModules();
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Every module in the tree with its dotted path, this one first with the name "". Records each descendant's path
   * in its {@link path}, since a child only learns its name from its parent.
   */
  namedModules(prefix = ""): [string, AnyModule][] {
    const out: [string, AnyModule][] = [[prefix, this]];
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

  /**
   * This module, unchanged: there is only one device (the CPU, through the active backend). It keeps the tutorial's
   * `model.to(device)` line working as written (PyTorch moves the parameters to the device named).
   */
  to(_device?: unknown): this {
    return this;
  }

  /** Clears the gradients of every parameter (sets them to null, as PyTorch ≥ 2.0's `set_to_none=True`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  /**
   * The part inside this module's parentheses when it prints, as PyTorch's `extra_repr`: the constructor's
   * arguments, e.g. `1, 16, kernel_size=(3, 3), stride=(1, 1)` for a Conv2d. "" by default.
   */
  extraRepr(): string {
    return "";
  }

  /**
   * The module as PyTorch prints it: its class name, then each sub-module on its own line as `(name): …`, nested
   * two spaces deeper, or its {@link extraRepr} in parentheses when it has no sub-modules.
   */
  override toString(): string {
    const children = this.namedChildren().map(([name, child]) => {
      const lines = child.toString().split("\n");
      return `  (${name}): ${lines.join("\n  ")}`;
    });
    const name = this.constructor.name;
    const extra = this.extraRepr();
    if (children.length === 0) return `${name}(${extra})`;
    const extraLines = extra === "" ? [] : extra.split("\n").map((line) => `  ${line}`);
    return `${name}(\n${[...extraLines, ...children].join("\n")}\n)`;
  }

  /** `console.log(model)` in Node and Deno prints {@link toString}, as `print(model)` does in PyTorch. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}
