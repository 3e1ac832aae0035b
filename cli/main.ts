#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { Argument, Option, type Command } from "commander";
import { argvLang, flagParsers, localeLang, LocalizedCommand } from "./options.js";
import { CliError, cliMessages } from "./messages.js";
// Commands load when they run, so `convlab --version` or a typo starts in a fraction of the time that loading
// Vega, resvg, the image codecs and the engine would take. Only their flag types are imported here.
import type { TrainFlags } from "./commands/train.js";
import type { EvalFlags } from "./commands/eval.js";
import type { PredictFlags } from "./commands/predict.js";
import type { SummaryFlags } from "./commands/summary.js";
import type { BenchFlags } from "./commands/bench.js";
import type { FeaturesFlags } from "./commands/features.js";
import type { NotebookFlags } from "./commands/notebook.js";
import type { ExplainFlags } from "./commands/explain.js";
import type { Topic } from "../src/explain/types.js";
import type { SweepFlags } from "./commands/sweep.js";
import type { RunsFlags } from "./commands/runs.js";
import type { LabFlags } from "./commands/lab.js";
import type { ExportFlags } from "./commands/export.js";
import { gridAxis } from "./grid.js";
import type { GridAxis } from "../src/train/sweep-plan.js";
import { useConvlabJitFlags } from "../src/node/jit.js";

useConvlabJitFlags();

/** The package's version: its package.json is one folder up from cli/main.ts (run by tsx), two from dist/cli/. */
function packageVersion(): string {
  for (const path of ["../package.json", "../../package.json"]) {
    const url = new URL(path, import.meta.url);
    if (!existsSync(url)) continue;
    const json = JSON.parse(readFileSync(url, "utf8")) as { name?: string; version?: string };
    if (json.name === "convlab" && json.version !== undefined) return json.version;
  }
  return "unknown";
}

/**
 * The language of everything printed (`--lang`, else the locale). It is read from the command line before commander
 * parses it, so that commander's errors and the flag parsers' reasons, met before `--lang` itself, speak it too.
 */
const language = argvLang(process.argv.slice(2)) ?? localeLang();
const messages = cliMessages(language);
const {
  positiveInt,
  nonNegativeInt,
  learningRate,
  momentum,
  arch,
  lang,
  backend: backendName,
  explainTopic,
  explainFormat,
} = flagParsers(language);

/**
 * `--debug`, anywhere before `--`: an error is printed with its code and stack (and its causes'). Read from the
 * command line, as --lang is, so that it holds for errors met before commander has parsed it.
 */
const debug = (() => {
  const args = process.argv.slice(2);
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--debug");
})();

const program = new LocalizedCommand("convlab", messages)
  .description("The TypeScript lab for convolutional neural networks: the tutorial's MNIST CNN, no Python needed.")
  .version(packageVersion())
  .option("--debug", "on an error, print its code and stack too (for bug reports)")
  .showHelpAfterError(messages.helpHint);

/** `--lang`: every command prints its lines (and the report, pictures) in English or the tutorial's Vietnamese. */
const langOption = (
  cmd: Command,
  what = "language of the printed lines and errors: en or vi (default: from the locale)",
) => cmd.option("--lang <lang>", what, lang);

const commonOptions = (cmd: Command) =>
  cmd
    .option(
      "--backend <name>",
      "compute backend: wasm (SIMD, default) or ref (plain loops); env CONVLAB_BACKEND",
      backendName,
    )
    .option("--threads <n>", "threads for the wasm convolutions (default: all cores; env CONVLAB_THREADS)", positiveInt)
    .option("--data-dir <dir>", "dataset root, as torchvision's root (files in <dir>/MNIST/raw)", "./data")
    .option("--download", "download MNIST from the mirrors if neither --data-dir nor the embedded copy has it", false);

/** The tutorial's training settings, shared by train and sweep (where a --grid axis overrides one). */
const trainingOptions = (cmd: Command) =>
  cmd
    .addOption(
      new Option("--arch <name>", "model: seed (the tutorial), conv3 (the homework) or a spec file (.json)")
        .default("seed")
        .argParser(arch),
    )
    .option("--epochs <n>", "passes over the training set", positiveInt, 5)
    .option("--lr <number>", "SGD learning rate", learningRate, 0.01)
    .option("--momentum <number>", "SGD momentum", momentum, 0.9)
    .option("--batch-size <n>", "images per step", positiveInt, 64)
    .option("--seed <n>", "seed of the weight init and shuffling (as torch.manual_seed)", nonNegativeInt, 0)
    .option(
      "--train-limit <n>",
      "train on the first N training images only, for a quick run (0: all)",
      nonNegativeInt,
      0,
    );

commonOptions(
  langOption(
    trainingOptions(
      program.command("train").description("train the tutorial's CNN on MNIST and report the test accuracy"),
    )
      .option("--out <dir>", "run folder for metrics.json and model.safetensors (default: runs/<time>-<arch>-…)")
      .option("--no-progress", "no progress bar"),
    "language of the printed lines, report.html and the pictures: en or vi (default: from the locale)",
  ).option("--json", "print one JSON object with the results instead of text", false),
).action(async (flags: TrainFlags) => {
  const [{ trainCommand }, { listenForInterrupts }] = await Promise.all([
    import("./commands/train.js"),
    import("./interrupt.js"),
  ]);
  listenForInterrupts((signal) => [messages.interrupt.stopped(signal)]);
  await trainCommand(flags);
});

commonOptions(
  langOption(
    program
      .command("eval")
      .description("test accuracy (overall and per class) of saved weights")
      .requiredOption("--weights <file>", "a .safetensors state dict, e.g. runs/…/model.safetensors")
      .addOption(
        new Option("--arch <name>", "model: seed, conv3 or a spec file (default: from the weights file)").argParser(
          arch,
        ),
      )
      .option("--batch-size <n>", "images per forward pass (the tutorial's test_loader uses 64)", positiveInt, 64),
  ).option("--json", "print one JSON object instead of text", false),
).action(async (flags: EvalFlags) => {
  const { evalCommand } = await import("./commands/eval.js");
  await evalCommand(flags);
});

commonOptions(
  langOption(
    program
      .command("predict")
      .description(
        "the top-3 digits, with probabilities, of images prepared as MNIST's digits were, or of a test image",
      )
      .argument("[images...]", "PNG or JPEG pictures of a digit, any size, dark on light or light on dark")
      .requiredOption("--weights <file>", "a .safetensors state dict, e.g. runs/…/model.safetensors")
      .addOption(
        new Option("--arch <name>", "model: seed, conv3 or a spec file (default: from the weights file)").argParser(
          arch,
        ),
      )
      .option("--mnist-index <n>", "predict image N of the MNIST test set instead of image files", nonNegativeInt)
      .option("--out <dir>", "save each input's 28×28 picture as the model saw it: <dir>/<input>.seen.png"),
  ).option("--json", "print one JSON object instead of text", false),
).action(async (images: string[], flags: PredictFlags) => {
  const { predictCommand } = await import("./commands/predict.js");
  await predictCommand(images, flags);
});

commonOptions(
  langOption(
    program
      .command("bench")
      .description("benchmark training and inference speed (JSON lines); against PyTorch too where it is installed")
      .option("--steps <n>", "training steps to time per model, after 20 warm-up steps", positiveInt, 200)
      .option("--rounds <n>", "alternating PyTorch/convlab epochs to compare", positiveInt, 2)
      .option("--no-torch", "skip the comparison with the tutorial's PyTorch script")
      .option("--no-onnx", "skip the comparison with ONNX Runtime")
      .option("--torch-script <file>", "the tutorial's PyTorch script (default: the copy in convlab's bench/)"),
    "language of the errors (the JSON lines are language-neutral): en or vi (default: from the locale)",
  ),
).action(async (flags: BenchFlags) => {
  const { benchCommand } = await import("./commands/bench.js");
  await benchCommand(flags);
});

langOption(
  program
    .command("summary")
    .description("each layer's output shape with the formula behind it, its parameters and mult-adds (as torchinfo)")
    .addOption(new Option("--arch <name>", "model: seed, conv3 or a spec file (.json)").default("seed").argParser(arch))
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text")),
)
  .option("--json", "same as --format json")
  .action(async (flags: SummaryFlags & { json?: boolean }) => {
    const { summaryCommand } = await import("./commands/summary.js");
    summaryCommand({ ...flags, format: flags.json === true ? "json" : flags.format });
  });

commonOptions(
  langOption(
    program
      .command("explain")
      .description(
        "walk through the tutorial's worked examples (or your numbers), every number computed by the library",
      )
      .argument("[topic]", "conv, padding, relu, pool, fc, pipeline or all", explainTopic, "all"),
    "en or vi (default: vi when LC_ALL/LC_MESSAGES/LANG starts with vi, else en)",
  )
    .option("--format <format>", "text, md, json, or svg/png (the tutorial's figures)", explainFormat, "text")
    .option("--out <dir>", "folder of the svg/png figures, named <figure>.<lang>.<svg|png> (default: .)")
    .option("--image <json>", "your image as a JSON matrix, e.g. '[[1,0,1],[0,1,0],[1,0,1]]'")
    .option("--kernel <json>", "your kernel as a JSON matrix (relu and pool then use its feature map)")
    .option("--stride <n>", "stride S of the convolution", positiveInt)
    .option("--padding <n>", "padding P of the convolution", nonNegativeInt)
    .option("--mnist-index <n>", "a real digit: image N of the MNIST test set", nonNegativeInt)
    .option("--weights <file>", "a trained model (.safetensors or .onnx): its conv1 kernel is used")
    .option("--channel <n>", "which of conv1's kernels (default 0)", nonNegativeInt),
).action(async (topic: Topic | "all", flags: ExplainFlags) => {
  const { explainCommand } = await import("./commands/explain.js");
  await explainCommand(topic, flags);
});

commonOptions(
  langOption(
    program
      .command("features")
      .description("a layer's feature maps (after ReLU) of a test image, as the tutorial draws them: PNG and SVG")
      .requiredOption("--weights <file>", "a .safetensors state dict, e.g. runs/…/model.safetensors")
      .requiredOption("--layer <name>", "the layer: conv1, conv2, … (any layer that gives feature maps)")
      .requiredOption("--mnist-index <n>", "the image: N of the MNIST test set (the tutorial draws 0)", nonNegativeInt)
      .option("--out <dir>", "folder of the pictures (default: the weights file's folder)"),
    "language of the picture's titles and the printed line: en or vi (default: from the locale)",
  ),
).action(async (flags: FeaturesFlags) => {
  const { featuresCommand } = await import("./commands/features.js");
  await featuresCommand(flags);
});

commonOptions(
  trainingOptions(
    langOption(
      program
        .command("sweep")
        .description(
          "train several runs, each in its own folder, then compare them (resumable: finished runs are kept)",
        )
        .argument("[preset]", "homework: 5 and 10 epochs, conv3, lr 0.001 and 0.1 (default: the --grid runs)")
        .option(
          "--grid <key=values>",
          "a setting and its values, e.g. lr=0.001,0.01,0.1 (repeat for a product)",
          (text: string, previous: GridAxis[]) => gridAxis(text, previous, language),
          [],
        )
        .option("--out <dir>", "sweep folder, one run folder per run inside (default: runs/homework or runs/sweep)")
        .option(
          "--jobs <n>",
          "runs trained at once, each in its own process (default: one per core, or cores / --threads)",
          positiveInt,
        ),
      "language of the printed lines and the reports: en or vi (default: from the locale)",
    )
      .option("--no-progress", "no progress bar")
      .option("--json", "print one JSON object with the summary instead of text", false),
  ),
).action(async (preset: string | undefined, flags: SweepFlags) => {
  const [{ sweepCommand }, { listenForInterrupts }] = await Promise.all([
    import("./commands/sweep.js"),
    import("./interrupt.js"),
  ]);
  listenForInterrupts((signal) => [messages.interrupt.stopped(signal)]);
  await sweepCommand(preset, flags);
});

langOption(
  program
    .command("runs")
    .description("list the runs in a folder (and in its sweeps) with their settings, accuracy, loss and status")
    .argument("[dir]", "a runs folder, a sweep folder or a run folder", "runs"),
)
  .option("--json", "print one JSON object instead of text", false)
  .action(async (dir: string, flags: RunsFlags) => {
    const { runsCommand } = await import("./commands/runs.js");
    await runsCommand(dir, flags);
  });

langOption(
  program
    .command("notebook")
    .description("write the tutorial's exercise and homework as a Jupyter notebook for Deno's TypeScript kernel")
    .addArgument(
      new Argument("<name>", "homework: the exercise, then one section per homework question (Câu 1–4)").choices([
        "homework",
      ]),
    ),
  "language of the notebook's text and code comments: en or vi (default: from the locale)",
)
  .option("--out <file>", "the .ipynb to write", "homework.ipynb")
  .option("--epochs <n>", "the exercise's epochs (the tutorial's range(5))", positiveInt, 5)
  .option("--homework-epochs <n>", "the homework's epochs (question 1 raises 5 to 10)", positiveInt, 10)
  .option("--train-limit <n>", "train on the first N images only, for a quick run (0: all 60,000)", nonNegativeInt, 0)
  .option("--import-from <specifier>", "what the cells import: the installed package, or a path to one", "convlab")
  .action(async (_name: "homework", flags: NotebookFlags) => {
    const { notebookCommand } = await import("./commands/notebook.js");
    notebookCommand(flags);
  });

langOption(
  program
    .command("export")
    .description("write a trained model as ONNX (opset 13, any batch size) for ONNX Runtime and other runtimes")
    .requiredOption("--weights <file>", "a .safetensors state dict or a .onnx model, e.g. runs/…/model.safetensors")
    .addOption(
      new Option("--arch <name>", "model: seed, conv3 or a spec file (default: from the weights file)").argParser(arch),
    )
    .addOption(new Option("--format <format>", "the format to write").choices(["onnx"]).default("onnx"))
    .option("--out <file>", "the file to write (default: the weights file with .onnx)"),
  "language of the printed lines: en or vi (default: from the locale)",
)
  .option("--json", "print one JSON object instead of text", false)
  .action(async (flags: ExportFlags) => {
    const { exportCommand } = await import("./commands/export.js");
    exportCommand({ ...flags, producerVersion: packageVersion() });
  });

langOption(
  program
    .command("lab")
    .description("serve the lab page: the tutorial live in the browser (theory, training, drawing, homework)")
    .option("--port <n>", "port to listen on (0: any free one)", nonNegativeInt, 8080)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--no-open", "do not open a browser"),
  "language the page opens in: en or vi (default: from the locale)",
).action(async (flags: LabFlags) => {
  const { labCommand } = await import("./commands/lab.js");
  await labCommand(flags);
});

program.hook("preAction", async (_program, command) => {
  // A command without --backend computes nothing (notebook writes a file): no kernels to start.
  if (!command.options.some((option) => option.long === "--backend")) return;
  const { backend, threads } = command.opts<{ backend?: string; threads?: number }>();
  const { capThreads, useBackend, BACKEND_ENV } = await import("../src/node/backend.js");
  // --threads past the cores is capped, with a notice (as $CONVLAB_THREADS is); the ref backend has no threads.
  const ref = (backend ?? process.env[BACKEND_ENV]) === "ref";
  await useBackend(backend, undefined, threads === undefined || ref ? threads : capThreads(threads));
});

// `convlab eval | head -2`: a reader that stops early is not an error, so end quietly as Unix tools do.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

/** An error's stack, then each cause's, for --debug. */
function stacks(error: unknown): string {
  const lines: string[] = [];
  for (let e = error, depth = 0; e !== undefined && depth < 10; e = (e as Error).cause, depth++) {
    lines.push(`${depth > 0 ? "Caused by: " : ""}${e instanceof Error ? (e.stack ?? String(e)) : String(e)}`);
  }
  return `${lines.join("\n")}\n`;
}

// Errors are said as `convlab: error: <message>` and nothing more: the CLI's own in the chosen language, and so are
// the library's errors about run folders; others keep their English words under the localized label. With --debug
// the label carries the error's code (`convlab: error [E_RUN_LOCKED]: …`) and the stacks follow. A command stopped
// by Ctrl-C says what it kept and how to go on, and exits 130 (143 for SIGTERM).
program.parseAsync(process.argv).catch(async (error: unknown) => {
  const [{ cliErrorOf }, { Interrupted }, { isConvlabError }] = await Promise.all([
    import("./run-folder.js"),
    import("./interrupt.js"),
    import("../src/errors.js"),
  ]);
  if (error instanceof Interrupted) {
    process.stderr.write(`${error.lines.join("\n")}\n`);
    process.exitCode = error.exitCode;
    return;
  }
  const known = cliErrorOf(error);
  const text = known instanceof CliError ? known.in(language) : known instanceof Error ? known.message : String(known);
  const label = debug && isConvlabError(known) ? `${messages.error} [${known.code}]` : messages.error;
  // A TypeError or RangeError that convlab did not mean to throw is a bug: --debug shows where.
  const bug = !debug && (known instanceof TypeError || known instanceof RangeError || known instanceof ReferenceError);
  process.stderr.write(`convlab: ${label}: ${text}${bug ? ` ${messages.debugHint}` : ""}\n`);
  if (known instanceof CliError && known.notes.length > 0) process.stderr.write(`${known.notes.join("\n")}\n`);
  if (debug) process.stderr.write(stacks(known));
  process.exitCode = 1;
});
