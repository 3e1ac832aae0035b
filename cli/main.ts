#!/usr/bin/env node
import { Command, Option } from "commander";
import { arch, learningRate, momentum, nonNegativeInt, positiveInt } from "./options.js";
import { trainCommand, type TrainFlags } from "./commands/train.js";
import { evalCommand, type EvalFlags } from "./commands/eval.js";

const program = new Command("convlab")
  .description("The TypeScript lab for convolutional neural networks: the tutorial's MNIST CNN, no Python needed.")
  .showHelpAfterError("(run with --help for the options)");

const dataOptions = (cmd: Command) =>
  cmd
    .option("--data-dir <dir>", "dataset root, as torchvision's root (files in <dir>/MNIST/raw)", "./data")
    .option("--download", "download MNIST from the mirrors if neither --data-dir nor the embedded copy has it", false);

dataOptions(
  program
    .command("train")
    .description("train the tutorial's CNN on MNIST and report the test accuracy")
    .addOption(
      new Option("--arch <name>", "model: seed (the tutorial) or conv3 (the homework)").default("seed").argParser(arch),
    )
    .option("--epochs <n>", "passes over the training set", positiveInt, 5)
    .option("--lr <number>", "SGD learning rate", learningRate, 0.01)
    .option("--momentum <number>", "SGD momentum", momentum, 0.9)
    .option("--batch-size <n>", "images per step", positiveInt, 64)
    .option("--seed <n>", "seed of the weight init and shuffling (as torch.manual_seed)", nonNegativeInt, 0)
    .option("--out <dir>", "run folder for metrics.json and model.safetensors (default: runs/<time>-<arch>-…)")
    .option("--no-progress", "no progress bar")
    .option("--json", "print one JSON object with the results instead of text", false),
).action(async (flags: TrainFlags) => {
  await trainCommand(flags);
});

dataOptions(
  program
    .command("eval")
    .description("test accuracy (overall and per class) of saved weights")
    .requiredOption("--weights <file>", "a .safetensors state dict, e.g. runs/…/model.safetensors")
    .addOption(new Option("--arch <name>", "model: seed or conv3 (default: from the file)").argParser(arch))
    .option("--batch-size <n>", "images per forward pass", positiveInt, 1000)
    .option("--json", "print one JSON object instead of text", false),
).action(async (flags: EvalFlags) => {
  await evalCommand(flags);
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`convlab: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
