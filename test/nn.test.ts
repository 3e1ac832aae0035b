import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  MnistCNN,
  Module,
  ReLU,
  Sequential,
  Tensor,
  manualSeed,
  rand,
} from "../src/index.js";

test("the tutorial model registers PyTorch's state dict keys and parameter count", () => {
  const seed = new MnistCNN("seed");
  assert.deepEqual(Object.keys(seed.stateDict()), [
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "fc1.weight",
    "fc1.bias",
  ]);
  // 16·1·9+16 + 32·16·9+32 + 10·800+10, as torch's sum(p.numel()).
  assert.equal(seed.numParameters(), 160 + 4640 + 8010);
  const conv3 = new MnistCNN("conv3");
  assert.deepEqual(conv3.stateDict()["fc1.weight"].shape, [10, 64]);
  assert.ok("conv3.weight" in conv3.stateDict());
  assert.deepEqual(conv3.forward(rand([2, 1, 28, 28])).shape, [2, 10]);
});

test("Sequential names its children 0, 1, … and runs them in order", () => {
  const net = new Sequential(
    new Conv2d(1, 2, 3),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(2 * 3 * 3, 4),
  );
  assert.deepEqual(Object.keys(net.stateDict()), ["0.weight", "0.bias", "4.weight", "4.bias"]);
  assert.deepEqual(net.forward(rand([5, 1, 8, 8])).shape, [5, 4]);
});

test("default init is U(±1/√fan_in) for weights and biases", () => {
  manualSeed(0);
  const layer = new Linear(400, 50);
  const bound = 1 / Math.sqrt(400);
  for (const p of [layer.weight, layer.bias!]) {
    const values = Array.from(p.data);
    assert.ok(values.every((v) => Math.abs(v) <= bound));
    // 20,000 uniform draws fill the range: the extremes come within 1% of the bound.
    if (values.length > 1000) assert.ok(Math.max(...values) > 0.99 * bound && Math.min(...values) < -0.99 * bound);
  }
});

test("manualSeed makes init reproducible", () => {
  manualSeed(5);
  const a = new MnistCNN().stateDict();
  manualSeed(5);
  const b = new MnistCNN().stateDict();
  manualSeed(6);
  const c = new MnistCNN().stateDict();
  assert.deepEqual(a["conv1.weight"].data, b["conv1.weight"].data);
  assert.notDeepEqual(a["conv1.weight"].data, c["conv1.weight"].data);
});

test("loadStateDict copies values and rejects missing, unexpected and mis-shaped keys without copying", () => {
  const source = new MnistCNN("seed");
  const target = new MnistCNN("seed");
  target.loadStateDict(source.stateDict());
  assert.deepEqual(target.fc1.weight.data, source.fc1.weight.data);

  const before = target.conv1.weight.data.slice();
  const wrong: Record<string, Tensor> = {
    ...source.stateDict(),
    "fc1.weight": new Tensor(new Float32Array(640), [10, 64]),
  };
  wrong["conv1.weight"] = new Tensor(new Float32Array(144).fill(9), [16, 1, 3, 3]);
  assert.throws(
    () => target.loadStateDict(wrong),
    /size mismatch for fc1\.weight: copying a param with shape \[10, 64\].*current model is \[10, 800\]/,
  );
  assert.deepEqual(target.conv1.weight.data, before, "nothing is copied when any check fails");

  const missing = { ...source.stateDict() };
  delete (missing as Record<string, Tensor>)["fc1.bias"];
  assert.throws(() => target.loadStateDict(missing), /missing key\(s\): fc1\.bias/);
  assert.throws(
    () => target.loadStateDict({ ...source.stateDict(), "conv3.weight": source.conv1.weight }),
    /unexpected key\(s\): conv3\.weight/,
  );
  target.loadStateDict(missing, false);
});

test("train() and eval() set the mode of the whole tree", () => {
  class Net extends Module {
    inner = new Sequential(new ReLU());
    forward(x: Tensor) {
      return this.inner.forward(x);
    }
  }
  const net = new Net().eval();
  assert.ok(net.namedModules().every(([, m]) => !m.training));
  net.train();
  assert.ok(net.namedModules().every(([, m]) => m.training));
});
