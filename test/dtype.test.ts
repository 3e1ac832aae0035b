/**
 * Mixed float32/float64 operands follow PyTorch's rules (src/tensor/tensor.ts, promoteFloat): the elementwise binary
 * ops promote to float64 in either order; matrix products and convolutions refuse with E_DTYPE_MISMATCH, as
 * torch.mm and F.conv2d raise "expected scalar type Float but found Double".
 */
import { backend } from "./helpers/backend.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { Tensor, add, conv2d, conv2dReluMaxPool2d, linear, matmul, mul, sub, sum } from "../src/index.js";
import { ConvlabError } from "../src/errors.js";

const f32 = (values: number[], shape: number[], requiresGrad = false) =>
  new Tensor(Float32Array.from(values), shape, requiresGrad);
const f64 = (values: number[], shape: number[], requiresGrad = false) =>
  new Tensor(Float64Array.from(values), shape, requiresGrad);

test(`add, sub and mul of float32 and float64 give float64 in either order, with the same values [${backend}]`, () => {
  // 0.1 is not a float32: the float32 operand holds fround(0.1), widened exactly.
  const a = [0.1, 2, -3];
  const b = [1e-9, 0.5, 4];
  for (const [name, op] of [
    ["add", add],
    ["sub", sub],
    ["mul", mul],
  ] as const) {
    const ab = op(f32(a, [3]), f64(b, [3]));
    const ba = op(f64(b, [3]), f32(a, [3]));
    assert.equal(ab.dtype, "float64", `${name}(f32, f64)`);
    assert.equal(ba.dtype, "float64", `${name}(f64, f32)`);
    const expected = a.map((x, i) => {
      const [p, q] = [Math.fround(x), b[i]];
      return name === "add" ? p + q : name === "sub" ? p - q : p * q;
    });
    assert.deepEqual(Array.from(ab.data), expected, `${name}(f32, f64) is computed in float64`);
    if (name !== "sub") assert.deepEqual(Array.from(ba.data), expected, `${name} commutes`);
  }
  assert.equal(add(f32([1], [1]), 0.1).dtype, "float32", "a number does not promote (a Python scalar neither)");
  assert.equal(add(f32([1], [1]), f32([2], [1])).dtype, "float32");
});

test("the float32 operand's gradient is float32, and the float64 one's float64, as PyTorch's .grad", () => {
  const a = f32([0.5, -1, 2], [3], true);
  const b = f64([3, 0.25, -2], [1, 3], true);
  sum(mul(add(a, b), b)).backward(); // d/da = b, d/db = a + 2b
  assert.ok(a.grad!.data instanceof Float32Array);
  assert.ok(b.grad!.data instanceof Float64Array);
  assert.deepEqual(Array.from(a.grad!.data), [3, 0.25, -2]);
  assert.deepEqual(Array.from(b.grad!.data), [6.5, -0.5, -2]);
  const c = f32([1, 2], [2], true);
  sum(mul(f64([0.1, 0.2], [2]), c)).backward(); // broadcasting-free, the float32 leaf rounds 0.1 to float32
  assert.deepEqual(Array.from(c.grad!.data), [Math.fround(0.1), Math.fround(0.2)]);
});

test("matmul, linear, conv2d and the fused block refuse mixed dtypes with E_DTYPE_MISMATCH, naming both", () => {
  const mismatch = (fn: () => unknown, op: string) =>
    assert.throws(
      fn,
      (e: unknown) =>
        e instanceof ConvlabError &&
        e.code === "E_DTYPE_MISMATCH" &&
        e.message.startsWith(`${op}: expected`) &&
        /float32 and float64|float64 and float32/.test(e.message),
      op,
    );
  const a = f32([1, 2, 3, 4], [2, 2]);
  const b = f64([1, 2, 3, 4], [2, 2]);
  mismatch(() => matmul(a, b), "matmul");
  mismatch(() => matmul(b, a), "matmul");
  mismatch(() => linear(a, b), "linear");
  mismatch(() => linear(a, a, f64([0, 0], [2])), "linear");
  const x = f32(new Array(16).fill(1), [1, 1, 4, 4]);
  const w = f64(new Array(9).fill(1), [1, 1, 3, 3]);
  mismatch(() => conv2d(x, w), "conv2d");
  mismatch(() => conv2d(x, f32(new Array(9).fill(1), [1, 1, 3, 3]), f64([0], [1])), "conv2d");
  mismatch(() => conv2dReluMaxPool2d(x, w, null, {}, 2), "conv2dReluMaxPool2d");
  // Same dtype on both sides is fine, float64 too (gradient checks).
  assert.equal(matmul(b, b).dtype, "float64");
});
