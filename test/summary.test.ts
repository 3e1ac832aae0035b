import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { MnistCNN, presetSpec, rand, traceSpec, type ModelSpec } from "../src/index.js";
import { loadSafetensorsFile } from "../src/node/safetensors-file.js";
import { writeTinyMnist } from "./helpers/idx.js";
import { convlab, type Run } from "./helpers/cli.js";

const TMP = mkdtempSync(join(tmpdir(), "convlab-summary-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/**
 * The tutorial's sizes and counts worked out by hand, independently of the tracer: each block is conv 3×3 (stride 1,
 * no padding), then pool 2×2 (stride 2); a conv's mult-adds are (weights + biases) per output position, as torchinfo.
 */
function byHand(channels: number[]) {
  let size = 28;
  const sizes = [size];
  let params = 0;
  let multAdds = 0;
  for (let i = 1; i < channels.length; i++) {
    size = Math.floor((size - 3) / 1) + 1;
    const perPosition = channels[i] * channels[i - 1] * 9 + channels[i];
    params += perPosition;
    multAdds += perPosition * size * size;
    sizes.push(size);
    size = Math.floor((size - 2) / 2) + 1;
    sizes.push(size);
  }
  const features = channels[channels.length - 1] * size * size;
  params += 10 * features + 10;
  multAdds += 10 * features + 10;
  return { sizes, features, params, multAdds };
}

for (const [arch, channels] of [
  ["seed", [1, 16, 32]],
  ["conv3", [1, 16, 32, 64]],
] as const) {
  test(`the ${arch} trace agrees with the sizes and counts worked out by hand and with the model`, () => {
    const trace = traceSpec(presetSpec(arch));
    const expected = byHand([...channels]);
    assert.equal(trace.params, expected.params);
    assert.equal(trace.params, new MnistCNN(arch).numParameters(), "params = the built model's");
    assert.equal(trace.multAdds, expected.multAdds);
    const spatial = trace.rows.filter((r) => r.output.length === 4 && r.layer.type !== "ReLU").map((r) => r.output[2]);
    assert.deepEqual([28, ...spatial], expected.sizes);
    const fc1 = trace.rows.find((r) => r.key === "fc1")!;
    assert.deepEqual(fc1.input, [1, expected.features]);
    assert.deepEqual(trace.output, new MnistCNN(arch).forward(rand([1, 1, 28, 28])).shape);
  });
}

const show = (run: Run) => `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;

function failed(run: Run, ...fragments: string[]): void {
  assert.notEqual(run.code, 0, show(run));
  assert.equal(run.stdout, "", show(run));
  for (const fragment of fragments) assert.ok(run.stderr.includes(fragment), `"${fragment}" not in:\n${run.stderr}`);
}

function specFile(name: string, spec: unknown): string {
  const path = join(TMP, name);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return path;
}

test("convlab summary --arch conv3 prints each layer with its formula, and totals that match the hand count", async () => {
  const run = await convlab("summary", "--arch", "conv3");
  assert.equal(run.code, 0, show(run));
  const expected = byHand([1, 16, 32, 64]);
  const lines = run.stdout.split("\n");
  const row = (start: string) =>
    lines.find((l) => l.trimStart().startsWith(start)) ?? assert.fail(`${start}?\n${run.stdout}`);
  assert.match(row("conv1 (Conv2d)"), /\[1, 16, 26, 26\] +28 → ⌊\(28 \+ 2·0 − 3\) \/ 1⌋ \+ 1 = 26 +160 +108,160$/);
  assert.match(row("pool (MaxPool2d) "), /\[1, 16, 13, 13\] +26 → ⌊\(26 \+ 2·0 − 2\) \/ 2⌋ \+ 1 = 13/);
  assert.match(row("conv3 (Conv2d)"), /\[1, 64, 3, 3\] +5 → ⌊\(5 \+ 2·0 − 3\) \/ 1⌋ \+ 1 = 3/);
  assert.match(row("[9] Flatten"), /\[1, 64\] +64×1×1 = 64/);
  assert.match(row("fc1 (Linear)"), /\[1, 10\] +64 = 64×1×1 → 10 +650 +650$/);
  const number = (label: string) => Number(row(label).split(":")[1].replace(/,/g, ""));
  assert.equal(number("Total params"), expected.params);
  assert.equal(number("Mult-adds per image"), expected.multAdds);
  assert.ok(run.stdout.includes("fc1 takes 64 inputs"), run.stdout);
  assert.ok(run.stdout.includes("→ 5 (pool) → 3 (conv3) → 1 (pool)"), run.stdout);
  assert.ok(run.stdout.includes("Flatten turns 64×1×1 into 64"), run.stdout);

  const json = await convlab("summary", "--arch", "seed", "--format", "json");
  assert.equal(json.code, 0, show(json));
  const summary = JSON.parse(json.stdout) as {
    params: number;
    multAdds: number;
    layers: { key: string; output: number[] }[];
  };
  const seed = byHand([1, 16, 32]);
  assert.equal(summary.params, seed.params);
  assert.equal(summary.multAdds, seed.multAdds);
  assert.deepEqual(summary.layers.find((l) => l.key === "fc1")?.output, [1, 10]);
});

test("summary --lang vi prints the same table and totals in Vietnamese; its JSON is the same", async () => {
  const [vi, en, viJson, enJson] = await Promise.all([
    convlab("summary", "--arch", "conv3", "--lang", "vi"),
    convlab("summary", "--arch", "conv3", "--lang", "en"),
    convlab("summary", "--arch", "conv3", "--json", "--lang", "vi"),
    convlab("summary", "--arch", "conv3", "--json", "--lang", "en"),
  ]);
  for (const run of [vi, en, viJson, enJson]) assert.equal(run.code, 0, show(run));
  const expected = byHand([1, 16, 32, 64]);
  const lines = vi.stdout.split("\n");
  const row = (start: string) =>
    lines.find((l) => l.trimStart().startsWith(start)) ?? assert.fail(`${start}?\n${vi.stdout}`);
  assert.match(
    lines[0],
    /^Mô hình 'conv3', một ảnh \(batch size 1\); công thức kích thước là ⌊\(H \+ 2·P − F\) \/ S⌋ \+ 1$/,
  );
  assert.match(
    row("Lớp (loại)"),
    /^ {2}Lớp \(loại\) +Kích thước đầu ra +Cách tính kích thước +Số tham số +Phép nhân-cộng$/,
  );
  assert.match(row("đầu vào"), /\[1, 1, 28, 28\]$/);
  assert.match(row("[1] ReLU"), /max\(0, x\), giữ nguyên kích thước/);
  assert.match(row("pool (MaxPool2d) lần nữa  [1, 64, 1, 1]"), /\(dùng lại\) +0$/);
  assert.equal(row("Tổng số tham số"), `  Tổng số tham số: ${expected.params.toLocaleString("en-US")}`);
  assert.equal(row("Phép nhân-cộng mỗi ảnh"), `  Phép nhân-cộng mỗi ảnh: ${expected.multAdds.toLocaleString("en-US")}`);
  assert.ok(vi.stdout.includes("fc1 nhận 64 đầu vào: ảnh 28×28 nhỏ dần 28 → 26 (conv1) →"), vi.stdout);
  assert.ok(vi.stdout.includes("rồi Flatten biến 64×1×1 thành 64"), vi.stdout);
  // The same rows: every formula and count of the English table is in the Vietnamese one.
  const formulas = (stdout: string) =>
    [...stdout.matchAll(/\d+ → ⌊.*?⌋ \+ 1 = \d+|\d{1,3}(,\d{3})+/g)].map((m) => m[0]);
  assert.deepEqual(formulas(vi.stdout), formulas(en.stdout));
  assert.equal(viJson.stdout, enJson.stdout, "--json is language-neutral");
});

test("summary and train refuse a spec that does not fit, with its shapes and the fix, before any training", async () => {
  const spec = presetSpec("conv3");
  Object.assign(spec.layers[10], { in_features: 800 });
  const path = specFile("old-fc1.json", spec);
  failed(
    await convlab("summary", "--arch", path),
    `${path}: the model 'conv3' does not fit: fc1 expects 800 inputs, but the layer before gives 64 = 64×1×1; set in_features to 64`,
    "[9] Flatten",
  );
  const out = join(TMP, "never");
  failed(
    await convlab("train", "--arch", path, "--data-dir", join(TMP, "no-data"), "--out", out),
    "set in_features to 64",
  );
});

test("a bad spec file is an error naming the file and the JSON path of each problem", async () => {
  const spec = presetSpec("seed") as unknown as { layers: Record<string, unknown>[] };
  spec.layers[3] = { name: "conv2", type: "Conv2d", in_channels: 16, out_channels: -32, kernal_size: 3 };
  spec.layers[1] = { type: "Softmax" };
  const path = specFile("typo.json", spec);
  failed(
    await convlab("summary", "--arch", path),
    `${path} is not a valid model spec:`,
    'layers[1].type: unknown layer type "Softmax"',
    "layers[3].out_channels: must be a whole number ≥ 1, got -32",
    "layers[3].kernal_size: unknown key; did you mean kernel_size?",
  );
  const broken = join(TMP, "broken.json");
  writeFileSync(broken, "{ layers: ");
  failed(await convlab("summary", "--arch", broken), `${broken}: not valid JSON`);
  failed(await convlab("summary", "--arch", join(TMP, "missing.json")), "no such model spec file");
});

test("a spec file trains through the CLI and evaluates back from the weights alone", { timeout: 90_000 }, async () => {
  const data = join(TMP, "data");
  writeTinyMnist(data, { train: 64, test: 20, seed: 4 });
  // A small custom model: one conv with padding, the pool reused, an unnamed hidden Linear.
  const spec: ModelSpec = {
    name: "tiny",
    input: [1, 28, 28],
    layers: [
      { name: "conv1", type: "Conv2d", in_channels: 1, out_channels: 4, kernel_size: 3, padding: 1 },
      { type: "ReLU" },
      { name: "pool", type: "MaxPool2d", kernel_size: 2 },
      { use: "pool" },
      { type: "Flatten" },
      { name: "fc1", type: "Linear", in_features: 4 * 7 * 7, out_features: 10 },
    ],
  };
  const path = specFile("tiny.json", spec);
  const out = join(TMP, "tiny-run");
  const trained = await convlab("train", "--arch", path, "--data-dir", data, "--out", out, "--epochs", "1", "--json");
  assert.equal(trained.code, 0, show(trained));
  const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as {
    config: { arch: string; spec: ModelSpec };
    test: { accuracy: number; confusion: number[][] };
    parameters: number;
  };
  assert.equal(metrics.config.arch, path);
  assert.deepEqual(metrics.config.spec, spec);
  assert.equal(metrics.parameters, 4 * 9 + 4 + 10 * 196 + 10);
  const { tensors, metadata } = loadSafetensorsFile(join(out, "model.safetensors"));
  assert.deepEqual(JSON.parse(metadata.spec), spec);
  assert.equal(metadata.arch, "tiny");
  assert.deepEqual(Object.keys(tensors).sort(), ["conv1.bias", "conv1.weight", "fc1.bias", "fc1.weight"]);

  // The spec file is gone: eval rebuilds the model from the metadata.
  rmSync(path);
  const evaluated = await convlab("eval", "--weights", join(out, "model.safetensors"), "--data-dir", data, "--json");
  assert.equal(evaluated.code, 0, show(evaluated));
  const result = JSON.parse(evaluated.stdout) as { arch: string; accuracy: number; confusion: number[][] };
  assert.equal(result.arch, "tiny");
  assert.equal(result.accuracy, metrics.test.accuracy);
  assert.deepEqual(result.confusion, metrics.test.confusion);
});
