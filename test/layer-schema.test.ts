/**
 * The layer types come from one schema (LAYER_SCHEMA in src/models/spec.ts), typed from the layer interfaces, and
 * switches over them end in assertNever. The compile-time half of these checks is in the @ts-expect-error lines,
 * which `tsc` verifies (it fails if they stop being errors).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LAYER_SCHEMA, LAYER_TYPES, assertNever, buildModel, type LayerSchema, type LayerType } from "../src/index.js";

test("LAYER_TYPES is the schema's keys, and each type builds", () => {
  assert.deepEqual([...LAYER_TYPES], Object.keys(LAYER_SCHEMA));
  assert.deepEqual([...LAYER_TYPES].sort(), ["Conv2d", "Flatten", "Linear", "MaxPool2d", "ReLU"]);
  // A spec using every type once; built, each layer is made by the switch in createLayer.
  const example: Record<LayerType, object> = {
    Conv2d: { type: "Conv2d", in_channels: 1, out_channels: 2, kernel_size: 3 },
    ReLU: { type: "ReLU" },
    MaxPool2d: { type: "MaxPool2d", kernel_size: 2 },
    Flatten: { type: "Flatten" },
    Linear: { type: "Linear", in_features: 2 * 3 * 3, out_features: 10 },
  };
  const model = buildModel({ input: [1, 8, 8], layers: LAYER_TYPES.map((t) => example[t]).sort(byPipeline) });
  assert.deepEqual(
    model.trace.map((row) => row.layer.type),
    ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"],
  );
});

/** Orders the example layers as a network runs them. */
function byPipeline(a: object, b: object): number {
  const order = ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"];
  return order.indexOf((a as { type: string }).type) - order.indexOf((b as { type: string }).type);
}

test("the schema's keys are the interfaces' keys: a missing or extra key does not compile", () => {
  // @ts-expect-error out_features is required by LinearSpec
  const missing: LayerSchema<"Linear"> = { required: { in_features: "positive" }, optional: { bias: "boolean" } };
  const extra: LayerSchema<"Linear"> = {
    required: { in_features: "positive", out_features: "positive" },
    // @ts-expect-error LinearSpec has no dropout key
    optional: { bias: "boolean", dropout: "positive" },
  };
  assert.ok(missing && extra);
});

test("assertNever: a compile error for an unhandled member, E_UNREACHABLE at run time", () => {
  const describe = (type: LayerType): string => {
    switch (type) {
      case "Conv2d":
      case "Linear":
      case "MaxPool2d":
        return "has weights or a window";
      case "ReLU":
      case "Flatten":
        return "has neither";
      default:
        return assertNever(type, "layer type");
    }
  };
  assert.equal(describe("ReLU"), "has neither");
  assert.throws(() => describe("Dropout" as LayerType), { code: "E_UNREACHABLE", message: /unexpected layer type/ });
  assert.throws(() => assertNever({ type: "Dropout" } as never, "layer"), {
    code: "E_UNREACHABLE",
    message: "unexpected layer: type 'Dropout'; a case is missing for it",
  });
});
