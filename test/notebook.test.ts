// `convlab notebook homework`: the notebook is valid nbformat 4, and it runs top to bottom on Deno's Jupyter kernel
// against the packed package, showing the tutorial's pictures inline and printing the accuracy (issue 9).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { homeworkNotebook, notebookJson } from "../src/notebook/index.js";
import { conv3Draft, describeLosses, epochsDraft, learningRateDraft } from "../src/notebook/drafts.js";
import {
  executeNotebook,
  formatErrors,
  installPackedConvlab,
  jupyterPython,
  notebookOutputs,
  notebooksMissing,
  run,
} from "./helpers/jupyter.js";
import { show } from "./helpers/cli.js";

const source = (cell: { source: string | string[] }) =>
  Array.isArray(cell.source) ? cell.source.join("") : cell.source;

test("the homework notebook has the exercise, Câu 1–4 with their edits, a parameters cell and answer places", () => {
  for (const lang of ["vi", "en"] as const) {
    const nb = homeworkNotebook({ lang, epochs: 2, homeworkEpochs: 3, trainLimit: 500 });
    assert.equal(nb.nbformat, 4);
    assert.equal((nb.metadata.kernelspec as { name: string }).name, "deno");
    const code = nb.cells.filter((c) => c.cell_type === "code").map(source);
    const parameters = nb.cells.find((c) => c.cell_type === "code" && c.metadata.tags?.includes("parameters"));
    assert.ok(parameters, "a cell tagged parameters, as papermill finds it");
    assert.match(source(parameters), /const EPOCHS = 2;/);
    assert.match(source(parameters), /const HOMEWORK_EPOCHS = 3;/);
    assert.match(source(parameters), /const TRAIN_LIMIT = 500;/);
    const all = code.join("\n");
    assert.match(all, /class MNIST_CNN extends Module/, "a user-defined class, not a preset");
    assert.match(all, /epoch < HOMEWORK_EPOCHS/, "Câu 1: the loop bound");
    assert.match(all, /conv3 = new Conv2d\(32, 64, 3/, "Câu 2: conv3 in the class");
    assert.match(all, /x = this\.pool\(relu\(this\.conv3\(x\)\)\)/, "Câu 2: conv3 in forward");
    assert.match(all, /fc1 = new Linear\(64 \* 1 \* 1, 10\)/, "Câu 2: fc1 64→10");
    assert.match(all, /lr: 0\.001/);
    assert.match(all, /lr: 0\.1,/);
    assert.match(all, /conv2Output = .*model\.conv2\(model\.pool\(conv1Output\)\)/, "Câu 4: conv2 maps");
    const ids = nb.cells.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, "cell ids are unique (nbformat 4.5)");
    const answers = nb.cells.filter(
      (c) => c.cell_type === "markdown" && /✍️ (Câu trả lời của bạn|Your answer)/.test(source(c)),
    );
    assert.equal(answers.length, 4, "one marked place per question for the learner's own answer");
  }
  assert.match(source(homeworkNotebook({ lang: "vi" }).cells[0]), /Bài tập CNN/);
});

test("the draft answers are written from the run's numbers", () => {
  const five = { losses: [0.29, 0.09, 0.07, 0.06, 0.05], accuracy: 0.9781 };
  const ten = { losses: [0.29, 0.09, 0.07, 0.06, 0.05, 0.047, 0.045, 0.044, 0.043, 0.042], accuracy: 0.9842 };
  const vi = epochsDraft(five, ten, "vi");
  assert.match(vi, /tăng 0\.61 điểm phần trăm: 97\.81% sau 5 epoch, 98\.42% sau 10 epoch/);
  assert.match(vi, /chững lại/);
  assert.match(epochsDraft(five, ten, "en"), /rises by 0\.61 percentage points/);
  const oscillating = { losses: [0.3, 0.13, 0.1, 0.098, 0.1007, 0.0998, 0.094], accuracy: 0.9725 };
  assert.deepEqual(describeLosses(oscillating.losses).rises, [5]);
  assert.match(learningRateDraft({ "0.1": oscillating }, "en"), /rises again at epoch 5: the curve oscillates/);
  assert.match(conv3Draft({ ...ten, parameters: 12810 }, { ...five, parameters: 23946 }, "vi"), /12810 → 23946/);
});

const skip = notebooksMissing(); // says so when Deno is missing too

test(
  "the quick homework notebook runs top to bottom on Deno's kernel with the pictures inline",
  { skip, timeout: 900_000 },
  async (t) => {
    const project = await installPackedConvlab();
    const path = join(project, "homework.ipynb");
    const notebook = homeworkNotebook({ lang: "vi", epochs: 1, homeworkEpochs: 1, trainLimit: 640 });
    writeFileSync(path, notebookJson(notebook));
    // What the run must show, counted from the notebook's own cells: each accuracy it prints, each draft it shows.
    const codeCells = notebook.cells.filter((c) => c.cell_type === "code").map(source);
    const runs = codeCells.filter((c) => c.includes("Độ chính xác trên tập test:")).length;
    const draftCells = codeCells.filter((c) => /await markdown\(\w+Draft\(/.test(c)).length;
    const valid = await run(
      jupyterPython(),
      ["-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], 4))", path],
      {
        cwd: project,
      },
    );
    assert.equal(valid.code, 0, `not a valid nbformat 4 notebook\n${show(valid)}`);

    const started = performance.now();
    const executed = await executeNotebook(path, { cwd: project, timeoutSeconds: 300 });
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`the quick homework notebook (1 + 4×1 epochs of 640 images) ran in ${seconds.toFixed(1)} s`);
    const outputs = notebookOutputs(executed);
    assert.deepEqual(outputs.errors, [], formatErrors(outputs.errors));

    const images = [...(outputs.byMime.get("image/png") ?? []), ...(outputs.byMime.get("image/svg+xml") ?? [])];
    const cellOf = (pattern: RegExp) =>
      executed.cells.flatMap((cell, i) => (cell.cell_type === "code" && pattern.test(source(cell)) ? [i] : []));
    const pictured = (pattern: RegExp, what: string) => {
      const cells = cellOf(pattern);
      assert.ok(cells.length > 0, `no cell draws ${what}`);
      for (const cell of cells)
        assert.ok(
          images.some((o) => o.cell === cell),
          `cell ${cell} (${what}) shows no picture`,
        );
    };
    pictured(/plt\.lossCurve\(/, "the loss chart");
    pictured(/^await visualizePrediction\(\)\.show\(\);/m, "the 5 predictions");
    pictured(/^await visualizeFeatureMap\(\)\.show\(\);/m, "the conv1 and conv2 feature maps");
    const svg = outputs.byMime.get("image/svg+xml") ?? [];
    assert.ok(
      svg.some((o) => o.text.includes("Conv2 Feature Map 1")),
      "Câu 4 draws conv2's maps",
    );
    assert.ok(
      svg.some((o) => o.text.includes("Dự đoán:")),
      "the predictions are titled in Vietnamese",
    );

    const printed = outputs.streams.map((s) => s.text).join("");
    assert.match(printed, /^Epoch 1, Loss: \d\.\d{4}$/m);
    assert.equal(runs, 5, "the exercise and 4 homework runs");
    assert.equal(printed.match(/^Độ chính xác trên tập test: \d+\.\d\d%$/gm)?.length, runs, "every run's accuracy");
    assert.match(printed, /^backend: wasm$/m, "the notebook trains on the fast backend without asking for it");
    const drafts = (outputs.byMime.get("text/markdown") ?? []).map((o) => o.text);
    assert.equal(draftCells, 4, "a draft for each of Câu 1–4");
    assert.equal(drafts.length, draftCells, "every draft is shown");
    assert.match(drafts[0], /Độ chính xác trên tập test/);
  },
);
