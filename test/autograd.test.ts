import assert from "node:assert/strict";
import { test } from "node:test";
import { add, mul, noGrad, relu, sum, tensor, isGradEnabled } from "../src/index.js";

test("gradients accumulate across backward calls, as in PyTorch", () => {
  const x = tensor([1, 2, 3], { requiresGrad: true });
  sum(mul(x, x)).backward();
  assert.deepEqual(Array.from(x.grad!.data), [2, 4, 6]);
  sum(mul(x, 3)).backward();
  assert.deepEqual(Array.from(x.grad!.data), [5, 7, 9]);
});

test("a tensor used twice gets both contributions (the graph is a DAG, not a tree)", () => {
  const x = tensor([2], { requiresGrad: true });
  const y = add(mul(x, x), x); // y = x² + x, dy/dx = 2x + 1 = 5
  y.backward();
  assert.equal(x.grad!.item(), 5);
});

test("a gradient handed on unchanged to two inputs is kept as two arrays: adding into one leaves the other", () => {
  const a = tensor([1, 2], { requiresGrad: true });
  const b = tensor([3, 4], { requiresGrad: true });
  // add's backward hands sum's gradient on as it is, to both a and b.
  sum(add(a, b)).backward();
  assert.notEqual(a.grad!.data, b.grad!.data);
  sum(mul(a, 2)).backward();
  assert.deepEqual(
    [Array.from(a.grad!.data), Array.from(b.grad!.data)],
    [
      [3, 3],
      [1, 1],
    ],
  );
});

test("relu′(0) = 0, as PyTorch", () => {
  const x = tensor([-1, 0, 2], { requiresGrad: true });
  sum(relu(x)).backward();
  assert.deepEqual(Array.from(x.grad!.data), [0, 0, 1]);
});

test("noGrad records nothing and restores the mode even when the body throws", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = noGrad(() => mul(x, 2));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  assert.throws(() =>
    noGrad(() => {
      throw new Error("boom");
    }),
  );
  assert.equal(isGradEnabled(), true);
  assert.throws(() => y.backward(), /does not require grad/);
});

test("backward of a non-scalar needs a gradient of its shape", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = mul(x, 3);
  assert.throws(() => y.backward(), /non-scalar/);
  y.backward(tensor([1, 10]));
  assert.deepEqual(Array.from(x.grad!.data), [3, 30]);
});

test("a long chain of ops does not overflow the stack", () => {
  const x = tensor([1], { requiresGrad: true });
  let y = x;
  for (let i = 0; i < 20000; i++) y = add(y, 1);
  y.backward();
  assert.equal(x.grad!.item(), 1);
});
