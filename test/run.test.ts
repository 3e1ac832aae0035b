import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { BatchDataset } from "../src/data/dataset.js";
import { parseMnistImages, parseMnistLabels } from "../src/data/idx.js";
import { MnistDataset } from "../src/data/mnist.js";
import { decodeSafetensors, encodeSafetensors } from "../src/io/safetensors.js";
import { presetChoice } from "../src/models/choice.js";
import { isArch } from "../src/models/presets.js";
import type { SpecModel } from "../src/models/spec.js";
import { useBackend } from "../src/node/backend.js";
import { tensor } from "../src/tensor/creation.js";
import { RunControl, yieldToEventLoop } from "../src/train/control.js";
import { NonFiniteLossError } from "../src/train/loop.js";
import {
  CHECKPOINT_FILE,
  checkpointInfo,
  checkpointMetadata,
  configDifference,
  FAILED_FILE,
  inspectRun,
  METRICS_FILE,
  MODEL_FILE,
  RunFileError,
  runRow,
  type FailureInfo,
  type RunConfig,
  type RunMetrics,
  type TrainSettings,
} from "../src/train/run-files.js";
import { trainRun, type RunEvent, type TrainRunOptions, type TrainRunResult } from "../src/train/run.js";
import { MemoryStorage, readJson, writeJson, type RunStorage } from "../src/train/storage.js";
import { gridProduct, HOMEWORK, planSweep, type GridPoint } from "../src/train/sweep-plan.js";
import { finishedRuns, runSweep, type SweepEvent, type SweepRunPlan, type SweepTrainer } from "../src/train/sweep.js";
import { tinyMnistSplit } from "./helpers/idx.js";

/**
 * The browser-safe training core on a tiny in-memory MNIST: trainRun's files, events, resume, pause and stop; the run
 * files read back (inspectRun, runRow); sweeps over MemoryStorage. wasm on 1 thread sums in a fixed order, so a
 * resumed run ends with the very bytes of an uninterrupted one; each run here takes under 0.1 s (ref: about 0.7 s).
 *
 * trainRun seeds and draws from the one default generator, so no two runs may overlap: every test awaits its runs.
 */

const BACKEND = await useBackend("wasm", () => {}, 1);

function tinySet(count: number, seed: number): MnistDataset {
  const split = tinyMnistSplit(count, seed);
  return new MnistDataset(parseMnistImages(split.images, "images"), parseMnistLabels(split.labels, "labels"));
}

const DATA = { train: tinySet(64, 1), test: tinySet(32, 2) };
/** 64 training images in batches of 16. */
const BATCHES = 4;
const CONFIG: RunConfig = {
  arch: "seed",
  epochs: 3,
  lr: 0.01,
  momentum: 0.9,
  batchSize: 16,
  seed: 0,
  backend: BACKEND,
  threads: 1,
  optimizer: "SGD",
};
/** The tutorial's model: conv1 160 + conv2 4,640 + fc1 8,010. */
const SEED_PARAMETERS = 12_810;

type TrainOptions = Omit<Partial<TrainRunOptions>, "config"> & { config?: Partial<RunConfig> };

/** trainRun of the tutorial's model on the tiny data, with CONFIG and `options.config` over it. */
function train(storage: RunStorage, options: TrainOptions = {}): Promise<TrainRunResult> {
  const { config, ...rest } = options;
  return trainRun({ choice: presetChoice("seed"), data: DATA, storage, ...rest, config: { ...CONFIG, ...config } });
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail("expected a rejection"),
    (error: unknown) => error,
  );
}

/** MemoryStorage that logs its writes and removes, in order. */
class LoggedStorage extends MemoryStorage {
  readonly log: string[] = [];
  override async write(name: string, bytes: Uint8Array): Promise<void> {
    this.log.push(`write ${name}`);
    return super.write(name, bytes);
  }
  override async remove(name: string): Promise<void> {
    this.log.push(`remove ${name}`);
    return super.remove(name);
  }
}

/** An event as one short line, so a run's sequence compares as a list of strings. */
function line(event: RunEvent): string {
  switch (event.type) {
    case "start":
      return event.resumed === undefined ? "start" : `start resumed@${event.resumed.epoch}`;
    case "epochStart":
      return `epochStart ${event.epoch}`;
    case "batch":
      return `batch ${event.epoch}.${event.batch}`;
    case "epochEnd":
      return `epochEnd ${event.metrics.epoch}${event.stopped ? " stopped" : ""}`;
    case "test":
      return `test ${event.epoch}${event.final ? " final" : ""}`;
  }
}

/** The events of epochs `from`..`to`, each of `batches` batches, as {@link line} writes them. */
function epochLines(from: number, to: number, batches = BATCHES, testEach = false, last = to): string[] {
  const lines: string[] = [];
  for (let epoch = from; epoch <= to; epoch++) {
    lines.push(`epochStart ${epoch}`);
    for (let b = 1; b <= batches; b++) lines.push(`batch ${epoch}.${b}`);
    lines.push(`epochEnd ${epoch}`);
    if (testEach && epoch < last) lines.push(`test ${epoch}`);
  }
  return lines;
}

const batchEvents = (events: RunEvent[]) =>
  events.filter((e): e is Extract<RunEvent, { type: "batch" }> => e.type === "batch");

/** Bytes compared as one buffer, so a mismatch does not print a 50 kB diff. */
function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array, label: string): void {
  assert.ok(actual !== undefined, `${label}: missing`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${label}: the bytes differ`);
}

/** A run stopped by an exception from onEvent on epoch 2's first batch: its storage holds epoch 1's checkpoint. */
async function interruptedRun(where: string): Promise<MemoryStorage> {
  const storage = new MemoryStorage(where);
  const crash = new Error("crash");
  const error = await rejection(
    train(storage, {
      onEvent: (event) => {
        if (event.type === "batch" && event.epoch === 2) throw crash;
      },
    }),
  );
  assert.equal(error, crash, "the run rethrows what onEvent threw");
  return storage;
}

let uninterrupted: Promise<TrainRunResult> | undefined;
/** CONFIG trained start to end once (memoised): the reference for resumed and paused runs. */
const wholeRun = () => (uninterrupted ??= train(new MemoryStorage("mem/whole")));

test("trainRun writes model.safetensors and metrics.json, a checkpoint per epoch, and removes the checkpoint", async () => {
  const storage = new LoggedStorage("mem/run");
  const events: RunEvent[] = [];
  const result = await train(storage, { onEvent: (e) => events.push(e), peakMemoryMB: () => 42 });

  assert.deepEqual(storage.log, [
    ...Array<string>(CONFIG.epochs).fill(`write ${CHECKPOINT_FILE}`),
    `write ${MODEL_FILE}`,
    `write ${METRICS_FILE}`,
    `remove ${CHECKPOINT_FILE}`,
    `remove ${FAILED_FILE}`,
  ]);
  assert.deepEqual([...storage.files.keys()].sort(), [METRICS_FILE, MODEL_FILE]);
  sameBytes(storage.files.get(MODEL_FILE), result.safetensors, MODEL_FILE);
  const saved = decodeSafetensors(result.safetensors, MODEL_FILE);
  assert.deepEqual(saved.metadata, { format: "pt", arch: "seed" });
  assert.deepEqual(Object.keys(saved.tensors).sort(), [
    "conv1.bias",
    "conv1.weight",
    "conv2.bias",
    "conv2.weight",
    "fc1.bias",
    "fc1.weight",
  ]);

  const { metrics } = result;
  assert.deepEqual(await readJson<RunMetrics>(storage, METRICS_FILE), JSON.parse(JSON.stringify(metrics)));
  assert.deepEqual(metrics.config, CONFIG);
  assert.equal(metrics.parameters, SEED_PARAMETERS);
  assert.equal(metrics.peakRssMB, 42);
  assert.equal(metrics.stoppedAt, undefined);
  assert.equal(metrics.test.total, DATA.test.length);
  assert.deepEqual(
    metrics.epochs.map((e) => e.epoch),
    [1, 2, 3],
  );
  for (const epoch of metrics.epochs) {
    assert.equal(epoch.batchLosses?.length, BATCHES, `epoch ${epoch.epoch}`);
    const mean = epoch.batchLosses.reduce((a, v) => a + v, 0) / BATCHES;
    // The same sum in the same order: equal up to rounding at worst.
    assert.ok(Math.abs(epoch.loss - mean) <= 1e-12, `epoch ${epoch.epoch}: loss ${epoch.loss}, mean ${mean}`);
  }
  assert.ok(metrics.epochs[2].loss < metrics.epochs[0].loss, "the loss went down");

  assert.deepEqual(events.map(line), ["start", ...epochLines(1, 3), "test 3 final"]);
  const start = events[0];
  assert.ok(start.type === "start");
  assert.deepEqual(start, { type: "start", epochs: 3, batches: BATCHES });
  const batches = batchEvents(events);
  assert.deepEqual(
    batches.map((b) => b.steps),
    Array.from({ length: 3 * BATCHES }, (_, i) => i + 1),
  );
  assert.ok(batches.every((b) => b.batches === BATCHES && b.examples === 16 && b.imagesPerSecond > 0));
  assert.deepEqual(
    batches.map((b) => b.loss),
    metrics.epochs.flatMap((e) => e.batchLosses ?? []),
  );
  const ends = events.filter((e) => e.type === "epochEnd");
  assert.deepEqual(
    ends.map((e) => e.metrics),
    metrics.epochs,
  );
  const last = events.at(-1);
  assert.ok(last?.type === "test");
  assert.equal(last.model, result.model);
  assert.deepEqual(last.result, metrics.test);
});

test("testEachEpoch tests after every epoch but the last, then once at the end", async () => {
  const events: RunEvent[] = [];
  await train(new MemoryStorage(), { config: { epochs: 2 }, testEachEpoch: true, onEvent: (e) => events.push(e) });
  assert.deepEqual(events.map(line), ["start", ...epochLines(1, 2, BATCHES, true), "test 2 final"]);
  const tests = events.filter((e) => e.type === "test");
  assert.ok(tests.every((t) => t.result.total === DATA.test.length));
});

test("an interrupted run leaves epoch 1's checkpoint; run again, it resumes to the very same weights", async () => {
  const whole = await wholeRun();
  const storage = await interruptedRun("mem/killed");
  assert.deepEqual([...storage.files.keys()], [CHECKPOINT_FILE]);

  const checkpoint = decodeSafetensors(storage.files.get(CHECKPOINT_FILE)!, CHECKPOINT_FILE);
  assert.equal(checkpoint.metadata.arch, "seed", "a checkpoint also loads as the model's weights");
  assert.ok("fc1.bias" in checkpoint.tensors);
  assert.ok("optimizer.momentum_buffer.conv1.weight" in checkpoint.tensors);
  const info = checkpointInfo(checkpoint.metadata, CHECKPOINT_FILE);
  assert.equal(info.epoch, 1);
  assert.deepEqual(info.config, CONFIG);
  assert.deepEqual(info.epochs[0].batchLosses, whole.metrics.epochs[0].batchLosses);

  const events: RunEvent[] = [];
  const resumed = await train(storage, { onEvent: (e) => events.push(e) });
  assert.deepEqual(events.map(line), ["start resumed@1", ...epochLines(2, 3), "test 3 final"]);
  const start = events[0];
  assert.ok(start.type === "start" && start.resumed !== undefined);
  assert.deepEqual(start.resumed.config, CONFIG);
  assert.deepEqual(
    batchEvents(events).map((b) => b.steps),
    Array.from({ length: 2 * BATCHES }, (_, i) => BATCHES + i + 1),
    "steps count on from the checkpoint's",
  );

  // Bit for bit: wasm on 1 thread sums in a fixed order, and weights, momentum and generator are restored exactly.
  sameBytes(resumed.safetensors, whole.safetensors, "resumed model.safetensors");
  sameBytes(storage.files.get(MODEL_FILE), whole.safetensors, "stored model.safetensors");
  const losses = (m: RunMetrics) => m.epochs.map((e) => [e.epoch, e.loss, e.batchLosses]);
  assert.deepEqual(losses(resumed.metrics), losses(whole.metrics));
  assert.deepEqual(resumed.metrics.test, whole.metrics.test);
  assert.ok(resumed.metrics.seconds >= info.seconds, "a resumed run reports its total time");
  assert.deepEqual([...storage.files.keys()].sort(), [METRICS_FILE, MODEL_FILE]);
});

test("a crash after the last epoch's checkpoint resumes straight to the test and the same model", async () => {
  const whole = await wholeRun();
  const storage = new MemoryStorage("mem/late");
  const crash = new Error("crash");
  const error = await rejection(
    train(storage, {
      onEvent: (e) => {
        if (e.type === "test" && e.final) throw crash;
      },
    }),
  );
  assert.equal(error, crash);
  assert.deepEqual([...storage.files.keys()], [CHECKPOINT_FILE]);
  assert.equal((await inspectRun(storage))?.epochs.length, 3);

  const events: RunEvent[] = [];
  const resumed = await train(storage, { onEvent: (e) => events.push(e) });
  assert.deepEqual(events.map(line), ["start resumed@3", "test 3 final"]);
  sameBytes(resumed.safetensors, whole.safetensors, "model.safetensors");
  assert.deepEqual(
    resumed.metrics.epochs.map((e) => e.batchLosses),
    whole.metrics.epochs.map((e) => e.batchLosses),
  );
  assert.deepEqual([...storage.files.keys()].sort(), [METRICS_FILE, MODEL_FILE]);
});

test("a checkpoint of other settings is refused naming the setting; resume: () => false starts over", async () => {
  const killed = await interruptedRun("mem/killed");
  const bytes = killed.files.get(CHECKPOINT_FILE)!;
  const other = new MemoryStorage("mem/other");
  await other.write(CHECKPOINT_FILE, bytes);

  const refusals: [Partial<RunConfig>, RegExp][] = [
    [{ lr: 0.1 }, /^mem\/other: the checkpoint there was trained with --lr 0\.01, but this run asks for --lr 0\.1; /],
    [{ batchSize: 32 }, /trained with --batch-size 16, but this run asks for --batch-size 32; continue it with /],
    [{ seed: 7 }, /trained with --seed 0, but this run asks for --seed 7; .*delete checkpoint\.safetensors/],
  ];
  for (const [config, message] of refusals) {
    const events: RunEvent[] = [];
    const error = await rejection(train(other, { config, onEvent: (e) => events.push(e) }));
    assert.ok(error instanceof Error);
    assert.match(error.message, message);
    assert.deepEqual(events, [], "refused before it started");
  }
  assert.deepEqual([...other.files.keys()], [CHECKPOINT_FILE]);
  sameBytes(other.files.get(CHECKPOINT_FILE), bytes, "the refused checkpoint");

  // Backend and threads change the speed, not what is trained: the checkpoint is continued.
  const events: RunEvent[] = [];
  await train(other, { config: { backend: "ref", threads: 4 }, onEvent: (e) => events.push(e) });
  assert.equal(events.map(line)[0], "start resumed@1");

  await other.write(CHECKPOINT_FILE, bytes);
  const seen: number[] = [];
  const restarted: RunEvent[] = [];
  const fresh = await train(other, {
    config: { lr: 0.1 },
    resume: (saved) => {
      seen.push(saved.epoch, saved.config.lr);
      return false;
    },
    onEvent: (e) => restarted.push(e),
  });
  assert.deepEqual(seen, [1, 0.01], "resume was asked about the checkpoint found");
  assert.deepEqual(restarted.map(line), ["start", ...epochLines(1, 3), "test 3 final"]);
  assert.equal(fresh.metrics.config.lr, 0.1);
  assert.deepEqual([...other.files.keys()].sort(), [METRICS_FILE, MODEL_FILE]);
  // Started over means from the seed, not from the checkpoint's weights or generator.
  const clean = await train(new MemoryStorage(), { config: { lr: 0.1 } });
  sameBytes(fresh.safetensors, clean.safetensors, "restarted model.safetensors");
});

test("configDifference names the first training setting that differs, and ignores how it ran", () => {
  assert.equal(configDifference(CONFIG, { ...CONFIG }), undefined);
  const elsewhere = { ...CONFIG, backend: "ref", threads: 8, dataDir: "/data", download: true };
  assert.equal(configDifference(CONFIG, elsewhere), undefined);
  assert.deepEqual(configDifference(CONFIG, { ...CONFIG, lr: 0.1 }), { flag: "--lr", saved: "0.01", wanted: "0.1" });
  assert.deepEqual(configDifference(CONFIG, { ...CONFIG, epochs: 5, momentum: 0 }), {
    flag: "--epochs",
    saved: "3",
    wanted: "5",
  });
  assert.deepEqual(configDifference(CONFIG, { ...CONFIG, arch: "conv3", lr: 0.1 }), {
    flag: "--arch",
    saved: "seed",
    wanted: "conv3",
  });
  assert.equal(configDifference(CONFIG, { ...CONFIG, trainLimit: 100 })?.flag, "--train-limit");
  assert.equal(configDifference(CONFIG, { ...CONFIG, optimizer: "Adam" })?.flag, "the optimizer");

  // A spec file counts by its content: moved, it is the same model; edited, another one.
  const spec = presetChoice("seed").spec;
  const fromFile = { ...CONFIG, arch: "nets/mine.json", spec };
  assert.equal(configDifference(fromFile, { ...fromFile, arch: "moved/mine.json" }), undefined);
  const edited = { ...spec, layers: spec.layers.slice(0, -1) };
  assert.deepEqual(configDifference(fromFile, { ...fromFile, spec: edited }), {
    flag: "--arch",
    saved: "nets/mine.json",
    wanted: "nets/mine.json",
    otherModel: true,
  });
  assert.equal(configDifference(CONFIG, fromFile)?.otherModel, true, "a preset against a spec file");
});

test("RunControl.pause holds the run between batches until resume; the weights are those of a run never paused", async () => {
  const whole = await wholeRun();
  const control = new RunControl();
  const changes: boolean[] = [];
  let onPaused!: () => void;
  const paused = new Promise<void>((resolve) => (onPaused = resolve));
  control.onPauseChange = (value) => {
    changes.push(value);
    if (value) onPaused();
  };
  const batches: string[] = [];
  const running = train(new MemoryStorage(), {
    control,
    onEvent: (e) => {
      if (e.type !== "batch") return;
      batches.push(`${e.epoch}.${e.batch}`);
      if (e.epoch === 1 && e.batch === 2) control.pause();
    },
  });
  await paused;
  assert.equal(control.paused, true);
  assert.deepEqual(batches, ["1.1", "1.2"]);
  await sleep(100);
  assert.deepEqual(batches, ["1.1", "1.2"], "a batch ran while paused");
  assert.deepEqual(changes, [true]);
  control.resume();
  const result = await running;
  assert.deepEqual(changes, [true, false]);
  assert.equal(batches.length, 3 * BATCHES);
  assert.equal(result.metrics.stoppedAt, undefined);
  sameBytes(result.safetensors, whole.safetensors, "paused run's model.safetensors");
});

test("RunControl.stop mid-epoch ends the run there: stoppedAt, a partial epoch, the model tested and saved", async () => {
  const control = new RunControl();
  const storage = new LoggedStorage("mem/stopped");
  const events: RunEvent[] = [];
  const result = await train(storage, {
    control,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "batch" && e.epoch === 2 && e.batch === 2) control.stop();
    },
  });
  assert.equal(control.stopped, true);
  const { metrics } = result;
  assert.deepEqual(metrics.stoppedAt, { epoch: 2, batch: 2 });
  assert.deepEqual(
    metrics.epochs.map((e) => e.batchLosses?.length),
    [BATCHES, 2],
  );
  assert.deepEqual(events.map(line), [
    "start",
    ...epochLines(1, 1),
    "epochStart 2",
    "batch 2.1",
    "batch 2.2",
    "epochEnd 2 stopped",
    "test 2 final",
  ]);
  assert.equal(metrics.test.total, DATA.test.length);
  assert.deepEqual(storage.log, [
    `write ${CHECKPOINT_FILE}`,
    `write ${MODEL_FILE}`,
    `write ${METRICS_FILE}`,
    `remove ${CHECKPOINT_FILE}`,
    `remove ${FAILED_FILE}`,
  ]);
  assert.deepEqual((await readJson<RunMetrics>(storage, METRICS_FILE))?.stoppedAt, { epoch: 2, batch: 2 });
  const info = await inspectRun(storage);
  assert.equal(info?.status, "finished");
  assert.equal(runRow("stopped", info).epochsDone, 2);
});

test("RunControl.stop wakes a paused run; a stop after the last batch is no early stop", async () => {
  const control = new RunControl();
  const changes: boolean[] = [];
  let onPaused!: () => void;
  const paused = new Promise<void>((resolve) => (onPaused = resolve));
  control.onPauseChange = (value) => {
    changes.push(value);
    if (value) onPaused();
  };
  const running = train(new MemoryStorage(), {
    control,
    onEvent: (e) => {
      if (e.type === "batch" && e.batch === 1) control.pause();
    },
  });
  await paused;
  control.stop();
  const stopped = await running;
  assert.deepEqual(changes, [true, false]);
  assert.equal(control.paused, false);
  assert.deepEqual(stopped.metrics.stoppedAt, { epoch: 1, batch: 1 });
  assert.deepEqual(
    stopped.metrics.epochs.map((e) => e.batchLosses?.length),
    [1],
  );

  const late = new RunControl();
  const ends: boolean[] = [];
  const whole = await train(new MemoryStorage(), {
    control: late,
    config: { epochs: 1 },
    onEvent: (e) => {
      if (e.type === "batch" && e.batch === BATCHES) late.stop();
      if (e.type === "epochEnd") ends.push(e.stopped);
    },
  });
  assert.equal(whole.metrics.stoppedAt, undefined, "every batch of every epoch was trained");
  assert.deepEqual(ends, [false]);
});

/** Keeps the thread busy for `ms`, as a training step does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test("yieldToEventLoop and RunControl.between let timers run during a synchronous loop; awaiting a promise does not", async () => {
  let fired = false;
  setTimeout(() => (fired = true), 1);
  busy(5);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(fired, false, "microtasks alone never let a timer in");
  for (let i = 0; i < 10 && !fired; i++) await yieldToEventLoop();
  assert.equal(fired, true);

  // between() yields every 25 ms of work: a training loop of 2 ms steps still lets a timer in.
  fired = false;
  setTimeout(() => (fired = true), 1);
  const control = new RunControl();
  const start = performance.now();
  while (!fired && performance.now() - start < 1000) {
    busy(2);
    assert.equal(await control.between(), false);
  }
  assert.equal(fired, true);
  assert.ok(performance.now() - start < 500, `the timer waited ${performance.now() - start} ms`);
});

test("a NaN loss throws NonFiniteLossError before any step takes it; recordFailure writes failed.json", async () => {
  const storage = new MemoryStorage("mem/diverged");
  const losses: number[] = [];
  const error = await rejection(
    train(storage, { config: { lr: 1e12 }, onEvent: (e) => e.type === "batch" && losses.push(e.loss) }),
  );
  assert.ok(error instanceof NonFiniteLossError, String(error));
  assert.equal(error.epoch, 1);
  assert.equal(error.batch, losses.length + 1);
  assert.ok(!Number.isFinite(error.loss));
  assert.ok(losses.every(Number.isFinite), "a non-finite loss was reported as a batch");
  assert.match(error.message, /^the loss became NaN at epoch 1, batch \d: training diverged\. lr 1000000000000 is/);
  assert.equal(storage.files.size, 0, "no files without recordFailure");
  assert.equal(await inspectRun(storage), undefined);

  const recorded = new MemoryStorage("mem/failed");
  const again = await rejection(train(recorded, { config: { lr: 1e12 }, recordFailure: true }));
  assert.ok(again instanceof NonFiniteLossError);
  assert.deepEqual([...recorded.files.keys()], [FAILED_FILE]);
  assert.deepEqual(await readJson<FailureInfo>(recorded, FAILED_FILE), {
    message: again.message,
    config: { ...CONFIG, lr: 1e12 },
    epochs: [],
  });
  const info = await inspectRun(recorded);
  assert.equal(info?.status, "failed");
  assert.deepEqual(runRow("diverged", info), {
    name: "diverged",
    dir: "mem/failed",
    status: "failed",
    arch: "seed",
    epochsDone: 0,
    epochs: 3,
    lr: 1e12,
    seconds: 0,
    error: again.message,
  });
});

/** The tiny training set, but from the `from`-th batch asked for on, each batch holds a NaN pixel. */
function poisonedFrom(from: number): BatchDataset {
  const train = DATA.train;
  let batches = 0;
  return {
    length: train.length,
    get: (index) => train.get(index),
    getBatch(indices) {
      const batch = train.getBatch(indices);
      if (++batches >= from) batch.inputs.data[0] = NaN;
      return batch;
    },
  };
}

test("a NaN in epoch 2 leaves the weights and the checkpoint of epoch 1; inspectRun says failed", async () => {
  const storage = new MemoryStorage("mem/nan");
  let tested: SpecModel | undefined;
  const error = await rejection(
    trainRun({
      choice: presetChoice("seed"),
      config: CONFIG,
      data: { train: poisonedFrom(BATCHES + 1), test: DATA.test },
      storage,
      recordFailure: true,
      testEachEpoch: true,
      onEvent: (e) => {
        if (e.type === "test") tested = e.model;
      },
    }),
  );
  assert.ok(error instanceof NonFiniteLossError, String(error));
  assert.deepEqual([error.epoch, error.batch], [2, 1]);
  assert.deepEqual([...storage.files.keys()].sort(), [CHECKPOINT_FILE, FAILED_FILE]);
  // The model the run was training: epoch 1's weights, untouched by the NaN batch.
  assert.ok(tested !== undefined);
  const checkpoint = decodeSafetensors(storage.files.get(CHECKPOINT_FILE)!, CHECKPOINT_FILE).tensors;
  for (const [key, t] of Object.entries(tested.stateDict())) {
    assert.ok(t.data.every(Number.isFinite), `${key} holds a non-finite value`);
    assert.deepEqual(t.data, checkpoint[key].data, `${key} changed after the checkpoint`);
  }
  const info = await inspectRun(storage);
  assert.equal(info?.status, "failed", "failed.json wins over the checkpoint");
  assert.equal(info.epochs.length, 1);
  const row = runRow("nan", info);
  assert.equal(row.epochsDone, 1);
  assert.equal(row.finalLoss, info.epochs[0].loss);
  assert.match(row.error ?? "", /the loss became NaN at epoch 2, batch 1/);
});

test("inspectRun: finished, interrupted, or undefined; runRow's numbers", async () => {
  const whole = await wholeRun();
  const finished = new MemoryStorage("mem/finished");
  await finished.write(MODEL_FILE, whole.safetensors);
  await writeJson(finished, METRICS_FILE, whole.metrics);
  const info = await inspectRun(finished);
  assert.equal(info?.status, "finished");
  assert.deepEqual(info.metrics, JSON.parse(JSON.stringify(whole.metrics)));
  assert.deepEqual(runRow("arch=seed", info), {
    name: "arch=seed",
    dir: "mem/finished",
    status: "finished",
    arch: "seed",
    epochsDone: 3,
    epochs: 3,
    lr: 0.01,
    testAccuracy: whole.metrics.test.accuracy,
    parameters: SEED_PARAMETERS,
    finalLoss: whole.metrics.epochs[2].loss,
    seconds: whole.metrics.seconds,
  });

  const killed = await interruptedRun("mem/killed");
  const interrupted = await inspectRun(killed);
  assert.equal(interrupted?.status, "interrupted");
  assert.equal(interrupted.dir, "mem/killed");
  assert.deepEqual(interrupted.config, CONFIG);
  const row = runRow("killed", interrupted);
  assert.equal(row.epochsDone, 1);
  assert.equal(row.finalLoss, interrupted.epochs[0].loss);
  assert.equal(row.seconds, interrupted.epochs[0].seconds, "an unfinished run counts its finished epochs");
  assert.equal(row.testAccuracy, undefined);

  assert.equal(await inspectRun(new MemoryStorage()), undefined);
  const modelOnly = new MemoryStorage();
  await modelOnly.write(MODEL_FILE, whole.safetensors);
  assert.equal(await inspectRun(modelOnly), undefined, "a model without metrics.json is no finished run");
});

test("inspectRun: a corrupt JSON file is RunFileError E_RUN_FILE_UNREADABLE naming it; a foreign checkpoint E_RUN_NOT_CHECKPOINT", async () => {
  const whole = await wholeRun();
  const metricsBroken = new MemoryStorage("mem/broken");
  await metricsBroken.write(MODEL_FILE, whole.safetensors);
  await metricsBroken.write(METRICS_FILE, new TextEncoder().encode('{"config": '));
  const error = await rejection(inspectRun(metricsBroken));
  assert.ok(error instanceof RunFileError, String(error));
  assert.equal(error.code, "E_RUN_FILE_UNREADABLE");
  assert.equal(error.path, "mem/broken/metrics.json");
  assert.ok(error.message.startsWith("mem/broken/metrics.json: cannot read it ("), error.message);
  assert.ok(!error.reason.includes("mem/broken"), `the reason is the parser's own words: ${error.reason}`);

  const failedBroken = new MemoryStorage("mem/broken-failure");
  await failedBroken.write(FAILED_FILE, new TextEncoder().encode("not json"));
  const failure = await rejection(inspectRun(failedBroken));
  assert.ok(failure instanceof RunFileError);
  assert.deepEqual([failure.code, failure.path], ["E_RUN_FILE_UNREADABLE", "mem/broken-failure/failed.json"]);

  // Weights without convlab's run metadata (saved by PyTorch, or a model.safetensors renamed) are no checkpoint.
  for (const bytes of [whole.safetensors, encodeSafetensors({ w: tensor([1, 2]) })]) {
    const foreign = new MemoryStorage("mem/foreign");
    await foreign.write(CHECKPOINT_FILE, bytes);
    const refused = await rejection(inspectRun(foreign));
    assert.ok(refused instanceof RunFileError, String(refused));
    assert.equal(refused.code, "E_RUN_NOT_CHECKPOINT");
    assert.equal(
      refused.message,
      "mem/foreign/checkpoint.safetensors is not a convlab training checkpoint; delete it to start the run over",
    );
    const events: RunEvent[] = [];
    const training = await rejection(train(foreign, { onEvent: (e) => events.push(e) }));
    assert.ok(training instanceof RunFileError && training.code === "E_RUN_NOT_CHECKPOINT", "trainRun refuses it too");
    assert.deepEqual(events, []);
  }

  const garbage = new MemoryStorage("mem/garbage");
  await garbage.write(CHECKPOINT_FILE, Uint8Array.of(1, 2, 3));
  const unparsable = await rejection(inspectRun(garbage));
  assert.ok(unparsable instanceof Error && unparsable.message.includes("mem/garbage/checkpoint.safetensors"));
});

test("checkpointInfo reads checkpointMetadata back and refuses anything else", () => {
  const info = { epoch: 2, config: CONFIG, epochs: [{ epoch: 1, loss: 2.3, seconds: 0.5, batchLosses: [2.3] }] };
  const metadata = checkpointMetadata({ ...info, seconds: 1.25 });
  assert.ok(Object.values(metadata).every((v) => typeof v === "string"));
  assert.deepEqual(checkpointInfo(metadata, "c"), { ...info, seconds: 1.25 });
  const bad: Record<string, string>[] = [
    {},
    { ...metadata, epoch: "-1" },
    { ...metadata, epoch: "1.5" },
    { ...metadata, epoch: "one" },
    { ...metadata, config: "{" },
    { ...metadata, epochs: "{}" },
  ];
  for (const m of bad) {
    assert.throws(
      () => checkpointInfo(m, "runs/a/checkpoint.safetensors"),
      (error: unknown) =>
        error instanceof RunFileError &&
        error.code === "E_RUN_NOT_CHECKPOINT" &&
        error.path === "runs/a/checkpoint.safetensors",
      JSON.stringify(m),
    );
  }
});

test("MemoryStorage keeps copies; writeJson and readJson round-trip and name a broken file", async () => {
  const storage = new MemoryStorage();
  assert.equal(storage.where, "memory");
  assert.equal(await storage.read("x"), undefined);
  const bytes = Uint8Array.of(1, 2, 3);
  await storage.write("x", bytes);
  bytes[0] = 9;
  assert.deepEqual(await storage.read("x"), Uint8Array.of(1, 2, 3), "a write keeps a copy");
  await storage.remove("x");
  await storage.remove("x");
  assert.equal(await storage.read("x"), undefined);

  const value = { a: [1, 2], b: "ü" };
  await writeJson(storage, "v.json", value);
  assert.equal(new TextDecoder().decode(await storage.read("v.json")), `${JSON.stringify(value, null, 2)}\n`);
  assert.deepEqual(await readJson(storage, "v.json"), value);
  assert.equal(await readJson(storage, "none.json"), undefined);

  const named = new MemoryStorage("runs/a");
  await named.write("m.json", new TextEncoder().encode("{oops"));
  const error = await rejection(readJson(named, "m.json"));
  assert.ok(error instanceof Error);
  assert.match(error.message, /^runs\/a\/m\.json: not valid JSON \(.+\); delete it or restore it$/);
  assert.ok(error.cause instanceof SyntaxError);
});

const SETTINGS: TrainSettings = { arch: "seed", epochs: 2, lr: 0.01, momentum: 0.9, batchSize: 16, seed: 0 };

test("gridProduct and planSweep: runs named by what varies, sorted by key; HOMEWORK changes one thing at a time", () => {
  assert.deepEqual(gridProduct([]), [{}]);
  assert.deepEqual(planSweep([{}], SETTINGS), [{ name: "run", settings: SETTINGS }]);
  const points = gridProduct([
    { key: "lr", values: [0.1, 0.01] },
    { key: "arch", values: ["seed", "conv3"] },
    { key: "batch-size", values: [32] },
  ]);
  assert.deepEqual(points, [
    { lr: 0.1, arch: "seed", "batch-size": 32 },
    { lr: 0.1, arch: "conv3", "batch-size": 32 },
    { lr: 0.01, arch: "seed", "batch-size": 32 },
    { lr: 0.01, arch: "conv3", "batch-size": 32 },
  ]);
  const runs = planSweep(points, SETTINGS);
  assert.deepEqual(
    runs.map((r) => r.name),
    ["arch=seed,lr=0.1", "arch=conv3,lr=0.1", "arch=seed,lr=0.01", "arch=conv3,lr=0.01"],
  );
  assert.deepEqual(runs[1].settings, { ...SETTINGS, arch: "conv3", lr: 0.1, batchSize: 32 });
  assert.equal(SETTINGS.batchSize, 16, "the base settings are not changed");

  const specs = planSweep([{ arch: "nets/wide.json" }, { arch: "C:\\nets\\Deep.JSON" }], SETTINGS);
  assert.deepEqual(
    specs.map((r) => [r.name, r.settings.arch]),
    [
      ["arch=wide", "nets/wide.json"],
      ["arch=Deep", "C:\\nets\\Deep.JSON"],
    ],
  );

  const homework = planSweep(HOMEWORK, SETTINGS).map((r) => r.settings);
  assert.equal(homework.length, 5);
  assert.deepEqual(homework[0], { ...SETTINGS, arch: "seed", epochs: 5, lr: 0.01 }, "the tutorial's run");
  const differences = (a: TrainSettings, b: TrainSettings) =>
    (Object.keys(a) as (keyof TrainSettings)[]).filter((key) => a[key] !== b[key]);
  // Each run against the 10-epoch run: the tutorial's by its epochs, the others by model or learning rate.
  assert.deepEqual(
    homework.map((s) => differences(s, homework[1])),
    [["epochs"], [], ["arch"], ["lr"], ["lr"]],
  );
});

/** Sweep plans of the tiny runs: the points over SETTINGS, with what runs them. */
function plans(points: GridPoint[], base: TrainSettings = SETTINGS): SweepRunPlan[] {
  return planSweep(points, base).map(({ name, settings }) => {
    assert.ok(isArch(settings.arch));
    const config: RunConfig = { ...settings, backend: BACKEND, threads: 1, optimizer: "SGD" };
    return { name, choice: presetChoice(settings.arch), config };
  });
}

/** A storage per run name, made on first use, under `mem/<name>`. */
function storages(): { map: Map<string, MemoryStorage>; storageFor: (name: string) => MemoryStorage } {
  const map = new Map<string, MemoryStorage>();
  const storageFor = (name: string) => {
    if (!map.has(name)) map.set(name, new MemoryStorage(`mem/${name}`));
    return map.get(name)!;
  };
  return { map, storageFor };
}

/** Sweep events as lines, a run's own events folded into one `run <index>` line. */
function sweepLines(events: SweepEvent[]): string[] {
  const lines = events.map((e) => `${e.type} ${e.index}`);
  return lines.filter((l, i) => !(l.startsWith("run ") && lines[i - 1] === l));
}

test("runSweep trains each run in its storage; an identical sweep trains nothing; other settings are refused", async () => {
  const runs = plans(gridProduct([{ key: "lr", values: [0.01, 0.05] }]));
  assert.deepEqual(
    runs.map((r) => r.name),
    ["lr=0.01", "lr=0.05"],
  );
  const { map, storageFor } = storages();
  const events: SweepEvent[] = [];
  const after: string[] = [];
  const rows = await runSweep({
    runs,
    storageFor,
    data: DATA,
    onEvent: (e) => events.push(e),
    afterRun: async (plan, result, storage) => {
      assert.equal(storage, map.get(plan.name));
      sameBytes(map.get(plan.name)?.files.get(MODEL_FILE), result.safetensors, `${plan.name} model`);
      after.push(plan.name);
    },
  });
  assert.deepEqual(after, ["lr=0.01", "lr=0.05"]);
  assert.deepEqual(sweepLines(events), ["runStart 0", "run 0", "runEnd 0", "runStart 1", "run 1", "runEnd 1"]);
  assert.deepEqual(
    rows.map((r) => [r.name, r.dir, r.status, r.trained, r.lr, r.epochsDone, r.parameters]),
    [
      ["lr=0.01", "mem/lr=0.01", "finished", true, 0.01, 2, SEED_PARAMETERS],
      ["lr=0.05", "mem/lr=0.05", "finished", true, 0.05, 2, SEED_PARAMETERS],
    ],
  );
  assert.ok(rows.every((r) => r.testAccuracy !== undefined && r.testAccuracy >= 0 && r.testAccuracy <= 1));
  const ends = events.filter((e) => e.type === "runEnd");
  assert.deepEqual(
    ends.map((e) => e.row),
    rows,
  );
  assert.ok(ends.every((e) => e.result !== undefined));
  const runEvents = events.filter((e) => e.type === "run" && e.index === 0);
  assert.deepEqual(
    runEvents.map((e) => e.type === "run" && line(e.event)),
    ["start", ...epochLines(1, 2), "test 2 final"],
  );
  for (const storage of map.values()) assert.deepEqual([...storage.files.keys()].sort(), [METRICS_FILE, MODEL_FILE]);

  const models = [...map.values()].map((s) => s.files.get(MODEL_FILE));
  const again: SweepEvent[] = [];
  const rerun = await runSweep({
    runs,
    storageFor,
    data: DATA,
    onEvent: (e) => again.push(e),
    afterRun: async () => {
      assert.fail("afterRun after a run found finished");
    },
  });
  assert.deepEqual(sweepLines(again), ["runStart 0", "runEnd 0", "runStart 1", "runEnd 1"]);
  assert.ok(again.every((e) => e.type !== "runStart" || e.found?.status === "finished"));
  assert.ok(again.every((e) => e.type !== "runEnd" || e.result === undefined));
  assert.ok(rerun.every((r) => !r.trained));
  assert.deepEqual(
    rerun.map(({ trained: _, ...row }) => row),
    rows.map(({ trained: _, ...row }) => row),
  );
  assert.ok(
    [...map.values()].every((s, i) => s.files.get(MODEL_FILE) === models[i]),
    "a finished model was rewritten",
  );

  const finished = await finishedRuns(rerun, storageFor);
  assert.deepEqual(
    finished.map((f) => [f.name, f.dir, f.metrics.config.lr]),
    [
      ["lr=0.01", "mem/lr=0.01", 0.01],
      ["lr=0.05", "mem/lr=0.05", 0.05],
    ],
  );

  const reseeded = plans(gridProduct([{ key: "lr", values: [0.01, 0.05] }]), { ...SETTINGS, seed: 1 });
  const refused: SweepEvent[] = [];
  const error = await rejection(runSweep({ runs: reseeded, storageFor, data: DATA, onEvent: (e) => refused.push(e) }));
  assert.ok(error instanceof Error);
  assert.equal(
    error.message,
    "mem/lr=0.01: the run there was trained with --seed 0, but this sweep asks for --seed 1; delete it to train it again",
  );
  assert.deepEqual(sweepLines(refused), ["runStart 0"]);

  const checked: [number, number][] = [];
  const own = await runSweep({
    runs: reseeded,
    storageFor,
    data: DATA,
    checkFound: (info, wanted) => checked.push([info.config.seed, wanted.seed]),
  });
  assert.deepEqual(checked, [
    [0, 1],
    [0, 1],
  ]);
  assert.ok(own.every((r) => !r.trained));
});

test("runSweep continues a run from an earlier one that is its first epochs, to the weights of one trained whole", async () => {
  const runs = plans(gridProduct([{ key: "epochs", values: [1, 3] }]));
  const { map, storageFor } = storages();
  const events: SweepEvent[] = [];
  await runSweep({ runs, storageFor, data: DATA, onEvent: (e) => events.push(e) });
  const starts = events.filter((e) => e.type === "runStart");
  assert.deepEqual(
    starts.map((e) => e.type === "runStart" && e.continues),
    [false, { name: "epochs=1", epoch: 1 }].map((c) => c || undefined),
  );
  const longer = events.filter((e) => e.type === "run" && e.index === 1);
  assert.deepEqual(
    longer.map((e) => e.type === "run" && line(e.event)),
    ["start resumed@1", ...epochLines(2, 3), "test 3 final"],
    "the longer run trained its first epoch again",
  );

  const alone = storages();
  await runSweep({
    runs: plans(gridProduct([{ key: "epochs", values: [3] }])),
    storageFor: alone.storageFor,
    data: DATA,
  });
  const whole = alone.map.get("run")!;
  sameBytes(map.get("epochs=3")!.files.get(MODEL_FILE), whole.files.get(MODEL_FILE)!, "the continued run's model");
  const metrics = (storage: MemoryStorage) => readJson<RunMetrics>(storage, METRICS_FILE);
  const [continued, trainedWhole, head] = await Promise.all(
    [map.get("epochs=3")!, whole, map.get("epochs=1")!].map(metrics),
  );
  const losses = (m: RunMetrics | undefined) => m?.epochs.map((e) => e.batchLosses);
  assert.deepEqual(losses(continued), losses(trainedWhole));
  assert.deepEqual(continued?.epochs[0], head?.epochs[0], "epoch 1 is the earlier run's, its time included");
  assert.equal(continued?.config.epochs, 3);
  assert.deepEqual([...map.get("epochs=3")!.files.keys()].sort(), [METRICS_FILE, MODEL_FILE]);

  // Longer first, or another setting changed: each run trains from its first epoch.
  for (const points of [
    [{ epochs: 3 }, { epochs: 1 }],
    [
      { epochs: 1, lr: 0.01 },
      { epochs: 3, lr: 0.05 },
    ],
  ]) {
    const seen: SweepEvent[] = [];
    await runSweep({
      runs: plans(points),
      storageFor: storages().storageFor,
      data: DATA,
      onEvent: (e) => seen.push(e),
    });
    assert.ok(
      seen.every((e) => e.type !== "runStart" || e.continues === undefined),
      `${JSON.stringify(points)}: a run continued another`,
    );
  }
});

test("runSweep with jobs and a trainer: runs side by side, a continued run after its head, rows in the plan's order", async () => {
  const runs = plans([
    { epochs: 1, lr: 0.01 },
    { epochs: 3, lr: 0.01 },
    { epochs: 1, lr: 0.05 },
    { epochs: 2, lr: 0.05 },
  ]);
  const names = runs.map((r) => r.name);
  assert.deepEqual(names, ["epochs=1,lr=0.01", "epochs=3,lr=0.01", "epochs=1,lr=0.05", "epochs=2,lr=0.05"]);
  const log: string[] = [];
  let training = 0;
  let most = 0;
  // Each call holds its place until its turn has trained: the runs in this thread take turns (they share the
  // generator), while the sweep sees them all in flight, as with processes.
  let turns = Promise.resolve();
  const trainer: SweepTrainer = async ({ plan, storage, control, onEvent }) => {
    log.push(`start ${plan.name}`);
    most = Math.max(most, ++training);
    const turn = turns
      .then(() => sleep(5))
      .then(() =>
        trainRun({
          choice: plan.choice,
          config: plan.config,
          data: DATA,
          storage,
          control,
          onStop: "interrupt",
          recordFailure: true,
          onEvent,
        }),
      );
    turns = turn.then(
      () => {},
      () => {},
    );
    try {
      return await turn;
    } finally {
      training--;
      log.push(`end ${plan.name}`);
    }
  };
  const { map, storageFor } = storages();
  const events: SweepEvent[] = [];
  const reports: string[] = [];
  const rows = await runSweep({
    runs,
    storageFor,
    trainer,
    jobs: 2,
    onEvent: (e) => events.push(e),
    afterRun: async (plan) => {
      reports.push(plan.name);
    },
  });
  assert.equal(most, 2, "two runs trained at once");
  // The 3-epoch run waits for the 1-epoch one it continues, so the third run starts beside the first.
  assert.deepEqual(log.slice(0, 3), [`start ${names[0]}`, `start ${names[2]}`, `end ${names[0]}`]);
  assert.ok(log.indexOf(`start ${names[1]}`) > log.indexOf(`end ${names[0]}`));
  assert.ok(log.indexOf(`start ${names[3]}`) > log.indexOf(`end ${names[2]}`));
  assert.deepEqual(
    events.filter((e) => e.type === "runStart").map((e) => e.type === "runStart" && e.continues?.name),
    [undefined, undefined, names[0], names[2]],
  );
  assert.deepEqual(
    rows.map((r) => [r.name, r.status, r.epochsDone]),
    [
      [names[0], "finished", 1],
      [names[1], "finished", 3],
      [names[2], "finished", 1],
      [names[3], "finished", 2],
    ],
  );
  assert.deepEqual([...reports].sort(), [...names].sort());

  // The same weights as the runs trained one at a time in this thread.
  const alone = storages();
  await runSweep({ runs, storageFor: alone.storageFor, data: DATA });
  for (const name of names) {
    sameBytes(map.get(name)!.files.get(MODEL_FILE), alone.map.get(name)!.files.get(MODEL_FILE)!, name);
  }
  // Without a trainer, jobs is 1: the runs take turns.
  const inThread: string[] = [];
  await runSweep({
    runs,
    storageFor: storages().storageFor,
    data: DATA,
    jobs: 2,
    onEvent: (e) => {
      if (e.type === "runStart" || e.type === "runEnd") inThread.push(`${e.type} ${e.index}`);
    },
  });
  assert.deepEqual(inThread, [
    "runStart 0",
    "runEnd 0",
    "runStart 1",
    "runEnd 1",
    "runStart 2",
    "runEnd 2",
    "runStart 3",
    "runEnd 3",
  ]);
});

test("runSweep records a diverging run as failed and goes on; a rerun skips it", async () => {
  const runs = plans(gridProduct([{ key: "lr", values: [1e12, 0.01] }]), { ...SETTINGS, epochs: 1 });
  const { map, storageFor } = storages();
  const events: SweepEvent[] = [];
  const rows = await runSweep({ runs, storageFor, data: DATA, onEvent: (e) => events.push(e) });
  assert.deepEqual(sweepLines(events), [
    "runStart 0",
    "run 0",
    "runFailed 0",
    "runEnd 0",
    "runStart 1",
    "run 1",
    "runEnd 1",
  ]);
  const failedEvent = events.find((e) => e.type === "runFailed");
  assert.match(failedEvent?.type === "runFailed" ? failedEvent.message : "", /^the loss became NaN at epoch 1/);
  assert.deepEqual(
    rows.map((r) => [r.name, r.status, r.trained]),
    [
      ["lr=1000000000000", "failed", true],
      ["lr=0.01", "finished", true],
    ],
  );
  assert.equal(rows[0].error, failedEvent?.type === "runFailed" ? failedEvent.message : undefined);
  assert.deepEqual([...map.get("lr=1000000000000")!.files.keys()], [FAILED_FILE]);

  const rerun = await runSweep({ runs, storageFor, data: DATA });
  assert.deepEqual(
    rerun.map((r) => [r.status, r.trained]),
    [
      ["failed", false],
      ["finished", false],
    ],
  );
  assert.deepEqual(
    (await finishedRuns(rerun, storageFor)).map((f) => f.name),
    ["lr=0.01"],
  );
});

test("runSweep continues an interrupted run from its checkpoint, to the weights of an uninterrupted one", async () => {
  const whole = await wholeRun();
  const killed = await interruptedRun("mem/killed");
  const events: SweepEvent[] = [];
  const rows = await runSweep({
    runs: [{ name: "resumed", choice: presetChoice("seed"), config: CONFIG }],
    storageFor: () => killed,
    data: DATA,
    onEvent: (e) => events.push(e),
  });
  const start = events[0];
  assert.ok(start.type === "runStart" && start.found === undefined, "an interrupted run is not found done");
  const first = events[1];
  assert.ok(first.type === "run" && first.event.type === "start");
  assert.equal(first.event.resumed?.epoch, 1);
  assert.deepEqual(
    rows.map((r) => [r.status, r.trained, r.epochsDone]),
    [["finished", true, 3]],
  );
  sameBytes(killed.files.get(MODEL_FILE), whole.safetensors, "resumed model.safetensors");
});

test("a stop during a sweep interrupts the run in progress, keeping its checkpoint, and ends the sweep", async () => {
  const runs = plans(gridProduct([{ key: "lr", values: [0.01, 0.05] }]));
  const { map, storageFor } = storages();
  const control = new RunControl();
  const rows = await runSweep({
    runs,
    storageFor,
    data: DATA,
    control,
    onEvent: (e) => {
      if (e.type === "run" && e.event.type === "batch" && e.event.epoch === 2 && e.event.batch === 2) control.stop();
    },
  });
  assert.deepEqual(
    rows.map((r) => [r.name, r.status, r.trained, r.epochsDone]),
    [["lr=0.01", "interrupted", true, 1]],
  );
  assert.equal(await readJson<RunMetrics>(map.get("lr=0.01")!, METRICS_FILE), undefined, "no result saved");
  assert.equal(map.get("lr=0.05")?.files.size ?? 0, 0, "the second run was not started");
});

test("a sweep stopped mid-run trains that run to its end when started again", async () => {
  const runs = plans([{ lr: 0.01 }]);
  const { map, storageFor } = storages();
  const control = new RunControl();
  await runSweep({
    runs,
    storageFor,
    data: DATA,
    control,
    onEvent: (e) => {
      if (e.type === "run" && e.event.type === "batch" && e.event.epoch === 1 && e.event.batch === 2) control.stop();
    },
  });
  assert.equal(await readJson<RunMetrics>(map.get("run")!, METRICS_FILE), undefined, "not taken as finished");

  const again = await runSweep({ runs, storageFor, data: DATA });
  const metrics = await readJson<RunMetrics>(map.get("run")!, METRICS_FILE);
  assert.deepEqual(
    again.map((r) => [r.status, r.epochsDone, r.epochs]),
    [["finished", 2, 2]],
    `the stopped run was taken as finished (trained: ${again[0].trained}, stoppedAt: ${JSON.stringify(metrics?.stoppedAt)})`,
  );
  assert.equal(metrics?.stoppedAt, undefined);
});
