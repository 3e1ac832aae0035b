import type { FloatStorage, Tensor } from "../tensor/tensor.js";

/**
 * The gradient rule of one recorded op: given dL/d(output), the vector-Jacobian products dL/d(input) for each
 * input, in the order of `inputs` (`null` where an input needs no gradient). Rules must not modify `gradOutput`.
 */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  backward(gradOutput: FloatStorage): (FloatStorage | null)[];
}

let gradEnabled = true;

/** Whether ops record the graph now, like `torch.is_grad_enabled()`. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording gradients, like `with torch.no_grad():`. Use it for evaluation and inference:
 * results do not require grad and no graph is kept alive.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Whether an op on `inputs` records its gradient rule: grad mode is on and an input requires grad. An op whose
 * forward can be cheaper without a backward to come (the fused block's inference kernel) asks first.
 */
export function willRecord(inputs: readonly Tensor[]): boolean {
  return gradEnabled && inputs.some((t) => t.requiresGrad);
}

/**
 * Attaches a gradient rule to an op's result when grad mode is on and any input requires grad.
 * Every differentiable op calls this once; it is the only way the graph grows.
 */
export function record(output: Tensor, name: string, inputs: readonly Tensor[], backward: GradFn["backward"]): Tensor {
  if (willRecord(inputs)) {
    output.requiresGrad = true;
    output.gradFn = { name, inputs, backward };
  }
  return output;
}
