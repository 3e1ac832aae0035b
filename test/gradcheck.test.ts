import assert from "node:assert/strict";
import { test } from "node:test";
import { conv2d, crossEntropy, flatten, linear, maxPool2d, relu } from "../src/index.js";
import { OPS, OP_NAMES } from "../src/ops/table.js";
import { Generator } from "../src/tensor/random.js";
import { gradcheck, randomInput } from "./helpers/gradcheck.js";
import { OP_CASES } from "./helpers/op-cases.js";

// Every differentiable op of src/ops/table.ts, forward and backward, in float64 against central differences (the
// ref kernels take float64 arrays, so this checks the same code that trains in float32). The cases live in
// test/helpers/op-cases.ts, shared with the cross-backend suite.
const g = new Generator(2024);

test("every differentiable op of the table has a gradient check", () => {
  for (const name of OP_NAMES) {
    if (OPS[name].differentiable) assert.ok(OP_CASES[name]?.length > 0, `${name}: no case in test/helpers/op-cases.ts`);
  }
});

for (const name of OP_NAMES) {
  if (!OPS[name].differentiable) continue;
  // An inference case has no gradient to check.
  for (const c of (OP_CASES[name] ?? []).filter((c) => c.inference !== true)) {
    test(`${name}: ${c.name}`, () => {
      gradcheck(
        `${name} ${c.name}`,
        c.run,
        c.inputs((shape, low, high) => randomInput(shape, g, low, high)),
      );
    });
  }
}

test("the tutorial's whole pipeline: conv → relu → pool → conv → relu → pool → flatten → linear → loss", () => {
  const target = [3, 7];
  gradcheck(
    "pipeline",
    (x, w1, b1, w2, b2, wf, bf) => {
      let h = maxPool2d(relu(conv2d(x, w1, b1)), 2);
      h = maxPool2d(relu(conv2d(h, w2, b2)), 2);
      return crossEntropy(linear(flatten(h, 1), wf, bf), target);
    },
    [
      randomInput([2, 1, 14, 14], g),
      randomInput([3, 1, 3, 3], g),
      randomInput([3], g),
      randomInput([4, 3, 3, 3], g),
      randomInput([4], g),
      randomInput([10, 4 * 2 * 2], g),
      randomInput([10], g),
    ],
  );
});
