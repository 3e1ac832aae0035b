import assert from "node:assert/strict";
import { Tensor } from "../../src/tensor/tensor.js";
import { Generator } from "../../src/tensor/random.js";
import { mul, sum } from "../../src/index.js";

/** A float64 tensor of uniform values in [low, high) that requires grad, from a seeded generator. */
export function randomInput(shape: number[], generator: Generator, low = -1, high = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = Float64Array.from({ length: n }, () => low + (high - low) * (generator.random() / 2 ** 32));
  return new Tensor(data, shape, true);
}

/**
 * PyTorch's gradcheck, in float64: the analytic gradient of L = Σ f(inputs) · G (G a fixed random weighting, so
 * every output element matters differently) against central differences (L(x + ε) − L(x − ε)) / 2ε for every input
 * element. Tolerance |analytic − numeric| ≤ atol + rtol·|numeric|, PyTorch's defaults (1e-5, 1e-3) tightened.
 */
export function gradcheck(
  name: string,
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  { eps = 1e-6, atol = 1e-6, rtol = 1e-5, seed = 7 } = {},
): void {
  const generator = new Generator(seed);
  const probe = f(...inputs);
  const weights = new Tensor(
    Float64Array.from({ length: probe.numel() }, () => generator.random() / 2 ** 32 - 0.5),
    probe.shape,
  );
  const loss = (...xs: Tensor[]) => sum(mul(f(...xs), weights));
  for (const x of inputs) x.grad = null;
  loss(...inputs).backward();
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    assert.ok(x.grad !== null, `${name}: input ${k} got no gradient`);
    const analytic = x.grad.data;
    const data = x.data as Float64Array;
    for (let i = 0; i < data.length; i++) {
      const saved = data[i];
      data[i] = saved + eps;
      const plus = loss(...inputs).item();
      data[i] = saved - eps;
      const minus = loss(...inputs).item();
      data[i] = saved;
      const numeric = (plus - minus) / (2 * eps);
      const tolerance = atol + rtol * Math.abs(numeric);
      assert.ok(
        Math.abs(analytic[i] - numeric) <= tolerance,
        `${name}: d/d input${k}[${i}] analytic ${analytic[i]} vs numeric ${numeric} (tolerance ${tolerance})`,
      );
    }
  });
}
