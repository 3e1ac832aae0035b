import { Tensor, allocDType, numel, type DType, type Shape } from "./tensor.js";
import { defaultGenerator, type Generator } from "./random.js";
import { ConvlabError } from "../errors.js";

type Nested = number | readonly Nested[];

function inferShape(value: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = (v as readonly Nested[])[0];
  }
  return shape;
}

/**
 * A tensor from nested arrays of numbers, like `torch.tensor`: tensor([[1, 2], [3, 4]]) has shape [2, 2].
 * Ragged arrays are rejected. The default dtype is float32, as in PyTorch.
 */
export function tensor(value: Nested, options: { dtype?: DType; requiresGrad?: boolean } = {}): Tensor {
  const shape = inferShape(value);
  const flat: number[] = [];
  const collect = (v: Nested): void => {
    if (typeof v === "number") flat.push(v);
    else v.forEach(collect);
  };
  collect(value);
  if (flat.length !== numel(shape))
    throw new ConvlabError("E_TENSOR_RAGGED", `tensor: the nested arrays are ragged (shape looks like [${shape}])`);
  const data = allocDType(options.dtype ?? "float32", flat.length);
  data.set(flat);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

export function zeros(shape: Shape, dtype: DType = "float32"): Tensor {
  return new Tensor(allocDType(dtype, numel(shape)), shape);
}

export function full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  const data = allocDType(dtype, numel(shape));
  data.fill(value);
  return new Tensor(data, shape);
}

export function ones(shape: Shape, dtype: DType = "float32"): Tensor {
  return full(shape, 1, dtype);
}

/** Uniform samples from [low, high), drawn in row-major order from `generator`, like `torch.empty(s).uniform_()`. */
export function rand(
  shape: Shape,
  low = 0,
  high = 1,
  generator: Generator = defaultGenerator,
  dtype: "float32" | "float64" = "float32",
): Tensor {
  const data = allocDType(dtype, numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = generator.uniform(low, high);
  return new Tensor(data, shape);
}
