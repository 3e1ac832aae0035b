/**
 * ONNX export and import, checked against the two other implementations there are: ONNX Runtime runs what convlab
 * exports, and PyTorch's own export (test/fixtures/trained/seed-1epoch.onnx, from scripts/make_onnx_fixture.py)
 * loads into convlab and predicts what PyTorch predicted (test/fixtures/trained/onnx.json).
 *
 * (a) convlab exports seed and conv3 (with the PyTorch-trained fixture weights) and a small spec model that uses
 *     every option (pairs, stride, padding, no bias, reused layers); onnxruntime-node runs them, over all 10,000 MNIST
 *     test images for seed and conv3, and gives convlab's logits and argmax; any batch size runs.
 * (b) PyTorch's export loads through loadTrainedModel as the `seed` preset, with PyTorch's weights bit for bit, and
 *     gives PyTorch's test count and logits.
 * (c) A truncated or corrupt file, an unsupported operator and a graph that is not a chain are errors naming the file.
 * (d) export → import gives back the same spec and bit-identical weights; so do the other forms torch may write
 *     (no metadata, float_data, Reshape of a Constant shape, MatMul + Add).
 *
 * It runs on the wasm backend whatever CONVLAB_BACKEND says: 2 × 10,000 images on the ref backend's plain loops
 * would take minutes, and the backends' agreement is test/backends.test.ts's job.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ort from "onnxruntime-node";
import { exportCommand } from "../cli/commands/export.js";
import { noGrad } from "../src/autograd/graph.js";
import type { MnistDataset } from "../src/data/mnist.js";
import {
  DataType,
  OnnxError,
  decodeOnnxModel,
  encodeOnnxModel,
  type OnnxModel,
  type OnnxNode,
} from "../src/io/onnx-proto.js";
import { exportOnnx, onnxModelOf } from "../src/models/onnx-export.js";
import { importOnnx, modelFromOnnx, sameLayers } from "../src/models/onnx-import.js";
import { presetSpec } from "../src/models/presets.js";
import { SpecModel, type ModelSpec } from "../src/models/spec.js";
import { traceSpec } from "../src/models/trace.js";
import { useBackend } from "../src/node/backend.js";
import { MNIST } from "../src/node/mnist.js";
import { loadTrainedModel } from "../src/node/model-file.js";
import { loadSafetensorsFile } from "../src/node/safetensors-file.js";
import { argmax } from "../src/ops/reduce.js";
import { manualSeed, rand } from "../src/index.js";
import { tidy } from "../src/tensor/scope.js";
import { Tensor } from "../src/tensor/tensor.js";
import { assertClose, type Tolerance } from "./helpers/close.js";

await useBackend("wasm");

const FIXTURES = resolve(import.meta.dirname, "fixtures", "trained");
const TORCH_ONNX = join(FIXTURES, "seed-1epoch.onnx");

/** onnx.json, written by scripts/make_onnx_fixture.py. */
interface TorchOnnx {
  torch_version: string;
  opset: number;
  test: { total: number; correct: number; accuracy: number };
  first: { labels: number[]; logits: number[][]; argmax: number[] };
}
const torch = JSON.parse(readFileSync(join(FIXTURES, "onnx.json"), "utf8")) as TorchOnnx;

/**
 * The tolerance between two float32 implementations of the same model, |a − e| ≤ 1e-5 + 1e-6·|e|: the logits (|x| up
 * to ~22) are float32 sums of 9, 144 and 800 (seed) or 288 (conv3) products, which ONNX Runtime's MLAS kernels,
 * PyTorch's and convlab's add up in different orders, so they differ in their last bits (measured: at most 9.5e-6,
 * 5 ulp of a logit of 19; the relative part keeps a few ulp of headroom at any magnitude, as another CPU's kernels
 * may round otherwise). A wrong weight, layout or transposition changes them by 0.1 or more.
 */
const LOGITS: Tolerance = { atol: 1e-5, rtol: 1e-6 };

let testSet: MnistDataset;
let dir: string;
before(async () => {
  testSet = await MNIST({ train: false });
  dir = mkdtempSync(join(tmpdir(), "convlab-onnx-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Test images [start, end) as one [B, 1, 28, 28] batch, as ToTensor makes them, with their labels. */
function images(start: number, end: number): { inputs: Tensor; labels: Int32Array } {
  return testSet.getBatch(Int32Array.from({ length: end - start }, (_, i) => start + i));
}

/** convlab's logits for the test images [0, count), batch by batch (no gradients). */
function convlabLogits(model: SpecModel, count: number, batchSize: number): Float32Array {
  const out = new Float32Array(count * 10);
  noGrad(() => {
    for (let start = 0; start < count; start += batchSize) {
      const { inputs } = images(start, Math.min(count, start + batchSize));
      tidy(() => out.set(model.forward(inputs).data, start * 10));
    }
  });
  return out;
}

/** ONNX Runtime's output for one input batch. */
async function ortRun(
  session: ort.InferenceSession,
  inputs: Tensor,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const feed = new ort.Tensor("float32", inputs.data as Float32Array, inputs.shape as number[]);
  const result = await session.run({ [session.inputNames[0]]: feed });
  const output = result[session.outputNames[0]];
  return { data: output.data as Float32Array, dims: output.dims };
}

/** The largest |a[i] − b[i]|, and where. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): { value: number; index: number } {
  assert.equal(a.length, b.length);
  let worst = { value: 0, index: -1 };
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst.value)) worst = { value: d, index: i };
  }
  return worst;
}

/** The argmax of each row of 10 logits. */
function argmaxRows(logits: Float32Array): Int32Array {
  return argmax(new Tensor(logits, [logits.length / 10, 10]), 1).data as Int32Array;
}

/** The bits of a float32 array, to compare weights exactly (and tell −0 from 0, NaN from NaN). */
const bits = (data: ArrayLike<number>) => new Uint32Array(Float32Array.from(data).buffer);

/** The same keys (in the same order, unless `anyOrder`: a safetensors file sorts them) and the same weights. */
function assertSameWeights(
  actual: Record<string, Tensor>,
  expected: Record<string, Tensor>,
  label: string,
  anyOrder = false,
): void {
  const keys = (t: Record<string, Tensor>) => (anyOrder ? Object.keys(t).sort() : Object.keys(t));
  assert.deepEqual(keys(actual), keys(expected), `${label}: state-dict keys${anyOrder ? "" : ", in order"}`);
  for (const [key, tensor] of Object.entries(expected)) {
    assert.deepEqual(actual[key].shape, tensor.shape, `${label}: ${key} shape`);
    assert.deepEqual(bits(actual[key].data), bits(tensor.data), `${label}: ${key}, bit for bit`);
  }
}

/** A small spec that exercises what the presets do not: pairs, strides, padding, no bias, unnamed and reused layers. */
const SMALL: ModelSpec = {
  name: "small",
  input: [2, 12, 10],
  layers: [
    {
      type: "Conv2d",
      in_channels: 2,
      out_channels: 4,
      kernel_size: [3, 2],
      stride: [2, 1],
      padding: [1, 0],
      bias: false,
    },
    { name: "act", type: "ReLU" },
    { name: "same", type: "Conv2d", in_channels: 4, out_channels: 4, kernel_size: 3, padding: 1 },
    { use: "same" },
    { type: "MaxPool2d", kernel_size: [2, 3], stride: 1, padding: 1 },
    { use: "act" },
    { type: "Flatten" },
    { name: "head", type: "Linear", in_features: 4 * 7 * 9, out_features: 6, bias: false },
    { type: "ReLU" },
    { name: "out", type: "Linear", in_features: 6, out_features: 5 },
  ],
};

/** A fresh ONNX Runtime session on the CPU, one thread, so the numbers do not depend on the machine's cores. */
const session = (bytes: Uint8Array) =>
  ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ["cpu"] });

describe("(a) ONNX Runtime runs convlab's export and agrees with convlab", () => {
  for (const arch of ["seed", "conv3"] as const) {
    test(`${arch} (PyTorch-trained weights) on the 10,000 test images, batches of 64`, async (t) => {
      const { model } = loadTrainedModel(join(FIXTURES, `${arch}-1epoch.safetensors`));
      const bytes = exportOnnx(model);
      const onnx = decodeOnnxModel(bytes, arch);
      assert.equal(onnx.irVersion, 7);
      assert.deepEqual(onnx.opsetImport, [{ domain: "", version: 13 }]);
      assert.equal(onnx.producerName, "convlab");
      assert.deepEqual(
        onnx.graph.initializer.map((i) => [i.name, i.dataType, i.rawData?.length]),
        Object.entries(model.stateDict()).map(([k, v]) => [k, DataType.FLOAT, 4 * v.numel()]),
        "initializers named as the state dict, float32 in raw_data",
      );
      const s = await session(bytes);
      assert.deepEqual([s.inputNames, s.outputNames], [["input"], ["logits"]]);

      const count = testSet.length;
      const expected = convlabLogits(model, count, 1000);
      const actual = new Float32Array(count * 10);
      for (let start = 0; start < count; start += 64) {
        const { inputs } = images(start, Math.min(count, start + 64));
        const { data, dims } = await ortRun(s, inputs);
        assert.deepEqual(dims, [inputs.shape[0], 10]);
        actual.set(data, start * 10);
      }
      const diff = maxAbsDiff(actual, expected);
      t.diagnostic(
        `${arch}: max |ONNX Runtime − convlab| over ${count} × 10 logits = ${diff.value.toExponential(2)} ` +
          `(at a logit of ${expected[diff.index]})`,
      );
      assertClose(actual, expected, LOGITS, `${arch}: ONNX Runtime's logits`);
      assert.deepEqual(argmaxRows(actual), argmaxRows(expected), `${arch}: every argmax equal`);
      await s.release();
    });
  }

  test("the batch dimension is dynamic: batches of 1 and 64 give the same logits", async () => {
    const { model } = loadTrainedModel(join(FIXTURES, "seed-1epoch.safetensors"));
    const s = await session(exportOnnx(model));
    const expected = convlabLogits(model, 64, 64);
    const one = await ortRun(s, images(0, 1).inputs);
    assert.deepEqual(one.dims, [1, 10]);
    const many = await ortRun(s, images(0, 64).inputs);
    assert.deepEqual(many.dims, [64, 10]);
    assertClose(one.data, expected.subarray(0, 10), LOGITS, "batch of 1");
    assertClose(many.data, expected, LOGITS, "batch of 64");
    await s.release();
  });

  test("a spec model with pairs, strides, padding, no bias and reused layers", async (t) => {
    manualSeed(3);
    const model = new SpecModel(SMALL);
    const onnx = onnxModelOf(model);
    assert.deepEqual(
      onnx.graph.node.map((n) => [n.opType, n.name]),
      [
        ["Conv", "/Conv"],
        ["Relu", "/act/Relu"],
        ["Conv", "/same/Conv"],
        ["Conv", "/same_1/Conv"],
        ["MaxPool", "/MaxPool"],
        ["Relu", "/act_1/Relu"],
        ["Flatten", "/Flatten"],
        ["Gemm", "/head/Gemm"],
        ["Relu", "/Relu"],
        ["Gemm", "/out/Gemm"],
      ],
      "one node per layer, a reused layer again on the same weights",
    );
    assert.deepEqual(onnx.graph.node[3].input, ["/same/Conv_output_0", "same.weight", "same.bias"]);
    assert.deepEqual(onnx.graph.output[0].tensorType?.shape, [{ param: "batch" }, { value: 5 }]);
    const s = await session(encodeOnnxModel(onnx));
    const x = rand([7, 2, 12, 10]);
    const expected = noGrad(() => model.forward(x)).data as Float32Array;
    const { data, dims } = await ortRun(s, x);
    assert.deepEqual(dims, [7, 5]);
    const diff = maxAbsDiff(data, expected);
    t.diagnostic(`small: max |ONNX Runtime − convlab| = ${diff.value.toExponential(2)}`);
    assertClose(data, expected, LOGITS, "small: ONNX Runtime's output");
    await s.release();
  });
});

describe("(b) PyTorch's ONNX export of the tutorial's model loads and predicts as PyTorch", () => {
  test(`seed-1epoch.onnx (torch ${torch.torch_version}, opset ${torch.opset}): the count and the logits`, (t) => {
    const { choice, model } = loadTrainedModel(TORCH_ONNX);
    assert.equal(choice.arch, "seed", "torch's graph is the seed preset");
    const { tensors } = loadSafetensorsFile(join(FIXTURES, "seed-1epoch.safetensors"));
    assertSameWeights(model.stateDict(), tensors, "the weights torch exported", true);

    const logits = convlabLogits(model, testSet.length, 1000);
    const predicted = argmaxRows(logits);
    let correct = 0;
    for (let i = 0; i < testSet.length; i++)
      if (predicted[i] === testSet.getBatch(Int32Array.of(i)).labels[0]) correct++;
    assert.equal(correct, torch.test.correct, "PyTorch's count of correct test images, exactly");

    const first = logits.subarray(0, 10 * torch.first.logits.length);
    const diff = maxAbsDiff(first, torch.first.logits.flat());
    t.diagnostic(
      `max |convlab − PyTorch| over the first ${torch.first.logits.length} × 10 logits = ${diff.value.toExponential(2)}`,
    );
    assertClose(first, torch.first.logits.flat(), LOGITS, "logits against PyTorch's");
    assert.deepEqual(Array.from(predicted.subarray(0, torch.first.argmax.length)), torch.first.argmax);
  });

  test("its graph, as torch wrote it", () => {
    const onnx = decodeOnnxModel(readFileSync(TORCH_ONNX), TORCH_ONNX);
    assert.equal(onnx.producerName, "pytorch");
    assert.deepEqual(
      onnx.graph.node.map((n) => n.opType),
      ["Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm"],
    );
    const imported = importOnnx(readFileSync(TORCH_ONNX), TORCH_ONNX);
    assert.equal(imported.specFromMetadata, false);
    assert.equal(imported.opset, 13);
    assert.equal(imported.producer, "pytorch 1.13.0");
    assert.deepEqual([imported.inputName, imported.outputName], ["input", "logits"]);
  });

  test("convlab export of PyTorch's file runs in ONNX Runtime as PyTorch's file does", async () => {
    const out = join(dir, "from-torch.onnx");
    const log = captureLog(() => exportCommand({ weights: TORCH_ONNX, format: "onnx", out, json: true }));
    const printed = JSON.parse(log) as Record<string, unknown>;
    assert.equal(printed.out, out);
    assert.equal(printed.arch, "seed");
    assert.equal(printed.parameters, 16 * 9 + 16 + 32 * 16 * 9 + 32 + 800 * 10 + 10);
    assert.deepEqual(printed.input, { name: "input", shape: ["batch", 1, 28, 28] });
    const [ours, theirs] = await Promise.all([session(readFileSync(out)), session(readFileSync(TORCH_ONNX))]);
    const { inputs } = images(0, 256);
    const [a, b] = [await ortRun(ours, inputs), await ortRun(theirs, inputs)];
    assertClose(a.data, b.data, LOGITS, "convlab's export against torch's, both in ONNX Runtime");
    await Promise.all([ours.release(), theirs.release()]);
  });
});

/** What `fn` printed with console.log, as one string. */
function captureLog(fn: () => unknown): string {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    fn();
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

/** The seed model exported with seeded random weights, as a message to edit. */
function seedOnnx(): OnnxModel {
  manualSeed(0);
  return onnxModelOf(new SpecModel(presetSpec("seed")));
}

/** `fn` must throw an OnnxError with `code` whose message names `file` and contains every one of `parts`. */
function assertOnnxError(fn: () => unknown, code: string, file: string, ...parts: string[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof OnnxError, `expected an OnnxError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.source, file);
    assert.ok(error.message.includes(file), error.message);
    for (const part of parts) assert.ok(error.message.includes(part), `'${part}' in: ${error.message}`);
    return true;
  });
}

describe("(c) files convlab cannot read are errors naming the file", () => {
  test("a truncated file", () => {
    const bytes = encodeOnnxModel(seedOnnx());
    const path = join(dir, "cut.onnx");
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    assertOnnxError(() => loadTrainedModel(path), "E_ONNX_TRUNCATED", path, "cut short", "export it again");
  });

  test("any cut of the file is an OnnxError, never a garbage model, a hang or another error", () => {
    const bytes = encodeOnnxModel(seedOnnx());
    let truncated = 0;
    // Every length up to 300 (the headers and the first fields), then every 37th: about 1,700 cuts.
    for (let n = 0; n < bytes.length; n += n < 300 ? 1 : 37) {
      assert.throws(
        () => importOnnx(bytes.subarray(0, n), "cut.onnx"),
        (error: unknown) => error instanceof OnnxError && error.source === "cut.onnx",
        `cut at ${n} of ${bytes.length} bytes`,
      );
      truncated++;
    }
    assert.ok(truncated > 1000);
  });

  test("a file that is not ONNX", () => {
    const path = join(dir, "notes.onnx");
    writeFileSync(path, "these are not the weights you are looking for\n");
    assertOnnxError(() => loadTrainedModel(path), "E_ONNX_INVALID", path, "not an ONNX model");
    const empty = join(dir, "empty.onnx");
    writeFileSync(empty, new Uint8Array(0));
    assertOnnxError(() => loadTrainedModel(empty), "E_ONNX_INVALID", empty, "no ir_version");
  });

  test("a missing file", () => {
    const path = join(dir, "missing.onnx");
    assertOnnxError(() => loadTrainedModel(path), "E_ONNX_FILE_NOT_FOUND", path, "no such file", "convlab export");
  });

  test("an unsupported operator names the node and what convlab supports", () => {
    const onnx = seedOnnx();
    onnx.graph.node[1].opType = "Sigmoid";
    const path = join(dir, "sigmoid.onnx");
    writeFileSync(path, encodeOnnxModel(onnx));
    assertOnnxError(
      () => loadTrainedModel(path),
      "E_ONNX_UNSUPPORTED_OP",
      path,
      "node 1 (Sigmoid '/Relu')",
      "Conv",
      "Gemm",
    );
  });

  test("an unsupported attribute value names the node", () => {
    const onnx = seedOnnx();
    const pool = onnx.graph.node[2];
    pool.attribute.find((a) => a.name === "ceil_mode")!.i = 1;
    const path = join(dir, "ceil.onnx");
    writeFileSync(path, encodeOnnxModel(onnx));
    assertOnnxError(
      () => loadTrainedModel(path),
      "E_ONNX_UNSUPPORTED_OP",
      path,
      "node 2 (MaxPool '/pool/MaxPool')",
      "ceil_mode",
    );
  });

  test("a graph that is not one chain", () => {
    const onnx = seedOnnx();
    onnx.graph.node[3].input[0] = "/conv1/Conv_output_0"; // conv2 reads conv1's output, skipping relu and pool
    const path = join(dir, "branch.onnx");
    writeFileSync(path, encodeOnnxModel(onnx));
    assertOnnxError(
      () => loadTrainedModel(path),
      "E_ONNX_UNSUPPORTED_GRAPH",
      path,
      "node 3 (Conv '/conv2/Conv')",
      "one chain",
    );
  });

  test("a file with ONNX bytes but another extension is still read as ONNX", () => {
    const path = join(dir, "model.bin");
    writeFileSync(path, readFileSync(TORCH_ONNX));
    assert.equal(loadTrainedModel(path).choice.arch, "seed");
  });
});

describe("(d) export → import gives back the spec and the weights", () => {
  const cases: [string, () => SpecModel][] = [
    ["seed", () => loadTrainedModel(join(FIXTURES, "seed-1epoch.safetensors")).model],
    ["conv3", () => loadTrainedModel(join(FIXTURES, "conv3-1epoch.safetensors")).model],
    [
      "the small spec",
      () => {
        manualSeed(4);
        return new SpecModel(SMALL);
      },
    ],
  ];
  for (const [label, make] of cases) {
    test(label, () => {
      const model = make();
      const imported = importOnnx(exportOnnx(model), `${label}.onnx`);
      assert.equal(imported.specFromMetadata, true);
      assert.deepEqual(imported.spec, model.spec);
      assertSameWeights(imported.tensors, model.stateDict(), label);

      // Without convlab's metadata, as another tool might save it: the spec read from the graph alone computes the
      // same, with the same keys (only the names of parameterless layers and the reuse of pooling are lost).
      const onnx = onnxModelOf(model);
      onnx.metadataProps = [];
      const bare = importOnnx(encodeOnnxModel(onnx), `${label}.onnx`);
      assert.equal(bare.specFromMetadata, false);
      assert.ok(sameLayers(bare.spec, model.spec), JSON.stringify(bare.spec));
      assertSameWeights(bare.tensors, model.stateDict(), `${label} without metadata`);
    });
  }

  test("weights in float_data instead of raw_data", () => {
    const { model } = loadTrainedModel(join(FIXTURES, "seed-1epoch.safetensors"));
    const onnx = onnxModelOf(model);
    for (const init of onnx.graph.initializer) {
      init.floatData = Array.from(new Float32Array(init.rawData!.slice().buffer));
      delete init.rawData;
    }
    const imported = importOnnx(encodeOnnxModel(onnx), "float-data.onnx");
    assertSameWeights(imported.tensors, model.stateDict(), "float_data");
  });

  test("Reshape to a Constant shape, MatMul + Add and onnx:: initializer names, as other exports write them", async () => {
    const { model } = loadTrainedModel(join(FIXTURES, "seed-1epoch.safetensors"));
    const onnx = onnxModelOf(model);
    onnx.metadataProps = [];
    const g = onnx.graph;
    const w = model.stateDict()["fc1.weight"];
    // fc1 as MatMul(x, Wᵀ) then Add(bias, ·), torch's form of nn.Linear on inputs of more than 2 dimensions.
    const wT = new Float32Array(800 * 10);
    for (let o = 0; o < 10; o++) for (let i = 0; i < 800; i++) wT[i * 10 + o] = w.data[o * 800 + i];
    const init = g.initializer.find((t) => t.name === "fc1.weight")!;
    Object.assign(init, { name: "onnx::MatMul_21", dims: [800, 10], rawData: new Uint8Array(wT.buffer) });
    const flatten = g.node.findIndex((n) => n.opType === "Flatten");
    const node = (
      opType: string,
      input: string[],
      output: string,
      attribute: OnnxNode["attribute"] = [],
    ): OnnxNode => ({
      opType,
      input,
      output: [output],
      name: `/${opType}`,
      domain: "",
      attribute,
      docString: "",
    });
    const shape = {
      ...g.initializer[0],
      name: "",
      dims: [2],
      dataType: DataType.INT64,
      rawData: new Uint8Array(new BigInt64Array([-1n, 800n]).buffer),
    };
    const before = g.node[flatten - 1].output[0];
    g.node.splice(
      flatten,
      2,
      node("Constant", [], "shape", [
        { name: "value", type: 4, t: shape, floats: [], ints: [], strings: [], tensors: [] },
      ]),
      node("Reshape", [before, "shape"], "flat"),
      node("MatMul", ["flat", "onnx::MatMul_21"], "mm"),
      node("Add", ["fc1.bias", "mm"], "logits"),
    );
    // Rename conv1's weight as torch does when it cannot keep a module's name: the layer is then called conv1 anyway.
    g.initializer.find((t) => t.name === "conv1.weight")!.name = "onnx::Conv_12";
    g.node[0].input[1] = "onnx::Conv_12";
    const bytes = encodeOnnxModel(onnx);

    const imported = importOnnx(bytes, "variants.onnx");
    assert.ok(sameLayers(imported.spec, model.spec), JSON.stringify(imported.spec));
    assertSameWeights(imported.tensors, model.stateDict(), "variants");
    const { choice } = modelFromOnnx(bytes, "variants.onnx");
    assert.equal(choice.arch, "seed");
    // ONNX Runtime agrees that this graph computes the same logits.
    const s = await session(bytes);
    const { inputs } = images(0, 64);
    assertClose((await ortRun(s, inputs)).data, convlabLogits(model, 64, 64), LOGITS, "the variant graph");
    await s.release();
  });

  test("the spec's shapes are checked: a model read from the graph is traced", () => {
    const { model } = loadTrainedModel(join(FIXTURES, "conv3-1epoch.safetensors"));
    const imported = importOnnx(exportOnnx(model), "conv3.onnx");
    assert.deepEqual(traceSpec(imported.spec).output, [1, 10]);
  });
});
