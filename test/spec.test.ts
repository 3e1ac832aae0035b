import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Conv2d,
  Linear,
  MnistCNN,
  SpecError,
  SpecShapeError,
  buildModel,
  manualSeed,
  presetSpec,
  rand,
  validateSpec,
  type ModelSpec,
} from "../src/index.js";

/** The tutorial's MnistCNN as it was before specs, written out by hand: the reference for keys and init order. */
function handWritten(arch: "seed" | "conv3") {
  const conv1 = new Conv2d(1, 16, 3, { stride: 1, padding: 0 });
  const conv2 = new Conv2d(16, 32, 3, { stride: 1, padding: 0 });
  const conv3 = arch === "conv3" ? new Conv2d(32, 64, 3, { stride: 1, padding: 0 }) : null;
  const fc1 = new Linear(arch === "conv3" ? 64 : 800, 10);
  return { conv1, conv2, conv3, fc1 };
}

for (const arch of ["seed", "conv3"] as const) {
  test(`the ${arch} preset keeps the keys, shapes and init of the hand-written model`, () => {
    manualSeed(3);
    const ref = handWritten(arch);
    const after = rand([3]).data;
    manualSeed(3);
    const model = new MnistCNN(arch);
    assert.deepEqual(Array.from(rand([3]).data), Array.from(after), "the generator is left where it was");
    const expected: [string, Float32Array | Float64Array | Int32Array][] = [];
    for (const [name, layer] of Object.entries(ref)) {
      if (layer === null) continue;
      expected.push([`${name}.weight`, layer.weight.data], [`${name}.bias`, layer.bias!.data]);
    }
    const state = model.stateDict();
    assert.deepEqual(
      Object.keys(state),
      expected.map(([k]) => k),
    );
    for (const [key, data] of expected) assert.deepEqual(state[key].data, data, `${key}: bit-identical init`);
    // buildModel on the preset spec is the same model.
    manualSeed(3);
    const built = buildModel(presetSpec(arch)).stateDict();
    for (const [key, data] of expected) assert.deepEqual(built[key].data, data, key);
    assert.deepEqual(model.forward(rand([2, 1, 28, 28])).shape, [2, 10]);
    assert.equal(model.fc1.path, "fc1");
  });
}

test("a reused layer is one module: same parameters, counted once; unnamed layers are keyed by index", () => {
  const spec: ModelSpec = {
    input: [2, 6, 6],
    layers: [
      { name: "conv", type: "Conv2d", in_channels: 2, out_channels: 2, kernel_size: 3, padding: 1 },
      { type: "ReLU" },
      { use: "conv" },
      { type: "Conv2d", in_channels: 2, out_channels: 1, kernel_size: 1 },
      { type: "Flatten" },
      { type: "Linear", in_features: 36, out_features: 3 },
    ],
  };
  const model = buildModel(spec);
  assert.deepEqual(Object.keys(model.stateDict()), [
    "conv.weight",
    "conv.bias",
    "3.weight",
    "3.bias",
    "5.weight",
    "5.bias",
  ]);
  assert.equal(model.numParameters(), 2 * 2 * 9 + 2 + 2 + 1 + 36 * 3 + 3);
  assert.deepEqual(model.forward(rand([4, 2, 6, 6])).shape, [4, 3]);
});

/** The conv3 preset with one layer's keys changed. */
function conv3With(index: number, changes: Record<string, unknown>): unknown {
  const spec = presetSpec("conv3");
  Object.assign(spec.layers[index], changes);
  return spec;
}

test("the tutorial's old fc1 = Linear(800, 10) after conv3 fails before building, with the traced shapes and the fix", () => {
  manualSeed(0);
  const before = Array.from(rand([2]).data);
  manualSeed(0);
  const error = (() => {
    try {
      buildModel(conv3With(10, { in_features: 800 }));
    } catch (e) {
      return e as SpecShapeError;
    }
    assert.fail("no error");
  })();
  assert.ok(error instanceof SpecShapeError);
  assert.match(error.message, /fc1 expects 800 inputs, but the layer before gives 64 = 64×1×1; set in_features to 64/);
  assert.match(error.message, /layers\[10\]\.in_features/);
  assert.match(error.message, /conv3 \(Conv2d\) +\[1, 64, 3, 3\] +5 → ⌊\(5 \+ 2·0 − 3\) \/ 1⌋ \+ 1 = 3/);
  assert.deepEqual(
    error.rows.map((r) => r.output),
    [
      [1, 16, 26, 26],
      [1, 16, 26, 26],
      [1, 16, 13, 13],
      [1, 32, 11, 11],
      [1, 32, 11, 11],
      [1, 32, 5, 5],
      [1, 64, 3, 3],
      [1, 64, 3, 3],
      [1, 64, 1, 1],
      [1, 64],
    ],
  );
  assert.deepEqual(Array.from(rand([2]).data), before, "nothing was drawn from the generator");
});

test("a wrong channel count names the layer, what it gets and the fix", () => {
  assert.throws(
    () => buildModel(conv3With(3, { in_channels: 8 })),
    (e: Error) =>
      e instanceof SpecShapeError &&
      e.message.includes(
        "conv2 expects 8 input channels, but the layer before gives 16 ([1, 16, 13, 13]); set in_channels to 16",
      ) &&
      e.message.includes("layers[3].in_channels"),
  );
});

test("an input shrunk to nothing says at which layer and why", () => {
  // A 4th conv+pool block after conv3: the 1×1 map cannot hold a 3×3 window.
  const spec = presetSpec("conv3");
  spec.layers.splice(9, 0, { name: "conv4", type: "Conv2d", in_channels: 64, out_channels: 64, kernel_size: 3 });
  assert.throws(
    () => buildModel(spec),
    (e: Error) =>
      e instanceof SpecShapeError &&
      /conv4 \(Conv2d\): the height 1 is too small for a window of 3 with padding 0: ⌊\(1 \+ 2·0 − 3\) \/ 1⌋ \+ 1 = -1 ≤ 0/.test(
        e.message,
      ) &&
      e.message.includes("layers[9]") &&
      e.message.includes("give it padding, or a smaller kernel_size"),
  );
});

test("a Linear before the Flatten is told to add one", () => {
  const spec = presetSpec("seed");
  spec.layers.splice(6, 1);
  assert.throws(
    () => buildModel(spec),
    /fc1 expects an input \[N, in_features\], but the layer before gives \[1, 32, 5, 5\]; add \{"type": "Flatten"\}/,
  );
});

test("schema errors carry their JSON path, every one at once", () => {
  const bad = {
    name: "bad",
    layer: [],
    layers: [
      { name: "conv1", type: "Conv2d", in_channels: 1, out_channels: 16, kernel_size: 3 },
      { type: "Relu" },
      { type: "MaxPool2D", kernel_size: 2 },
      { name: "conv2", type: "Conv2d", in_channels: 16, out_channels: 32, kernal_size: 3 },
      { type: "Conv2d", in_channels: 16, out_channels: 0, kernel_size: "3", stride: [1], bias: "yes" },
      { type: "Dense", in_features: 3 },
      { use: "pol" },
      { name: "conv1", type: "ReLU" },
      { name: "2nd", type: "Flatten" },
      { type: "MaxPool2d", kernel_size: 2, padding: 2 },
    ],
  };
  let error: SpecError | undefined;
  try {
    validateSpec(bad, "bad.json");
  } catch (e) {
    error = e as SpecError;
  }
  assert.ok(error instanceof SpecError);
  assert.deepEqual(error.issues, [
    "layer: unknown key; did you mean layers? (allowed: name, input, layers)",
    'layers[1].type: unknown layer type "Relu"; did you mean ReLU? (known: Conv2d, Linear, MaxPool2d, ReLU, Flatten)',
    'layers[2].type: unknown layer type "MaxPool2D"; did you mean MaxPool2d? (known: Conv2d, Linear, MaxPool2d, ReLU, Flatten)',
    "layers[3].kernal_size: unknown key; did you mean kernel_size?",
    'layers[3]: Conv2d needs "kernel_size"',
    "layers[4].out_channels: must be a whole number ≥ 1, got 0",
    'layers[4].kernel_size: must be a whole number ≥ 1 or a pair [height, width] of them, got "3"',
    "layers[4].stride: must be a whole number ≥ 1 or a pair [height, width] of them, got [1]",
    'layers[4].bias: must be true or false, got "yes"',
    'layers[5].type: unknown layer type "Dense" (known: Conv2d, Linear, MaxPool2d, ReLU, Flatten)',
    'layers[6].use: "pol" is not the name of a layer defined before it (defined so far: conv1, conv2)',
    'layers[7].name: "conv1" is already the name of an earlier layer; to run it again write {"use": "conv1"}',
    'layers[8].name: must be an identifier such as "conv1" (letters, digits, _; not starting with a digit), got "2nd"',
    "layers[9].padding: must be at most half of kernel_size, got 2",
  ]);
  assert.match(error.message, /^bad\.json is not a valid model spec:\n {2}layer: unknown key/);
  assert.throws(
    () => validateSpec({ layers: [{ name: "pool", type: "MaxPool2d", kernel_size: 2 }, { use: "pol" }] }),
    /layers\[1\]\.use: "pol" is not the name of a layer defined before it; did you mean pool\?/,
  );
  assert.throws(() => validateSpec({ layers: [] }), /layers: must be a non-empty array/);
  assert.throws(
    () => validateSpec({ layers: [{ type: "ReLU" }], input: [28, 28] }),
    /input: must be \[channels, height, width\]/,
  );
});

test("Linear and Conv2d fed the wrong shape at run time name the layer, the expected and the given shape", () => {
  const model = new MnistCNN("seed");
  assert.throws(
    () => model.fc1.forward(rand([2, 64])),
    /^Error: fc1 \(Linear\) expects an input of shape \[N, 800\] \(in_features = 800\), but got \[2, 64\]$/,
  );
  assert.throws(
    () => model.fc1.forward(rand([2, 32, 5, 5])),
    /fc1 \(Linear\) .*but got \[2, 32, 5, 5\]: flatten it first \(32×5×5 = 800 features\)/,
  );
  assert.throws(
    () => model.forward(rand([2, 3, 28, 28])),
    /conv1 \(Conv2d\) expects an input of shape \[N, 1, H, W\] \(in_channels = 1\), but got \[2, 3, 28, 28\], which has 3 channels/,
  );
  // A layer outside any model has no path yet: the message names its type.
  assert.throws(() => new Linear(4, 2).forward(rand([1, 3])), /^Error: Linear expects an input of shape \[N, 4\]/);
});
