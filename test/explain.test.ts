import "./helpers/backend.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import {
  ExplainInputError,
  TUTORIAL,
  allTopics,
  explain,
  parseMatrix,
  renderMarkdown,
  renderText,
  toDocument,
  toMatrix,
  type Matrix,
  type TopicResult,
} from "../src/explain/index.js";
import { check } from "../src/explain/checks.js";
import { localeLang } from "../cli/options.js";
import { assertClose } from "./helpers/close.js";
import { assertSnapshot } from "./helpers/snapshot.js";

// Independent references, written as plainly as the tutorial's formulas: the explanations must agree with them.
// Tolerance: float64 sums of a few terms, so 1e-12 absolute.
const TOL = { atol: 1e-12, rtol: 0 };

function refConv(image: Matrix, kernel: Matrix, stride = 1, padding = 0, bias = 0): Matrix {
  const at = (r: number, c: number) => image[r - padding]?.[c - padding] ?? 0;
  const outH = Math.floor((image.length - kernel.length + 2 * padding) / stride) + 1;
  const outW = Math.floor((image[0].length - kernel[0].length + 2 * padding) / stride) + 1;
  const out: Matrix = [];
  for (let i = 0; i < outH; i++) {
    out.push([]);
    for (let j = 0; j < outW; j++) {
      let s = bias;
      for (let m = 0; m < kernel.length; m++)
        for (let n = 0; n < kernel[0].length; n++) s += at(i * stride + m, j * stride + n) * kernel[m][n];
      out[i].push(s);
    }
  }
  return out;
}

function refPool(map: Matrix, f = 2, s = 2): Matrix {
  const out: Matrix = [];
  for (let i = 0; i + f <= map.length; i += s) {
    out.push([]);
    for (let j = 0; j + f <= map[0].length; j += s) {
      let best = -Infinity;
      for (let m = 0; m < f; m++) for (let n = 0; n < f; n++) best = Math.max(best, map[i + m][j + n]);
      out[out.length - 1].push(best);
    }
  }
  return out;
}

const refRelu = (m: Matrix): Matrix => m.map((r) => r.map((v) => (v > 0 ? v : 0)));
const flat = (m: Matrix) => m.flat();

function topic<T extends TopicResult["topic"]>(results: TopicResult[], name: T): Extract<TopicResult, { topic: T }> {
  const found = results.find((r) => r.topic === name);
  assert.ok(found, `no ${name}`);
  return found as Extract<TopicResult, { topic: T }>;
}

const tutorial = explain(allTopics(false));

test("conv: the feature map of the '7' and every window agree with the formula computed by loops", () => {
  const { conv } = topic(tutorial.topics, "conv");
  const expected = refConv(TUTORIAL.image, TUTORIAL.kernel);
  assert.equal(conv.featureMap.length, 3);
  assertClose(flat(conv.featureMap), flat(expected), TOL, "S");
  for (const w of conv.windows) {
    let s = 0;
    for (let m = 0; m < 3; m++)
      for (let n = 0; n < 3; n++) {
        assert.equal(w.window[m][n], TUTORIAL.image[w.i + m][w.j + n], `window (${w.i},${w.j})`);
        // + 0 turns the −0 of 0·(−1) into the 0 the explanation shows.
        assert.equal(w.products[m][n], TUTORIAL.image[w.i + m][w.j + n] * TUTORIAL.kernel[m][n] + 0);
        s += w.products[m][n];
      }
    assertClose([w.sum], [s], TOL, `sum (${w.i},${w.j})`);
  }
});

test("the tutorial's printed numbers are checked: right ones agree, wrong ones are found cell by cell", () => {
  const verdicts = Object.fromEntries(tutorial.topics.flatMap((t) => t.checks).map((c) => [c.id, c.agrees]));
  assert.deepEqual(verdicts, {
    "conv.window00": true,
    "conv.products00": true,
    "conv.sum00": true,
    "conv.window11": false,
    "conv.products11": false,
    "conv.sum11": true,
    "conv.featureMap": false,
    "padding.outputSize": true,
    "relu.featureMap": false,
    "relu.negatives": true,
    "pool.maxima": true,
    "pool.output": true,
    "fc.y0": true,
    "fc.y1Line": false,
    "fc.y": true,
    "fc.decision": true,
    "pipeline.noNegatives": false,
  });
  // The cells where the printed S = [[2,1,0],[1,0,0],[0,0,1]] differs from the loops' S.
  const mapCheck = topic(tutorial.topics, "conv").checks.find((c) => c.id === "conv.featureMap");
  const expected = refConv(TUTORIAL.image, TUTORIAL.kernel);
  const differing = TUTORIAL.printedFeatureMap.flatMap((r, i) =>
    r.flatMap((v, j) => (v === expected[i][j] ? [] : [`${i},${j}`])),
  );
  assert.deepEqual(
    mapCheck?.mismatches.map((x) => `${x.i},${x.j}`),
    differing,
  );
  // The window at (1,1) differs in its last row only.
  const w11 = topic(tutorial.topics, "conv").checks.find((c) => c.id === "conv.window11");
  assert.deepEqual(
    w11?.mismatches.map((x) => x.i),
    [2, 2],
  );
});

test("check() compares matrices and numbers within float rounding, and a shape mismatch never agrees", () => {
  assert.equal(check("a", "1", [[0.1 + 0.2]], [[0.3]]).agrees, true);
  assert.equal(check("a", "1", 2.4, 0.5 * 2 + 0.2 + 0.3 + 0.8 + 0.1).agrees, true);
  const wrong = check("a", "1", [[1, 2]], [[1, 3]]);
  assert.equal(wrong.agrees, false);
  assert.deepEqual(wrong.mismatches, [{ i: 0, j: 1, printed: 2, computed: 3 }]);
  assert.equal(check("a", "1", [[1]], [[1, 0]]).agrees, false);
  assert.equal(check("a", "1", "-", -0.5).agrees, false);
});

test("relu, pool and fc agree with loops on the tutorial's examples", () => {
  const relu = topic(tutorial.topics, "relu");
  const convS = refConv(TUTORIAL.image, TUTORIAL.kernel);
  assert.deepEqual(relu.relus[0].result.output, refRelu(convS));
  assert.deepEqual(relu.relus[1].result.output, refRelu(TUTORIAL.negativeMap));
  assert.deepEqual(topic(tutorial.topics, "pool").pool.output, refPool(TUTORIAL.poolMap));
  const { fc } = topic(tutorial.topics, "fc");
  const y = TUTORIAL.weight.map((row, o) => row.reduce((s, w, k) => s + w * TUTORIAL.x[k], TUTORIAL.bias[o]));
  assertClose(fc.y, y, { atol: 1e-9, rtol: 0 }, "y");
  assert.equal(fc.decision, y[0] > y[1] ? 0 : 1);
});

test("pipeline: conv (P = 1) → ReLU → pool → fc on the '7' agrees with loops", () => {
  const { pipeline } = topic(tutorial.topics, "pipeline");
  const pooled = refPool(refRelu(refConv(TUTORIAL.image, TUTORIAL.kernel, 1, 1)));
  assert.deepEqual(pipeline.pool.output, pooled);
  assert.deepEqual(pipeline.flat, flat(pooled));
  assert.equal(pipeline.unpaddedPoolSize, refPool(refConv(TUTORIAL.image, TUTORIAL.kernel)).length);
  const y = TUTORIAL.weight.map((row, o) => row.reduce((s, w, k) => s + w * pipeline.flat[k], TUTORIAL.bias[o]));
  assertClose(pipeline.fc?.y ?? [], y, { atol: 1e-9, rtol: 0 }, "pipeline y");
});

test("padding: output sizes are floored as PyTorch does, and the feature maps have those sizes", () => {
  const { padding } = topic(tutorial.topics, "padding");
  for (const s of padding.sizes) {
    assert.equal(s.floored, Math.floor((s.size - s.kernel + 2 * s.padding) / s.stride) + 1);
    assert.equal(s.unfloored, (s.size - s.kernel + 2 * s.padding) / s.stride + 1);
  }
  assert.ok(
    padding.sizes.some((s) => !Number.isInteger(s.unfloored)),
    "an example where the floor matters",
  );
  for (const conv of padding.convs) {
    assert.deepEqual(conv.featureMap, refConv(TUTORIAL.image, TUTORIAL.kernel, conv.stride, conv.padding));
  }
});

test("the learner's own matrices, with stride and padding, agree with loops", () => {
  const image = [
    [3, -1, 2, 0, 5, 1],
    [0, 4, -2, 1, 1, 2],
    [1, 0, 3, -3, 2, 0],
    [2, 2, 0, 1, -1, 4],
  ];
  const kernel = [
    [1, -1],
    [0.5, 2],
  ];
  const result = explain(["conv", "padding", "relu", "pool"], { image, kernel, stride: 2, padding: 1 });
  assert.equal(result.mode, "custom");
  const expected = refConv(image, kernel, 2, 1);
  assert.deepEqual(topic(result.topics, "conv").conv.featureMap, expected);
  assert.deepEqual(topic(result.topics, "conv").checks, []);
  assert.deepEqual(topic(result.topics, "relu").relus[0].result.output, refRelu(expected));
  assert.deepEqual(topic(result.topics, "pool").pool.output, refPool(refRelu(expected)));
  // Without a kernel, relu and pool read the image itself as a feature map.
  const own = explain(["relu", "pool"], { image });
  assert.deepEqual(topic(own.topics, "relu").relus[0].result.output, refRelu(image));
  assert.deepEqual(topic(own.topics, "pool").pool.output, refPool(image));
});

test("bad input is refused with a message naming the input and the fix", () => {
  assert.throws(() => parseMatrix("[[1,2],[3]]", "--image"), /--image: the matrix is ragged: row 1 has 1 numbers/);
  assert.throws(() => parseMatrix('[[1,"x"]]', "--image"), /--image: row 0, column 1 is "x", not a number/);
  assert.throws(() => parseMatrix("[[1,2]", "--kernel"), /--kernel: not valid JSON/);
  assert.throws(() => toMatrix([], "--image"), /non-empty list of rows/);
  assert.throws(() => toMatrix([[1, null]], "--image"), ExplainInputError);
  assert.throws(
    () => explain(["conv"], { image: [[1, 2]], kernel: TUTORIAL.kernel }),
    /the kernel \(3×3\) is larger than the padded image \(1×2/,
  );
  // With padding the same kernel fits.
  assert.doesNotThrow(() => explain(["conv"], { image: [[1, 2]], kernel: TUTORIAL.kernel, padding: 1 }));
  assert.throws(() => explain(["fc"], { image: [[1]] }), /fc explains the tutorial's x, W and b/);
});

test("the language follows LC_ALL, LC_MESSAGES, then LANG", () => {
  assert.equal(localeLang({ LANG: "vi_VN.UTF-8" }), "vi");
  assert.equal(localeLang({ LC_ALL: "en_US.UTF-8", LANG: "vi_VN.UTF-8" }), "en");
  assert.equal(localeLang({}), "en");
});

test("snapshots: `explain all` as text in English and Vietnamese, without colour", () => {
  assertSnapshot("explain-all.en.txt", renderText(toDocument(tutorial, "en"), { color: false }));
  assertSnapshot("explain-all.vi.txt", renderText(toDocument(tutorial, "vi"), { color: false }));
});

test("colour highlights the window with ANSI codes instead of brackets; Markdown uses tables", () => {
  const conv = explain(["conv"]);
  const colored = renderText(toDocument(conv, "en"), { color: true });
  assert.ok(colored.includes("\x1b[1;7m"), "reverse video on the window");
  assert.doesNotMatch(colored, /│\[1/);
  const md = renderMarkdown(toDocument(conv, "en"));
  assert.match(md, /^## 2\.1 /m);
  assert.match(md, /^\| S \| 0 \| 1 \| 2 \|$/m);
});

test("CLI: json output holds every step's numbers; a channel out of range is an error", () => {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "explain", "--backend", "ref", ...args], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
  const json = run("conv", "--format", "json", "--image", "[[1,2,3],[4,5,6],[7,8,9]]", "--kernel", "[[1,0],[0,-1]]");
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { topics: { conv: { featureMap: Matrix; windows: unknown[] } }[] };
  assert.deepEqual(parsed.topics[0].conv.featureMap, [
    [-4, -4],
    [-4, -4],
  ]);
  assert.equal(parsed.topics[0].conv.windows.length, 4);
  const bad = run("conv", "--weights", "test/fixtures/trained/seed-1epoch.safetensors", "--channel", "16");
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--channel 16 is out of range: conv1 has 16 channels \(0–15\)/);
  assert.equal(bad.stdout, "");
});
