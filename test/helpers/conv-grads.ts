import { Tensor, mul, sum, type Conv2dOptions } from "../../src/index.js";
import { Generator } from "../../src/tensor/random.js";

/** A float32 tensor of uniform values in [−1, 1) that requires grad, from a seeded generator. */
export function randomFloat32(shape: number[], g: Generator): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(
    Float32Array.from({ length: n }, () => g.uniform(-1, 1)),
    shape,
    true,
  );
}

/** A convolution case of the conv tests: its input's and weight's shapes and its options. */
export interface ConvCase {
  name: string;
  input: number[];
  weight: number[];
  conv: Conv2dOptions;
}

/**
 * y = f(x, w, b) on random x [input], w [weight] and b [C_out], and the gradients [dx, dw, db] of Σ y·r for a fixed
 * random weighting r of the output (so every output element matters differently), all drawn from `seed`.
 */
export function convValuesAndGrads(
  f: (x: Tensor, w: Tensor, b: Tensor) => Tensor,
  shapes: Pick<ConvCase, "input" | "weight">,
  seed: number,
) {
  const g = new Generator(seed);
  const [x, w, b] = [
    randomFloat32(shapes.input, g),
    randomFloat32(shapes.weight, g),
    randomFloat32([shapes.weight[0]], g),
  ];
  const y = f(x, w, b);
  const r = new Tensor(
    Float32Array.from({ length: y.numel() }, () => g.uniform(-1, 1)),
    y.shape,
  );
  sum(mul(y, r)).backward();
  return { y: y.data, dx: x.grad!.data, dw: w.grad!.data, db: b.grad!.data };
}
