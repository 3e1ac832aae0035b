import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { crossEntropy } from "../src/ops/loss.js";
import { MnistCNN } from "../src/models/tutorial.js";
import { loadSafetensorsFile } from "../src/node/safetensors-file.js";
import { Adam } from "../src/optim/adam.js";
import { SGD } from "../src/optim/sgd.js";
import type { Optimizer } from "../src/optim/optimizer.js";
import { Generator, manualSeed } from "../src/tensor/random.js";
import { rand } from "../src/tensor/creation.js";
import { convlab, REPO, show, succeeded } from "./helpers/cli.js";
import { writeTinyMnist } from "./helpers/idx.js";

/**
 * Per-epoch checkpoints and resuming: the generator and optimizer state they rely on, then a real run killed after
 * its first checkpoint and resumed, which must end with the very weights of an uninterrupted run. The CLI runs use
 * the ref backend, whose sums are in a fixed order, so "the same" means bit for bit.
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-resume-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const DATA = join(TMP, "data");
// ~1.5 s per epoch on ref: slow enough to kill between checkpoints, fast enough for three runs.
writeTinyMnist(DATA, { train: 192, test: 32, seed: 3 });
const args = (out: string, ...more: string[]) => [
  "train",
  ...["--data-dir", DATA, "--out", out, "--batch-size", "32", "--epochs", "3", "--backend", "ref", "--no-progress"],
  ...more,
];

test("Generator.setState continues the exact stream of getState", () => {
  const g = new Generator(7);
  for (let i = 0; i < 700; i++) g.random(); // past one regeneration of the 624 words, mid-vector
  const saved = g.getState();
  const expected = Array.from({ length: 1000 }, () => g.random());
  const other = new Generator(0).setState(saved);
  assert.deepEqual(
    Array.from({ length: 1000 }, () => other.random()),
    expected,
  );
  assert.equal(other.initialSeed(), 7);
  assert.throws(() => other.setState({ ...saved, index: 625 }), /index must be an integer in \[0, 624\]/);
});

/** Two steps, a state-dict round trip into a fresh optimizer, two more steps: must equal four uninterrupted steps. */
function roundTrip(make: (model: MnistCNN) => Optimizer): void {
  manualSeed(1);
  const inputs = rand([4, 1, 28, 28]);
  const labels = Int32Array.of(1, 2, 3, 4);
  const step = (model: MnistCNN, optimizer: Optimizer) => {
    optimizer.zeroGrad();
    crossEntropy(model.forward(inputs), labels).backward();
    optimizer.step();
  };
  manualSeed(0);
  const a = new MnistCNN("seed");
  const optA = make(a);
  for (let i = 0; i < 4; i++) step(a, optA);

  manualSeed(0);
  const b = new MnistCNN("seed");
  const optB = make(b);
  for (let i = 0; i < 2; i++) step(b, optB);
  const saved = optB.stateDict();
  const c = new MnistCNN("seed");
  c.loadStateDict(b.stateDict());
  const optC = make(c);
  optC.loadStateDict(saved);
  for (let i = 0; i < 2; i++) step(c, optC);
  for (const [key, t] of Object.entries(a.stateDict())) assert.deepEqual(c.stateDict()[key].data, t.data, key);
}

test("SGD.loadStateDict(stateDict()) continues as if never stopped; PyTorch's names", () => {
  roundTrip((m) => new SGD(m.parameters(), { lr: 0.01, momentum: 0.9 }));
  const m = new MnistCNN("seed");
  const sgd = new SGD(m.parameters(), { lr: 0.01, momentum: 0.9 });
  assert.deepEqual(sgd.stateDict().state, {}, "no buffers before the first step, as PyTorch");
  const group = sgd.stateDict().param_groups[0];
  assert.deepEqual(group, {
    lr: 0.01,
    momentum: 0.9,
    dampening: 0,
    weight_decay: 0,
    nesterov: false,
    maximize: false,
    params: [0, 1, 2, 3, 4, 5],
  });
  const other = new SGD(m.parameters(), { lr: 0.5 });
  other.loadStateDict(sgd.stateDict());
  assert.equal(other.lr, 0.01, "the loaded group's hyperparameters replace the current ones, as load_state_dict");
  const few = new SGD(m.parameters().slice(1), { lr: 0.01 });
  assert.throws(() => few.loadStateDict(sgd.stateDict()), /the state has 6 parameters, this optimizer 5/);
});

test("Adam.loadStateDict(stateDict()) continues as if never stopped", () => {
  roundTrip((m) => new Adam(m.parameters(), { lr: 1e-3 }));
});

/** Polls until `path` exists (or the child exits), then kills the child with SIGKILL, as a crash or power cut would. */
async function killAfter(path: string, argv: string[]): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...argv], { cwd: REPO, stdio: "ignore" });
  let exited = false;
  child.on("exit", () => (exited = true));
  while (!existsSync(path) && !exited) await sleep(10);
  child.kill("SIGKILL");
  if (!exited) await new Promise((done) => child.on("exit", done));
}

test(
  "a run killed after its first checkpoint resumes to the same weights and losses",
  { timeout: 60_000 },
  async () => {
    const whole = join(TMP, "whole");
    const killed = join(TMP, "killed");
    const [full] = await Promise.all([
      convlab(...args(whole)),
      killAfter(join(killed, "checkpoint.safetensors"), args(killed)),
    ]);
    succeeded(full);
    assert.ok(!existsSync(join(whole, "checkpoint.safetensors")), "a finished run keeps no checkpoint");
    assert.ok(!existsSync(join(killed, "model.safetensors")), "the run finished before it was killed; slow it down");

    const checkpoint = loadSafetensorsFile(join(killed, "checkpoint.safetensors"));
    const done = Number(checkpoint.metadata.epoch);
    assert.ok(done >= 1 && done < 3, `checkpoint after epoch ${done}`);
    assert.ok("optimizer.momentum_buffer.conv1.weight" in checkpoint.tensors);
    assert.ok("fc1.bias" in checkpoint.tensors);
    assert.equal(JSON.parse(checkpoint.metadata.generator).state.length, 624);

    // Another settings' rerun must not touch it: copy the checkpoint aside and ask for another lr.
    const other = join(TMP, "other");
    mkdirSync(other);
    copyFileSync(join(killed, "checkpoint.safetensors"), join(other, "checkpoint.safetensors"));
    const refused = await convlab(...args(other, "--lr", "0.1"));
    assert.notEqual(refused.code, 0, show(refused));
    assert.match(refused.stderr, /trained with --lr 0\.01, but this run asks for --lr 0\.1; rerun with --lr 0\.01/);

    const resumed = succeeded(await convlab(...args(killed)));
    assert.match(resumed.stdout, new RegExp(`Resuming .* after epoch ${done} of 3`));
    assert.ok(!resumed.stdout.includes("Epoch 1,"), "epoch 1 was trained again");
    assert.ok(!existsSync(join(killed, "checkpoint.safetensors")), "the checkpoint is removed once finished");
    // Bit-identical: ref sums in a fixed order, and the generator and momentum are restored exactly.
    assert.ok(readFileSync(join(killed, "model.safetensors")).equals(readFileSync(join(whole, "model.safetensors"))));
    const losses = (dir: string) =>
      (JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8")) as { epochs: { loss: number }[] }).epochs.map(
        (e) => e.loss,
      );
    assert.deepEqual(losses(killed), losses(whole));

    const again = await convlab(...args(killed));
    assert.match(again.stderr, /already holds a trained model/, "a finished run is still refused");
  },
);
