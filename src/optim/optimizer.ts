import type { FloatStorage, Parameter } from "../tensor/tensor.js";

/** Base of the optimizers: holds the parameters and clears their gradients. */
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

  /** The gradient of a parameter as an array, or null when backward() gave it none (PyTorch skips such params). */
  protected gradOf(p: Parameter): FloatStorage | null {
    return p.grad === null ? null : (p.grad.data as FloatStorage);
  }
}
