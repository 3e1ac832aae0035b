import assert from "node:assert/strict";
import { Argument, Command, Option, type CommanderError } from "commander";
import { assertNamesPictures, convlab, convlabWith, show, succeeded, type Run } from "./helpers/cli.js";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { MnistCNN } from "../src/models/tutorial.js";
import { loadSafetensorsFile, saveSafetensorsFile } from "../src/node/safetensors-file.js";
import { Tensor } from "../src/tensor/tensor.js";
import { manualSeed } from "../src/tensor/random.js";
import { writeTinyMnist } from "./helpers/idx.js";
import { argvLang, localizeCommanderError } from "../cli/options.js";
import { CliError, cliMessages } from "../cli/messages.js";

/**
 * End-to-end tests of the `convlab` command line, run from the TypeScript sources through tsx. Every run reads a
 * tiny, learnable MNIST (see writeTinyMnist) from --data-dir, so training takes seconds on the reference backend.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-cli-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** 256 training and 64 test images: the main run trains 2 epochs on it. */
const DATA = join(TMP, "data");
writeTinyMnist(DATA, { train: 256, test: 64, seed: 1 });
/** 128 training and 32 test images, for the runs that only need a model (determinism, --json, conv3). */
const SMALL = join(TMP, "small");
writeTinyMnist(SMALL, { train: 128, test: 32, seed: 2 });

const FAST = { timeout: 30_000 };
const TRAINING = { timeout: 90_000 };

/** Asserts a failed run: non-zero exit, nothing on stdout, and a message on stderr holding every fragment. */
function failed(run: Run, ...fragments: string[]): Run {
  assert.notEqual(run.code, 0, show(run));
  assert.ok(run.code !== null, `killed by a signal: ${show(run)}`);
  assert.equal(run.stdout, "", show(run));
  for (const fragment of fragments) assert.ok(run.stderr.includes(fragment), `"${fragment}" not in:\n${run.stderr}`);
  return run;
}

/** The only line of stdout, parsed: `--json` must print exactly one JSON object. */
function oneJsonObject(run: Run): Record<string, unknown> {
  assert.ok(run.stdout.endsWith("\n"), show(run));
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stdout:\n${run.stdout}`);
  const value: unknown = JSON.parse(lines[0]);
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), lines[0]);
  return value as Record<string, unknown>;
}

/** A fresh, not yet existing path under the temp folder. */
let outs = 0;
function freshPath(name: string): string {
  return join(TMP, `${name}-${++outs}`);
}

const trainArgs = (data: string, out: string, ...more: string[]) => [
  "train",
  "--data-dir",
  data,
  "--out",
  out,
  "--batch-size",
  "32",
  ...more,
];

interface Metrics {
  config: Record<string, unknown>;
  epochs: { epoch: number; loss: number; seconds: number }[];
  test: { loss: number; accuracy: number; correct: number; total: number; confusion: number[][] };
  parameters: number;
  seconds: number;
}

/** The main run, 2 epochs of the seed model on DATA, shared by the tests that need trained weights. */
let mainRun: Promise<{ run: Run; out: string }> | undefined;
function trainMain(): Promise<{ run: Run; out: string }> {
  const out = join(TMP, "main-run");
  mainRun ??= convlab(...trainArgs(DATA, out, "--epochs", "2", "--seed", "0")).then((run) => ({ run, out }));
  return mainRun;
}

/** One --json run on SMALL, memoized by its arguments so tests can share it. */
const jsonRuns = new Map<string, Promise<{ run: Run; out: string }>>();
function trainSmallJson(...more: string[]): Promise<{ run: Run; out: string }> {
  const key = more.join(" ");
  let pending = jsonRuns.get(key);
  if (pending === undefined) {
    const out = freshPath("small-run");
    pending = convlab(...trainArgs(SMALL, out, "--epochs", "1", "--json", ...more)).then((run) => ({ run, out }));
    jsonRuns.set(key, pending);
  }
  return pending;
}

test(
  "train prints each epoch's loss and the test accuracy, and saves metrics.json and model.safetensors",
  TRAINING,
  async () => {
    const { run, out } = await trainMain();
    succeeded(run);
    const losses = [...run.stdout.matchAll(/^Epoch (\d+), Loss: (\d+\.\d{4})\b/gm)];
    assert.deepEqual(
      losses.map((m) => m[1]),
      ["1", "2"],
      run.stdout,
    );
    const accuracy = /^Test accuracy: (\d{1,3}\.\d{2})%$/m.exec(run.stdout);
    assert.ok(accuracy, run.stdout);

    // The run report's pictures (test/report.test.ts checks them) and nothing else: no .tmp file left behind.
    const pictures = ["confusion", "features-conv1", "features-conv2", "kernels-conv1", "loss", "predictions", "wrong"];
    const left = readdirSync(out).filter((f) => !pictures.some((p) => f === `${p}.svg` || f === `${p}.png`));
    assert.deepEqual(left.sort(), ["metrics.json", "model.safetensors", "report.html"], "no .tmp or other files left");
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Metrics;
    assert.equal(metrics.config.arch, "seed");
    assert.equal(metrics.config.lr, 0.01);
    assert.equal(metrics.config.momentum, 0.9);
    assert.equal(metrics.config.epochs, 2);
    assert.equal(metrics.config.seed, 0);
    assert.equal(metrics.config.batchSize, 32);
    assert.deepEqual(
      metrics.epochs.map((e) => e.epoch),
      [1, 2],
    );
    metrics.epochs.forEach((e, i) => {
      assert.ok(Number.isFinite(e.loss) && e.loss > 0, `epoch ${e.epoch} loss ${e.loss}`);
      assert.ok(e.seconds > 0, `epoch ${e.epoch} seconds ${e.seconds}`);
      assert.equal(e.loss.toFixed(4), losses[i][2], "printed loss = metrics.json loss");
    });
    assert.ok(metrics.epochs[1].loss < metrics.epochs[0].loss, "the tiny set is learnable: the loss goes down");

    const { test: result } = metrics;
    assert.equal(result.total, 64);
    assert.ok(Number.isFinite(result.loss) && result.loss > 0, `test loss ${result.loss}`);
    assert.equal((100 * result.accuracy).toFixed(2), accuracy[1], "printed accuracy = metrics.json accuracy");
    assert.ok(result.accuracy > 0.3, `the tiny set is learnable: accuracy ${result.accuracy} is well above chance`);
    assert.equal(result.confusion.length, 10);
    for (const row of result.confusion) assert.equal(row.length, 10);
    assert.equal(
      result.confusion.flat().reduce((a, v) => a + v, 0),
      64,
    );
    assert.equal(
      result.confusion.reduce((n, row, c) => n + row[c], 0),
      result.correct,
    );
    assert.equal(result.correct / result.total, result.accuracy);

    const { tensors, metadata } = loadSafetensorsFile(join(out, "model.safetensors"));
    assert.equal(metadata.arch, "seed");
    assert.deepEqual(Object.keys(tensors).sort(), [
      "conv1.bias",
      "conv1.weight",
      "conv2.bias",
      "conv2.weight",
      "fc1.bias",
      "fc1.weight",
    ]);
    assert.deepEqual(tensors["fc1.weight"].shape, [10, 800]);
  },
);

test("train --json prints exactly one JSON object and nothing else", TRAINING, async () => {
  const { run, out } = await trainSmallJson("--seed", "7");
  succeeded(run);
  const result = oneJsonObject(run);
  assert.equal(result.out, out);
  const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Metrics;
  assert.deepEqual(result.epochs, metrics.epochs);
  assert.deepEqual(result.test, metrics.test);
  assert.deepEqual(result.config, metrics.config);
});

test(
  "training is deterministic: the same seed gives the same losses and weights, another seed does not",
  TRAINING,
  async () => {
    const [a, b, c] = await Promise.all([
      trainSmallJson("--seed", "7"),
      trainSmallJson("--seed", "7", "--no-progress"),
      trainSmallJson("--seed", "8"),
    ]);
    const [ma, mb, mc] = [a, b, c].map(({ run }) => oneJsonObject(succeeded(run)) as unknown as Metrics);
    assert.deepEqual(
      mb.epochs.map((e) => e.loss),
      ma.epochs.map((e) => e.loss),
    );
    assert.deepEqual(mb.test, ma.test);
    const weights = (out: string) => readFileSync(join(out, "model.safetensors"));
    assert.ok(weights(a.out).equals(weights(b.out)), "same seed, same model.safetensors bytes");
    assert.notEqual(mc.epochs[0].loss, ma.epochs[0].loss, "another seed, another loss");
    assert.ok(!weights(a.out).equals(weights(c.out)));
  },
);

test("eval of the saved weights reports the accuracy training reported, overall and per class", TRAINING, async () => {
  const { run: training, out } = await trainMain();
  succeeded(training);
  const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Metrics;
  const trained = /^Test accuracy: (\S+)%$/m.exec(training.stdout)?.[1];
  const weights = join(out, "model.safetensors");

  const run = succeeded(await convlab("eval", "--weights", weights, "--data-dir", DATA));
  const lines = run.stdout.trimEnd().split("\n");
  assert.equal(lines[0], `Test accuracy: ${trained}% (${metrics.test.correct}/64)`);
  assert.equal(lines[1], `Test loss: ${metrics.test.loss.toFixed(4)}`);
  assert.equal(lines[2], "Per-class accuracy:");
  const perClass = lines.slice(3).map((line) => /^ {2}(\d): (\d{1,3}\.\d{2})% of (\d+)$/.exec(line));
  assert.equal(perClass.length, 10, run.stdout);
  perClass.forEach((match, digit) => {
    assert.ok(match, run.stdout);
    const row = metrics.test.confusion[digit];
    const count = row.reduce((a, v) => a + v, 0);
    assert.deepEqual(match.slice(1), [String(digit), ((100 * row[digit]) / count).toFixed(2), String(count)]);
  });

  const json = oneJsonObject(succeeded(await convlab("eval", "--weights", weights, "--data-dir", DATA, "--json")));
  assert.equal(json.arch, "seed");
  assert.equal(json.weights, weights);
  assert.equal(json.accuracy, metrics.test.accuracy);
  assert.equal(json.correct, metrics.test.correct);
  assert.deepEqual(json.confusion, metrics.test.confusion);
  assert.equal((json.perClassAccuracy as number[]).length, 10);
});

test("train ends by naming report.html and every picture it wrote", TRAINING, async () => {
  const { run, out } = await trainMain();
  succeeded(run);
  assert.ok(run.stdout.includes(`Saved ${join(out, "model.safetensors")} and ${join(out, "metrics.json")}\n`));
  assert.ok(run.stdout.includes(`Saved ${join(out, "report.html")} (open it in a browser) and its pictures`));
  assertNamesPictures(run.stdout, out);
});

test("train --lang vi prints the tutorial's Vietnamese lines, naming the files it wrote", TRAINING, async () => {
  const out = freshPath("vi-run");
  const run = succeeded(await convlab(...trainArgs(SMALL, out, "--epochs", "1", "--lang", "vi")));
  // The tutorial's Vietnamese keeps its loss line in English.
  assert.match(run.stdout, /^Epoch 1, Loss: \d+\.\d{4}\b/m);
  assert.match(run.stdout, /^Độ chính xác trên tập test: \d{1,3}\.\d{2}%$/m);
  assert.ok(run.stdout.includes(`Đã lưu ${join(out, "model.safetensors")} và ${join(out, "metrics.json")}\n`));
  assert.ok(run.stdout.includes(`Đã lưu báo cáo ${join(out, "report.html")} (mở bằng trình duyệt)`), run.stdout);
  assertNamesPictures(run.stdout, out);
  assert.doesNotMatch(run.stdout, /Test accuracy|Saved|picture/, "no English line left");
  assert.match(readFileSync(join(out, "report.html"), "utf8"), /<html lang="vi"/);
});

test("eval and predict --lang vi print their lines in Vietnamese; --json stays the same", TRAINING, async () => {
  const { run: training, out } = await trainMain();
  succeeded(training);
  const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")) as Metrics;
  const weights = join(out, "model.safetensors");
  const run = succeeded(await convlab("eval", "--weights", weights, "--data-dir", DATA, "--lang", "vi"));
  const lines = run.stdout.trimEnd().split("\n");
  const accuracy = (100 * metrics.test.accuracy).toFixed(2);
  assert.equal(lines[0], `Độ chính xác trên tập test: ${accuracy}% (${metrics.test.correct}/${metrics.test.total})`);
  assert.equal(lines[1], `Loss trên tập test: ${metrics.test.loss.toFixed(4)}`);
  assert.equal(lines[2], "Độ chính xác từng lớp:");
  assert.equal(lines.length, 3 + metrics.test.confusion.length, `one line per class\n${run.stdout}`);
  for (const line of lines.slice(3)) assert.match(line, /^ {2}\d: \d{1,3}\.\d{2}% trên \d+ ảnh$/);

  const english = succeeded(await convlab("eval", "--weights", weights, "--data-dir", DATA, "--json"));
  const vietnamese = succeeded(
    await convlab("eval", "--weights", weights, "--data-dir", DATA, "--json", "--lang", "vi"),
  );
  assert.deepEqual(oneJsonObject(vietnamese), oneJsonObject(english));

  const predictArgs = ["predict", "--weights", weights, "--data-dir", DATA, "--mnist-index", "0", "--lang", "vi"];
  assert.match(succeeded(await convlab(...predictArgs)).stdout, /^Ảnh test MNIST 0 \(nhãn \d\): \d$/m);
  const json = await convlab(...predictArgs, "--json");
  const [prediction] = oneJsonObject(succeeded(json)).predictions as { input: string }[];
  assert.equal(prediction.input, "MNIST test image 0", "--json is language-neutral");
});

test("eval reads the architecture from the file's metadata", TRAINING, async () => {
  const { run: training, out } = await trainSmallJson("--arch", "conv3", "--seed", "3");
  const trained = oneJsonObject(succeeded(training)) as unknown as Metrics;
  assert.equal(trained.config.arch, "conv3");
  const weights = join(out, "model.safetensors");
  const run = await convlab("eval", "--weights", weights, "--data-dir", SMALL, "--json");
  const result = oneJsonObject(succeeded(run));
  assert.equal(result.arch, "conv3");
  assert.equal(result.accuracy, trained.test.accuracy);
  assert.deepEqual(result.confusion, trained.test.confusion);
});

const badFlags: { args: string[]; flag: string; fix: string }[] = [
  { args: ["--epochs", "-1"], flag: "'--epochs <n>' argument '-1' is invalid", fix: "whole number of at least 1" },
  { args: ["--epochs", "0"], flag: "'--epochs <n>' argument '0' is invalid", fix: "whole number of at least 1" },
  { args: ["--lr", "0"], flag: "'--lr <number>' argument '0' is invalid", fix: "must be greater than 0" },
  { args: ["--lr", "-0.5"], flag: "'--lr <number>' argument '-0.5' is invalid", fix: "must be greater than 0" },
  { args: ["--lr", "abc"], flag: "'--lr <number>' argument 'abc' is invalid", fix: "'abc' is not a number" },
  { args: ["--momentum", "2"], flag: "'--momentum <number>' argument '2' is invalid", fix: "must be in [0, 1)" },
  { args: ["--batch-size", "1.5"], flag: "'--batch-size <n>' argument '1.5' is invalid", fix: "whole number" },
  { args: ["--arch", "foo"], flag: "'--arch <name>' argument 'foo' is invalid", fix: "Choose one of: seed, conv3" },
];

test("bad flag values are refused with the flag and the fix, before anything is written", FAST, async () => {
  await Promise.all(
    badFlags.map(async ({ args, flag, fix }) => {
      const out = freshPath("bad-flag");
      failed(await convlab(...trainArgs(DATA, out, ...args)), flag, fix);
      assert.ok(!existsSync(out), `${args.join(" ")} created ${out}`);
    }),
  );
  failed(await convlab("eval", "--weights", "x.safetensors", "--arch", "foo"), "'--arch <name>'", "seed, conv3");
});

test(
  "under --lang vi (or a Vietnamese locale) a bad flag is refused in Vietnamese, wherever --lang is",
  FAST,
  async () => {
    const out = freshPath("bad-flag-vi");
    const runs = await Promise.all([
      convlab(...trainArgs(DATA, out, "--epochs", "0", "--lang", "vi")),
      convlab("train", "--lang", "vi", "--lr", "abc"),
      convlab("train", "--momentum", "2", "--lang=vi"),
      convlab("summary", "--format", "xml", "--lang", "vi"),
      convlab("eval", "--lang", "vi"),
      convlab("train", "--lang", "vi", "--epocs", "3"),
      convlab("sweep", "--lang", "vi", "--grid", "lrr=0.1"),
      convlab("explain", "foo", "--lang", "vi"),
      convlab("notebook", "howework", "--lang", "vi"),
    ]);
    failed(
      runs[0],
      "lỗi: giá trị '0' của tùy chọn '--epochs <n>' không hợp lệ. Giá trị phải là số nguyên từ 1 trở lên.\n",
      "(chạy với --help để xem các tùy chọn)",
    );
    failed(runs[1], "lỗi: giá trị 'abc' của tùy chọn '--lr <number>' không hợp lệ. 'abc' không phải là một số.");
    failed(runs[2], "Momentum phải nằm trong [0, 1) (bài hướng dẫn dùng 0.9).");
    failed(
      runs[3],
      "lỗi: giá trị 'xml' của tùy chọn '--format <format>' không hợp lệ. Hãy chọn một trong: text, json.",
    );
    failed(runs[4], "lỗi: thiếu tùy chọn bắt buộc '--weights <file>'");
    failed(runs[5], "lỗi: không có tùy chọn '--epocs'\n(Có phải ý bạn là --epochs?)");
    failed(runs[6], "Không có thiết lập 'lrr'; có phải ý bạn là lr?");
    failed(runs[7], "lỗi: giá trị 'foo' của đối số 'topic' không hợp lệ. Hãy chọn một trong: conv, padding, relu");
    failed(runs[8], "lỗi: giá trị 'howework' của đối số 'name' không hợp lệ. Hãy chọn một trong: homework.");
    for (const run of runs) assert.doesNotMatch(run.stderr, /error|invalid|Did you mean/, run.stderr);
    assert.ok(!existsSync(out), `${out} was created`);

    const locale = await convlabWith({ LC_ALL: "vi_VN.UTF-8" }, "train", "--epochs", "0");
    assert.notEqual(locale.code, 0);
    assert.match(locale.stderr, /^lỗi: giá trị '0' của tùy chọn '--epochs <n>' không hợp lệ/, locale.stderr);
  },
);

test("under --lang vi the CLI's own errors are Vietnamese, and the library's are labelled 'lỗi:'", FAST, async () => {
  const taken = freshPath("taken-vi");
  mkdirSync(taken);
  writeFileSync(join(taken, "model.safetensors"), "previous model");
  const missing = join(TMP, "no-such-run", "model.safetensors");
  const [train, evaluate, runs, predict] = await Promise.all([
    convlab(...trainArgs(DATA, taken, "--lang", "vi")),
    convlab("eval", "--weights", missing, "--data-dir", DATA, "--lang", "vi"),
    convlab("runs", join(TMP, "nowhere"), "--lang", "vi"),
    convlab("predict", "--weights", missing, "--lang", "vi"),
  ]);
  failed(
    train,
    `convlab: lỗi: ${taken} đã chứa một mô hình đã huấn luyện (model.safetensors); hãy chọn thư mục --out khác\n`,
  );
  // Thrown inside src/: English words for now, under the Vietnamese label.
  failed(evaluate, `convlab: lỗi: no such file: ${missing}`);
  failed(runs, `convlab: lỗi: không có thư mục ${join(TMP, "nowhere")}; hãy huấn luyện một mô hình trước`);
  failed(predict, "convlab: lỗi: không có gì để dự đoán: hãy đưa một hoặc nhiều tệp ảnh");
});

/** The error commander itself throws for `argv` on a program set up by `setup` (nothing printed, no exit). */
function commanderError(setup: (program: Command) => void, argv: string[]): CommanderError {
  const program = new Command("convlab").exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  setup(program);
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    return error as CommanderError;
  }
  throw new Error(`commander accepted ${argv.join(" ")}`);
}

test("commander's own errors are kept word for word in English and translated in Vietnamese", () => {
  const [en, vi] = [cliMessages("en"), cliMessages("vi")];
  // Each error is made by commander, so a change of its wording fails here rather than reaching users untranslated.
  const cases: [error: CommanderError, vietnamese: string][] = [
    [
      commanderError(
        (p) => p.addOption(new Option("--format <format>").choices(["text", "json"])).action(() => {}),
        ["--format", "xml"],
      ),
      "lỗi: giá trị 'xml' của tùy chọn '--format <format>' không hợp lệ. Hãy chọn một trong: text, json.",
    ],
    [
      commanderError((p) => p.addArgument(new Argument("[topic]").choices(["a", "b"])).action(() => {}), ["x"]),
      "lỗi: giá trị 'x' của đối số 'topic' không hợp lệ. Hãy chọn một trong: a, b.",
    ],
    [commanderError((p) => p.argument("<dir>").action(() => {}), []), "lỗi: thiếu đối số bắt buộc 'dir'"],
    [
      commanderError((p) => p.option("--out <dir>").action(() => {}), ["--out"]),
      "lỗi: tùy chọn '--out <dir>' thiếu giá trị",
    ],
    [
      commanderError((p) => p.requiredOption("--weights <file>").action(() => {}), []),
      "lỗi: thiếu tùy chọn bắt buộc '--weights <file>'",
    ],
    [commanderError((p) => p.option("--lr <n>").action(() => {}), ["--zzz"]), "lỗi: không có tùy chọn '--zzz'"],
    [
      commanderError(
        (p) =>
          p
            .option("--lang <l>")
            .option("--lr <n>")
            .action(() => {}),
        ["--la"],
      ),
      "lỗi: không có tùy chọn '--la'\n(Có phải ý bạn là --lr?)",
    ],
    [
      commanderError((p) => void p.command("train").action(() => {}), ["trian"]),
      "lỗi: không có lệnh 'trian'\n(Có phải ý bạn là train?)",
    ],
    [
      commanderError(
        (p) =>
          void p
            .command("runs")
            .argument("[dir]")
            .action(() => {}),
        ["runs", "a", "b"],
      ),
      "lỗi: quá nhiều đối số cho 'runs'. Lệnh cần 1 đối số nhưng nhận được 2.",
    ],
    [commanderError((p) => p.action(() => {}), ["x"]), "lỗi: quá nhiều đối số. Lệnh cần 0 đối số nhưng nhận được 1."],
  ];
  for (const [{ code, message }, vietnamese] of cases) {
    assert.equal(localizeCommanderError(message, code, en), message);
    assert.equal(localizeCommanderError(message, code, vi), vietnamese);
  }
  // A message of a shape this CLI does not know keeps its words, under the localized label.
  const unknown = "error: a message of another shape";
  assert.equal(localizeCommanderError(unknown, "commander.somethingNew", vi), "lỗi: a message of another shape");
  // A suggestion among several options, as commander words it.
  assert.equal(
    localizeCommanderError(
      "error: unknown option '--la'\n(Did you mean one of --lang, --lr?)",
      "commander.unknownOption",
      vi,
    ),
    "lỗi: không có tùy chọn '--la'\n(Có phải ý bạn là một trong --lang, --lr?)",
  );
});

test("--lang is read from the command line before commander parses it; CliError speaks either language", () => {
  assert.equal(argvLang(["train", "--epochs", "0", "--lang", "vi"]), "vi");
  assert.equal(argvLang(["train", "--lang=vi", "--lang", "en"]), "en", "the last one counts, as for commander");
  assert.equal(argvLang(["train", "--lang", "fr"]), undefined);
  assert.equal(argvLang(["predict", "--", "--lang", "vi"]), undefined);
  const error = new CliError("noSuchFolder", ["runs"]);
  assert.equal(error.key, "noSuchFolder");
  assert.equal(error.code, "E_NO_SUCH_FOLDER");
  assert.match(error.message, /^no such folder: runs; train a model first/);
  assert.match(error.in("vi"), /^không có thư mục runs; hãy huấn luyện một mô hình trước/);
});

test("a corrupt IDX file in --data-dir is an error naming the file", FAST, async () => {
  const wrongMagic = writeTinyMnist(freshPath("bad-magic"), { train: 20, test: 10 });
  const images = readFileSync(wrongMagic.trainImages);
  images.writeUInt32BE(0x0000_0999, 0);
  writeFileSync(wrongMagic.trainImages, images);
  const out = freshPath("out");
  const root = dirname(dirname(wrongMagic.rawDir));
  failed(await convlab(...trainArgs(root, out)), wrongMagic.trainImages, "magic number 2457 is not 2051", "again");
  assert.ok(!existsSync(out));

  const truncated = writeTinyMnist(freshPath("truncated"), { train: 20, test: 10 });
  writeFileSync(truncated.testLabels, readFileSync(truncated.testLabels).subarray(0, 12));
  const truncatedRoot = dirname(dirname(truncated.rawDir));
  failed(await convlab(...trainArgs(truncatedRoot, out)), truncated.testLabels, "truncated", "again");
  assert.ok(!existsSync(out));

  const weights = join(freshPath("weights"), "model.safetensors");
  manualSeed(0);
  saveSafetensorsFile(weights, new MnistCNN("seed").stateDict(), { format: "pt", arch: "seed" });
  failed(await convlab("eval", "--weights", weights, "--data-dir", truncatedRoot), truncated.testLabels, "truncated");
});

test("eval of a missing weights file names it and says how to get one", FAST, async () => {
  const missing = join(TMP, "no-such-run", "model.safetensors");
  failed(await convlab("eval", "--weights", missing, "--data-dir", DATA), `no such file: ${missing}`, "convlab train");
  failed(await convlab("eval", "--weights", TMP, "--data-dir", DATA), `${TMP} is a directory`);
});

test("eval of weights with the wrong shapes names the key and both shapes", FAST, async () => {
  const dir = freshPath("weights");
  manualSeed(0);
  const conv3 = join(dir, "conv3.safetensors");
  saveSafetensorsFile(conv3, new MnistCNN("conv3").stateDict(), { format: "pt", arch: "conv3" });
  failed(
    await convlab("eval", "--weights", conv3, "--arch", "seed", "--data-dir", DATA),
    `${conv3}: does not fit the 'seed' model`,
    "unexpected key(s): conv3.bias, conv3.weight",
    "size mismatch for fc1.weight: copying a param with shape [10, 64] from the state dict, " +
      "the shape in the current model is [10, 800]",
    "pass --arch conv3, or leave --arch out",
  );

  // No metadata to go by: the keys say 'seed', but one tensor has the wrong shape.
  const state = new MnistCNN("seed").stateDict();
  state["fc1.weight"] = new Tensor(new Float32Array(10 * 801), [10, 801]);
  const odd = join(dir, "odd.safetensors");
  saveSafetensorsFile(odd, state);
  failed(
    await convlab("eval", "--weights", odd, "--data-dir", DATA),
    `${odd}: does not fit the 'seed' model`,
    "size mismatch for fc1.weight: copying a param with shape [10, 801]",
    "[10, 800]",
  );
});

test("eval of a truncated safetensors file names it and says it is truncated", FAST, async () => {
  const dir = freshPath("truncated-weights");
  mkdirSync(dir);
  manualSeed(0);
  const whole = join(dir, "whole.safetensors");
  saveSafetensorsFile(whole, new MnistCNN("seed").stateDict(), { format: "pt", arch: "seed" });
  const bytes = readFileSync(whole);
  for (const keep of [5, 100, bytes.length - 1000]) {
    const cut = join(dir, `cut-${keep}.safetensors`);
    writeFileSync(cut, bytes.subarray(0, keep));
    failed(await convlab("eval", "--weights", cut, "--data-dir", DATA), `${cut}:`, "truncated");
  }
});

test("train refuses an --out folder that already holds a model, leaving it untouched", FAST, async () => {
  const out = freshPath("taken");
  mkdirSync(out);
  const model = join(out, "model.safetensors");
  writeFileSync(model, "previous model");
  failed(await convlab(...trainArgs(DATA, out)), `${out} already holds a trained model`, "choose another --out");
  assert.equal(readFileSync(model, "utf8"), "previous model");
  assert.deepEqual(readdirSync(out), ["model.safetensors"]);
});

test("a loss that becomes NaN stops training with advice, and leaves no output folder", TRAINING, async () => {
  const out = freshPath("diverged");
  const run = await convlab(...trainArgs(DATA, out, "--epochs", "1", "--lr", "1e6"));
  failed(run, "lr 1000000 is probably too large; try 100000");
  assert.match(run.stderr, /the loss became (NaN|-?Infinity) at epoch 1, batch \d+: training diverged/);
  assert.ok(!existsSync(out), `${out} was created`);
});

test("--version prints the package's version", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  assert.equal(succeeded(await convlab("--version")).stdout.trim(), version);
});
