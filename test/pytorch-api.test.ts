// The PyTorch habits of issue 9: tensors print as torch prints them (fixtures written by real PyTorch,
// scripts/make_repr_fixtures.py), modules are callable and print as nn.Module, tensor methods, hooks, one-line
// batches, and the tutorial's code ported line by line training with no useBackend call.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import test from "node:test";
import {
  Conv2d,
  CrossEntropyLoss,
  DataLoader,
  Flatten,
  Linear,
  MaxPool2d,
  MnistDataset,
  parseMnistImages,
  parseMnistLabels,
  Module,
  ReLU,
  Sequential,
  Subset,
  Tensor,
  mean,
  next,
  range,
  relu,
  reshape,
  tensor,
  manualSeed,
  type DType,
} from "../src/index.js";
import { REPO, runTs, show } from "./helpers/cli.js";
import { tinyMnistSplit } from "./helpers/idx.js";

interface ReprCase {
  name: string;
  shape: number[];
  dtype: DType;
  /** Non-finite values are the strings "nan", "inf", "-inf" (JSON has no NaN). */
  data: (number | string)[];
  requires_grad: boolean;
  grad_fn?: "relu" | "reshape" | "mean";
  repr: string;
}
const fixture = JSON.parse(readFileSync(`${REPO}/test/fixtures/torch/repr.json`, "utf8")) as {
  tensors: ReprCase[];
  modules: Record<string, string>;
};

function build(c: ReprCase): Tensor {
  if (c.grad_fn !== undefined) {
    const x = tensor(
      [
        [1, -2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    return { relu: () => relu(x), reshape: () => reshape(x, [-1]), mean: () => mean(x) }[c.grad_fn]();
  }
  const numbers = c.data.map((v) => (v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number(v)));
  const data =
    c.dtype === "int32"
      ? Int32Array.from(numbers)
      : c.dtype === "float64"
        ? Float64Array.from(numbers)
        : Float32Array.from(numbers);
  return new Tensor(data, c.shape, c.requires_grad);
}

for (const c of fixture.tensors) {
  test(`a tensor prints as PyTorch's repr: ${c.name}`, () => {
    const t = build(c);
    assert.equal(String(t), c.repr);
    assert.equal(inspect(t), c.repr, "console.log uses the same text");
  });
}

test("the tutorial's model prints as PyTorch prints MNIST_CNN, for a user class and the presets alike", () => {
  class MNIST_CNN extends Module {
    conv1 = new Conv2d(1, 16, 3, { stride: 1, padding: 0 });
    conv2 = new Conv2d(16, 32, 3, { stride: 1, padding: 0 });
    pool = new MaxPool2d(2, { stride: 2 });
    fc1 = new Linear(32 * 5 * 5, 10);
    forward(x: Tensor): Tensor {
      return this.fc1(this.pool(relu(this.conv2(this.pool(relu(this.conv1(x)))))).view(-1, 800));
    }
  }
  assert.equal(inspect(new MNIST_CNN()), fixture.modules.seed);
  class MNIST_CNN_conv3 extends Module {
    conv1 = new Conv2d(1, 16, 3, { stride: 1, padding: 0 });
    conv2 = new Conv2d(16, 32, 3, { stride: 1, padding: 0 });
    conv3 = new Conv2d(32, 64, 3, { stride: 1, padding: 0 });
    pool = new MaxPool2d(2, { stride: 2 });
    fc1 = new Linear(64 * 1 * 1, 10);
    forward(x: Tensor): Tensor {
      return this.fc1(this.pool(relu(this.conv3(x))).view(-1, 64));
    }
  }
  // The class name is part of the print; the fixture's class is PyTorch's MNIST_CNN.
  assert.equal(String(new MNIST_CNN_conv3()).replace(/^MNIST_CNN_conv3/, "MNIST_CNN"), fixture.modules.conv3);
  assert.equal(
    String(new Conv2d(3, 8, [3, 5], { stride: 2, padding: 1, bias: false })),
    fixture.modules["padded conv without bias"],
  );
  const seq = new Sequential(new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4, 2));
  assert.equal(String(seq), fixture.modules.sequential);
  assert.equal(String(new CrossEntropyLoss()), fixture.modules.loss);
});

test("modules are callable: model(x) runs forward, then the forward hooks, which see the output and can replace it", () => {
  manualSeed(0);
  const net = new Sequential(new Linear(3, 2), new ReLU());
  const x = tensor([[1, 2, 3]]);
  assert.deepEqual(Array.from(net(x).data), Array.from(net.forward(x).data));
  const seen: number[][] = [];
  const handle = net.registerForwardHook((module, args, output) => {
    assert.equal(module, net);
    assert.equal(args[0], x);
    seen.push(Array.from(output.data));
    return output.mul(0);
  });
  assert.deepEqual(Array.from(net(x).data), [0, 0]);
  handle.remove();
  assert.notDeepEqual(Array.from(net(x).data), [0, 0]);
  assert.equal(seen.length, 1);
  const loss = new CrossEntropyLoss();
  assert.ok(Math.abs(loss(tensor([[0, 0]]), [1]).item() - Math.log(2)) < 1e-6);
});

test("an error inside a user's own class names the attribute: fc1 (Linear) expects …", () => {
  class Net extends Module {
    conv1 = new Conv2d(1, 2, 3);
    fc1 = new Linear(5, 10);
    forward(x: Tensor): Tensor {
      return this.fc1(this.conv1(x).flatten(1));
    }
  }
  assert.throws(
    () => new Net()(new Tensor(new Float32Array(2 * 36), [2, 1, 6, 6])),
    /^Error: fc1 \(Linear\) expects an input of shape \[N, 5\]/,
  );
  const named = new Net();
  named.parameters(); // as an optimizer does: the names are known before the first call
  assert.throws(() => named.conv1(tensor([1, 2])), /conv1 \(Conv2d\) expects/);
});

test("tensor methods follow PyTorch: size(), view, max(dim), eq, sum of int32, at, squeeze, unsqueeze", () => {
  const t = tensor([
    [0.1, 0.7, 0.2],
    [0.5, 0.3, 0.9],
  ]);
  assert.deepEqual(t.size(), [2, 3]);
  assert.equal(t.size(1), 3);
  assert.equal(t.size(-2), 2);
  assert.equal(t.numel(), 6);
  assert.throws(() => t.size(2), /dimension out of range/);
  assert.deepEqual(t.view(-1).shape, [6]);
  assert.deepEqual(t.view([3, 2]).shape, [3, 2]);
  const [values, indices] = t.max(1);
  assert.deepEqual(Array.from(values.data), [Math.fround(0.7), Math.fround(0.9)]);
  assert.deepEqual(Array.from(indices.data), [1, 2]);
  assert.equal(indices.dtype, "int32");
  assert.equal(t.max().item(), Math.fround(0.9));
  const correct = indices.eq(Int32Array.of(1, 0)).sum();
  assert.equal(correct.dtype, "int32");
  assert.equal(correct.item(), 1);
  assert.deepEqual(t.at(-1).tolist(), [0.5, 0.3, 0.9].map(Math.fround));
  const image = new Tensor(new Float32Array(28 * 28), [1, 28, 28]);
  assert.deepEqual(image.unsqueeze(0).shape, [1, 1, 28, 28]);
  assert.deepEqual(image.unsqueeze(0).squeeze().shape, [28, 28]);
  assert.deepEqual(image.squeeze(1).shape, [1, 28, 28], "squeeze(dim) leaves a dim whose size is not 1");
  const rows = Array.from(t.relu().softmax(1).sum(1).data);
  assert.ok(rows.length === 2 && rows.every((r) => Math.abs(r - 1) < 1e-6), `softmax rows sum to 1 (±1e-6): ${rows}`);
  assert.ok(Math.abs(t.mean().item() - 0.45) < 1e-6);
  assert.deepEqual(t.argmax(1).tolist(), [1, 2]);
});

test("max(dim) and select pass gradients to the chosen elements, as PyTorch's MaxBackward and SelectBackward", () => {
  const x = tensor(
    [
      [1, 5, 2],
      [7, 3, 4],
    ],
    { requiresGrad: true },
  );
  x.max(1).values.sum().backward();
  assert.deepEqual(Array.from(x.grad!.data), [0, 1, 0, 1, 0, 0]);
  x.grad = null;
  x.at(1)
    .mul(tensor([1, 2, 3]))
    .sum()
    .backward();
  assert.deepEqual(Array.from(x.grad!.data), [0, 0, 0, 1, 2, 3]);
});

test("one batch is a one-liner, and a batch destructures as PyTorch's (images, labels) tensors", () => {
  const split = tinyMnistSplit(100);
  const train = new MnistDataset(parseMnistImages(split.images, "images"), parseMnistLabels(split.labels, "labels"));
  const loader = new DataLoader(train, { batchSize: 8 });
  const [images, labels] = next(loader);
  assert.deepEqual(images.size(), [8, 1, 28, 28]);
  assert.equal(labels.size(0), 8);
  assert.equal(labels.dtype, "int32");
  const batch = next(loader);
  assert.equal(batch.inputs, batch[0], "the object form and the pair hold the same tensors");
  assert.deepEqual(Array.from(batch[1].data), Array.from(batch.labels));
  const subset = new Subset(train, range(20));
  assert.equal(new DataLoader(subset, { batchSize: 8 }).length, 3);
  assert.deepEqual(
    Array.from(next(new DataLoader(subset, { batchSize: 20 })).labels),
    Array.from({ length: 20 }, (_, i) => train.label(i)),
  );
  assert.throws(() => new Subset(train, [100]), /out of range/);
});

// A whole epoch of the real 60,000 images (about 10 s here): the only way to compare with `convlab train`'s number.
test(
  "the tutorial ported line by line trains with no useBackend call, on wasm, with `convlab train`'s first loss",
  { timeout: 300_000 },
  async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, EPOCHS: "1" };
    delete env.CONVLAB_BACKEND;
    delete env.CONVLAB_THREADS;
    const ran = await runTs("test/port/tutorial.ts", [], env);
    assert.equal(ran.code, 0, show(ran));
    const output = ran.stdout;
    assert.match(output, /^MNIST_CNN\(\n {2}\(conv1\): Conv2d\(1, 16, kernel_size=\(3, 3\), stride=\(1, 1\)\)/);
    // The same number `convlab train` prints for seed 0 (and PyTorch's script, 0.2914).
    assert.match(output, /^Epoch 1, Loss: 0\.2914$/m);
    assert.match(output, /^Test accuracy: 9\d\.\d\d%$/m);
    assert.match(output, /^backend: wasm, /m, "the default backend is the fast one");
  },
);
