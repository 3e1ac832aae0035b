import type { FloatStorage, Tensor } from "../tensor/tensor.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";

/** fan_in of a weight: its second dimension times the receptive field size (kH·kW for a conv, 1 for a linear). */
export function fanIn(weight: Tensor): number {
  if (weight.ndim < 2) throw new Error(`fanIn: a weight needs at least 2 dimensions, got ${weight.ndim}`);
  return weight.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Fills a tensor in place with U(−bound, bound), in row-major order, as `torch.nn.init.uniform_`. */
export function uniform_(t: Tensor, low: number, high: number, generator: Generator = defaultGenerator): Tensor {
  const data = t.data as FloatStorage;
  for (let i = 0; i < data.length; i++) data[i] = generator.uniform(low, high);
  return t;
}

/**
 * He (Kaiming) uniform init, `torch.nn.init.kaiming_uniform_(w, a)` with mode fan_in and leaky_relu gain:
 * bound = √3 · gain / √fan_in with gain = √(2 / (1 + a²)). PyTorch's Conv2d and Linear call it with a = √5,
 * which gives bound = 1/√fan_in: historically chosen to keep the older LeCun-style uniform init.
 */
export function kaimingUniform_(weight: Tensor, a = 0, generator: Generator = defaultGenerator): Tensor {
  const gain = Math.sqrt(2.0 / (1 + a ** 2));
  const std = gain / Math.sqrt(fanIn(weight));
  const bound = Math.sqrt(3.0) * std;
  return uniform_(weight, -bound, bound, generator);
}
