import "./helpers/backend.js";
// Loading src/node/render.ts registers resvg, so Figure.png() works here as in the CLI.
import "../src/node/render.js";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { LANGS, explain, type Check, type Lang, type Matrix, type TopicResult } from "../src/explain/index.js";
import { messages } from "../src/explain/messages.js";
import type { Figure } from "../src/plot/figure.js";
import {
  THEORY_FIGURES,
  convolutionFigure,
  pipelineFigure,
  poolingFigure,
  reluFigure,
  theoryFigures,
  theoryFiguresOf,
  type CellDatum,
  type MarkDatum,
  type TextDatum,
} from "../src/plot/theory.js";
import { convlab, show, succeeded } from "./helpers/cli.js";
import { assertClose } from "./helpers/close.js";

/**
 * The tutorial's four theory figures (src/plot/theory.ts): their numbers are the library's, their marks are the
 * checks' of src/explain, in both languages; and `convlab explain --format svg|png` writes them.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-theory-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** Tolerance of the values drawn against explain's: the same float64 computation, so 1e-12 absolute. */
const TOL = { atol: 1e-12, rtol: 0 };
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Every data row of a figure's spec, over all its layers, once (the cells' values layer reuses their rows). */
function rows(figure: Figure): Record<string, unknown>[] {
  const spec = figure.spec as unknown as { layer: { data: { values: Record<string, unknown>[] } }[] };
  return [...new Set(spec.layer.flatMap((l) => l.data.values))];
}
const cellsOf = (figure: Figure, panel: string) =>
  rows(figure).filter((r): r is CellDatum & Record<string, unknown> => "ink" in r && r.panel === panel);
const marksOf = (figure: Figure, role: MarkDatum["role"], panel?: string) =>
  rows(figure).filter(
    (r): r is MarkDatum & Record<string, unknown> =>
      "shape" in r && r.role === role && (panel === undefined || r.panel === panel),
  );
const textsOf = (figure: Figure) =>
  rows(figure).filter((r): r is TextDatum & Record<string, unknown> => "baseline" in r && "text" in r);

/** A drawn panel back as a matrix: its cells' values, row by row. */
function panelMatrix(figure: Figure, panel: string): Matrix {
  const cells = cellsOf(figure, panel);
  assert.ok(cells.length > 0, `no panel ${panel}`);
  const m: Matrix = [];
  for (const c of cells) (m[c.i] ??= [])[c.j] = c.value;
  return m;
}

const cellKey = (x: { i: number; j: number }) => `${x.i},${x.j}`;
const keys = (list: readonly { i: number; j: number }[]) => [...new Set(list.map(cellKey))].sort();

function topic<T extends TopicResult["topic"]>(t: T): Extract<TopicResult, { topic: T }> {
  return explain([t]).topics[0] as Extract<TopicResult, { topic: T }>;
}
const checkOf = (checks: Check[], id: string) => {
  const c = checks.find((x) => x.id === id);
  assert.ok(c !== undefined, `no check ${id}`);
  return c;
};

/** The texts of an SVG's <text> elements, with the x of each (vega writes `transform="translate(x,y)"`). */
function svgTexts(svg: string): { x: number; text: string }[] {
  return [...svg.matchAll(/<text[^>]*translate\(([-\d.]+),[-\d.]+\)[^>]*>([^<]*)<\/text>/g)].map((m) => ({
    x: Number(m[1]),
    text: m[2],
  }));
}

test("the four figures exist in both languages, in the tutorial's order, with its titles", async () => {
  const svgs: Record<string, string> = {};
  for (const lang of LANGS) {
    const figures = theoryFigures(lang);
    assert.deepEqual(
      figures.map((f) => f.name),
      [...THEORY_FIGURES],
    );
    const m = messages(lang);
    const titles = [m.convTitle, m.reluTitle, m.poolTitle, m.pipelineTitle];
    for (const [k, figure] of figures.entries()) {
      assert.ok(figure.toString().includes(titles[k]), figure.toString());
      const svg = await figure.svg();
      assert.ok(svg.startsWith("<svg"), svg.slice(0, 80));
      assert.ok(svg.includes(titles[k].replace(/"/g, "&quot;")), `${lang} ${figure.name}: title not drawn`);
      svgs[`${figure.name}.${lang}`] = svg;
    }
  }
  // The Vietnamese figures speak the tutorial's words; the English ones do not.
  assert.ok(svgs["convolution.vi"].includes("Bước 1"));
  assert.ok(svgs["convolution.vi"].includes("ảnh đầu vào"));
  assert.ok(!svgs["convolution.en"].includes("Bước 1"));
  assert.ok(svgs["convolution.en"].includes("Step 1"));
  // theoryFiguresOf: one figure per topic, fc drawn by the pipeline, none for padding.
  const names = (t: Parameters<typeof theoryFiguresOf>[0]) => theoryFiguresOf(t, "en").map((f) => f.name);
  assert.deepEqual(names("conv"), ["convolution"]);
  assert.deepEqual(names("relu"), ["relu"]);
  assert.deepEqual(names("pool"), ["pooling"]);
  assert.deepEqual(names("pipeline"), ["pipeline"]);
  assert.deepEqual(names("fc"), ["pipeline"]);
  assert.deepEqual(names("padding"), []);
  assert.deepEqual(names("all"), [...THEORY_FIGURES]);
});

for (const lang of LANGS) {
  test(`convolution (${lang}): S computed by conv2d, S(0, 2) = −1 drawn, the tutorial's misprints marked`, async () => {
    const { conv, checks } = topic("conv");
    const figure = convolutionFigure(lang);
    assertClose(panelMatrix(figure, "I").flat(), conv.image.flat(), TOL, "I");
    assertClose(panelMatrix(figure, "K").flat(), conv.kernel.flat(), TOL, "K");
    assertClose(panelMatrix(figure, "S").flat(), conv.featureMap.flat(), TOL, "S");

    // S(0, 2) is −1 by the formula (the tutorial prints 0): the cell says so, in the data and in the SVG.
    const s02 = cellsOf(figure, "S").find((c) => c.i === 0 && c.j === 2);
    assert.ok(s02 !== undefined);
    assert.equal(s02.value, -1);
    assert.equal(s02.text, "−1");
    const svg = await figure.svg();
    const centre = (s02.x + s02.x2) / 2;
    assert.ok(
      svgTexts(svg).some((t) => t.text === "−1" && Math.abs(t.x - centre) < 0.01),
      "no −1 written in the cell S(0, 2) of the SVG",
    );

    // The cells marked as misprints are exactly those src/explain/checks.ts finds, on the computed and printed S.
    const featureMap = checkOf(checks, "conv.featureMap");
    assert.equal(featureMap.agrees, false);
    assert.ok(featureMap.mismatches.some((x) => x.i === 0 && x.j === 2 && x.printed === 0 && x.computed === -1));
    assert.deepEqual(keys(marksOf(figure, "misprint", "S")), keys(featureMap.mismatches));
    assert.deepEqual(keys(marksOf(figure, "misprint", "S-printed")), keys(featureMap.mismatches));
    assert.deepEqual(panelMatrix(figure, "S-printed"), featureMap.printed);
    // Each misprint has its note, with both numbers.
    const note =
      lang === "en" ? "S(0, 2): the tutorial printed 0, the formula gives −1" : "S(0, 2): bài in 0, công thức cho −1";
    assert.ok(textsOf(figure).some((t) => t.role === "misprint" && t.text.includes(note)));
    assert.ok(svg.includes(note), `"${note}" not in the SVG`);
    assert.equal(textsOf(figure).filter((t) => t.role === "misprint").length, 1 + featureMap.mismatches.length);

    // Step 1 ("Bước 1"): the window at (0, 0) framed on I, its products with K (mul) and their sum (= S(0, 0)).
    const [step] = conv.windows;
    const [window] = marksOf(figure, "window", "I");
    assert.deepEqual([window.i, window.j, window.rows, window.cols], [0, 0, 3, 3]);
    assert.deepEqual(keys(marksOf(figure, "window", "S")), ["0,0"]);
    assertClose(panelMatrix(figure, "window").flat(), step.window.flat(), TOL, "window");
    assertClose(panelMatrix(figure, "products").flat(), step.products.flat(), TOL, "products");
    assert.equal(step.sum, 2);
    assert.ok(textsOf(figure).some((t) => t.text.includes("1 + 1 + 1 + 0 + 0 + 0 + 0 + 0 + (−1) = 2")));
  });
}

test("convolution on the learner's numbers: computed, nothing marked as a misprint", () => {
  const example = {
    image: [
      [1, 2, 0],
      [0, 1, 3],
      [2, 0, 1],
    ],
    kernel: [
      [1, -1],
      [0, 2],
    ],
  };
  const figure = convolutionFigure("en", example);
  const { conv } = explain(["conv"], example).topics[0] as Extract<TopicResult, { topic: "conv" }>;
  assert.deepEqual(panelMatrix(figure, "S"), conv.featureMap);
  assert.equal(marksOf(figure, "misprint").length, 0);
  assert.equal(cellsOf(figure, "S-printed").length, 0);
});

for (const lang of LANGS) {
  test(`relu (${lang}): no negative after ReLU, every negative marked before and after`, async () => {
    const { relus } = topic("relu");
    const figure = reluFigure(lang);
    for (const { of, result } of relus) {
      const before = panelMatrix(figure, `S-${of}`);
      const afterRelu = panelMatrix(figure, `ReLU-${of}`);
      assert.deepEqual(before, result.input);
      assert.deepEqual(afterRelu, result.output);
      assert.ok(
        afterRelu.flat().every((v) => v >= 0),
        `${of}: a negative value after ReLU`,
      );
      assert.ok(
        cellsOf(figure, `ReLU-${of}`).every((c) => !c.text.startsWith("−")),
        `${of}: a negative number written after ReLU`,
      );
      const negatives = before.flatMap((row, i) => row.flatMap((v, j) => (v < 0 ? [{ i, j }] : [])));
      assert.deepEqual(keys(marksOf(figure, "negative", `S-${of}`)), keys(negatives));
      assert.deepEqual(keys(marksOf(figure, "negative", `ReLU-${of}`)), keys(negatives));
    }
    // The tutorial's example with negatives: −1 and −2 before, 0 after.
    assert.deepEqual(panelMatrix(figure, "S-negatives"), [
      [2, -1, 0],
      [1, -2, 0],
      [0, 0, 1],
    ]);
    assert.deepEqual(keys(marksOf(figure, "negative", "S-negatives")), ["0,1", "1,1"]);
    // The "7": the tutorial says ReLU changes nothing; the computed S has S(0, 2) = −1, which the figure says.
    assert.deepEqual(keys(marksOf(figure, "negative", "S-featureMap")), ["0,2"]);
    assert.ok(textsOf(figure).some((t) => t.role === "misprint"));
    assert.ok((await figure.svg()).includes("−2"));
  });

  test(`pooling (${lang}): the four windows outlined, winners 2, 1, 1, 2 circled and written`, async () => {
    const { pool } = topic("pool");
    const figure = poolingFigure(lang);
    const pooled = cellsOf(figure, "pooled").sort((a, b) => a.i - b.i || a.j - b.j);
    assert.deepEqual(
      pooled.map((c) => c.value),
      [2, 1, 1, 2],
    );
    assert.deepEqual(
      pooled.map((c) => c.text),
      ["2", "1", "1", "2"],
    );
    assert.deepEqual(panelMatrix(figure, "pooled"), pool.output);
    // Each 2×2 window (stride 2) outlined on the map, and its output cell framed in the same colour.
    const windows = marksOf(figure, "pool-window", "map");
    assert.deepEqual(
      windows.map((w) => [w.i, w.j, w.rows, w.cols]),
      [
        [0, 0, 2, 2],
        [0, 2, 2, 2],
        [2, 0, 2, 2],
        [2, 2, 2, 2],
      ],
    );
    const outputs = marksOf(figure, "pool-window", "pooled");
    assert.deepEqual(
      outputs.map((o) => o.color),
      windows.map((w) => w.color),
    );
    assert.equal(new Set(windows.map((w) => w.color)).size, 4);
    // The winners: every circled cell holds its window's max, and every window has one.
    const map = panelMatrix(figure, "map");
    const winners = marksOf(figure, "winner", "map");
    for (const x of pool.windows) {
      const inside = winners.filter((c) => c.i >= x.row && c.i < x.row + 2 && c.j >= x.col && c.j < x.col + 2);
      assert.ok(inside.length > 0, `window (${x.i}, ${x.j}) has no winner`);
      for (const c of inside) assert.equal(map[c.i][c.j], x.max);
    }
    const svg = await figure.svg();
    assert.ok(svg.includes("max(2, 1, 1, 2) = 2") && svg.includes("max(0, 0, 1, 0) = 1"));
  });

  test(`pipeline (${lang}): y = Wx + b = [2.4, −0.5] computed by linear, and the verdict "7"`, async () => {
    const { fc } = topic("fc");
    const figure = pipelineFigure(lang);
    const y = cellsOf(figure, "tutorial/y").sort((a, b) => a.i - b.i);
    assertClose(
      y.map((c) => c.value),
      fc.y,
      TOL,
      "tutorial/y",
    );
    assertClose(fc.y, [2.4, -0.5], { atol: 1e-9, rtol: 0 }, "y against the tutorial");
    assert.deepEqual(
      y.map((c) => c.text),
      ["2.4", "−0.5"],
    );
    assert.deepEqual(panelMatrix(figure, "tutorial/x"), [fc.x]);
    const verdicts = textsOf(figure).filter((t) => t.role === "verdict");
    assert.ok(verdicts.length >= 1 && verdicts.every((t) => t.text === '"7"'));
    assert.deepEqual(keys(marksOf(figure, "verdict", "tutorial/y")), ["0,0"]);
    const svg = await figure.svg();
    const texts = svgTexts(svg).map((t) => t.text);
    assert.ok(texts.includes("2.4") && texts.includes("−0.5"), "2.4 and −0.5 are not written in the SVG");
    // The chain run end to end on the "7" (P = 1) is explain's pipeline, to its own y.
    const { pipeline } = topic("pipeline");
    assert.deepEqual(panelMatrix(figure, "chain/S"), pipeline.conv.featureMap);
    assert.deepEqual(panelMatrix(figure, "chain/P"), pipeline.pool.output);
    assert.ok(pipeline.fc !== null);
    assertClose(
      cellsOf(figure, "chain/y").map((c) => c.value),
      pipeline.fc.y,
      TOL,
      "chain/y",
    );
  });
}

/** Runs `convlab explain <topic> --format <format> --out <dir> --lang <lang>` and returns the paths it printed. */
async function explainFigures(topic: string, format: string, dir: string, lang: Lang): Promise<string[]> {
  const run = succeeded(await convlab("explain", topic, "--format", format, "--out", dir, "--lang", lang));
  return run.stdout.trimEnd().split("\n");
}

test(
  "convlab explain all --format png|svg --out DIR writes the four figures in each language",
  { timeout: 120_000 },
  async () => {
    const dir = join(TMP, "figures");
    for (const lang of LANGS) {
      const printed = await explainFigures("all", "png", dir, lang);
      assert.deepEqual(
        printed,
        THEORY_FIGURES.map((name) => join(dir, `${name}.${lang}.png`)),
      );
      for (const path of printed) assert.deepEqual([...readFileSync(path).subarray(0, 8)], PNG_MAGIC, path);
    }
    const svgs = await explainFigures("all", "svg", dir, "vi");
    for (const path of svgs) assert.ok(readFileSync(path, "utf8").startsWith("<svg"), path);
    assert.deepEqual(
      readdirSync(dir).sort(),
      [...THEORY_FIGURES.flatMap((n) => [`${n}.en.png`, `${n}.vi.png`, `${n}.vi.svg`])].sort(),
    );
    // padding has no figure: nothing written, and a message that says so.
    const padding = await convlab("explain", "padding", "--format", "svg", "--out", join(TMP, "none"), "--lang", "en");
    succeeded(padding);
    assert.equal(padding.stdout, "", show(padding));
    assert.match(padding.stderr, /padding has no figure/);
    assert.ok(!existsSync(join(TMP, "none")), "no folder made for nothing");
  },
);
