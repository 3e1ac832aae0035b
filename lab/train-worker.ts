// The page's training worker: trains with the same core as `convlab train` and `convlab sweep homework` (trainRun,
// runSweep), with the wasm kernels on Web Workers of its own, so the page never freezes. It tells the page what
// happens through messages (protocol.ts) and keeps each run in IndexedDB, so a reload finds the trained model.
import { noGrad } from "../src/autograd/graph.js";
import { useBrowserBackend } from "../src/browser/backend.js";
import { IdbStorage } from "../src/browser/idb-storage.js";
import { fetchMnist } from "../src/browser/mnist.js";
import type { MnistDataset } from "../src/data/mnist.js";
import { firstExamples, range } from "../src/data/subset.js";
import { wasmThreads } from "../src/kernels/wasm/index.js";
import { decodeSafetensors } from "../src/io/safetensors.js";
import { modelFromWeights, presetChoice } from "../src/models/choice.js";
import { isArch } from "../src/models/presets.js";
import type { SpecModel } from "../src/models/spec.js";
import { softmax } from "../src/ops/softmax.js";
import { convLayers, featureInput, imagePlane } from "../src/report/analyze.js";
import type { ComparedRun, ReportContent } from "../src/report/run-report.js";
import type { Plane } from "../src/report/types.js";
import { RunControl } from "../src/train/control.js";
import type { EvalResult } from "../src/train/loop.js";
import { configDifference, METRICS_FILE, MODEL_FILE } from "../src/train/run-files.js";
import { runConfigOf, trainRun, type RunEvent } from "../src/train/run.js";
import { planSweep } from "../src/train/sweep-plan.js";
import { finishedRuns, runSweep } from "../src/train/sweep.js";
import { homeworkPoints, type EpochPictures, type FromWorker, type LabSettings, type ToWorker } from "./protocol.js";

const post = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, { transfer });

const notices: string[] = [];
const backend = useBrowserBackend({ threads: navigator.hardwareConcurrency, notice: (line) => notices.push(line) });

let data: Promise<{ train: MnistDataset; test: MnistDataset }> | undefined;
/** MNIST from the page's mnist/ folder, fetched once per worker. */
function mnist(): Promise<{ train: MnistDataset; test: MnistDataset }> {
  const base = new URL("./mnist/", self.location.href);
  data ??= Promise.all([
    fetchMnist({ base, train: true, onProgress: (received) => post({ type: "loading", what: "train", received }) }),
    fetchMnist({ base, train: false, onProgress: (received) => post({ type: "loading", what: "test", received }) }),
  ]).then(
    ([train, test]) => ({ train, test }),
    (error: unknown) => {
      data = undefined; // the next Start downloads again
      throw error;
    },
  );
  return data;
}

let control: RunControl | undefined;
/** The report of the last finished run or homework, built on demand in the asked language. */
let lastReport: ((lang: "en" | "vi") => Promise<{ name: string; content: ReportContent }>) | undefined;

function choiceOf(arch: string) {
  if (!isArch(arch)) throw new Error(`unknown model '${arch}': the page trains seed or conv3`);
  return presetChoice(arch);
}

/** A plane as plain numbers: the dataset's pixels are views into its whole buffer, too big to post each time. */
const plain = (plane: Plane): Plane => ({ ...plane, values: Array.from(plane.values) });

/** How many test images the page shows with their predictions, as the tutorial does. */
const SHOWN = 5;

/** Each conv layer's feature maps (after ReLU) of test image 0: the tutorial's pictures. */
function featuresOf(model: SpecModel, test: MnistDataset): EpochPictures["features"] {
  return convLayers(model).map((layer) => ({ layer, maps: featureInput(model, test, layer, 0).maps.map(plain) }));
}

/** The pictures of `model` after an epoch: the first test images' predictions, the feature maps, the confusion. */
function picturesOf(model: SpecModel, test: MnistDataset, epoch: number, result: EvalResult): EpochPictures {
  const { inputs, labels } = test.getBatch(range(SHOWN));
  model.eval();
  const probabilities = noGrad(() => softmax(model.forward(inputs), 1)).data;
  const predictions = Array.from(labels, (label, i) => {
    const row = Array.from(probabilities.subarray(10 * i, 10 * i + 10));
    const predicted = row.indexOf(Math.max(...row));
    return { index: i, label, predicted, probability: row[predicted], image: plain(imagePlane(test, i)) };
  });
  return {
    epoch,
    accuracy: result.accuracy,
    loss: result.loss,
    confusion: result.confusion,
    predictions,
    features: featuresOf(model, test),
    image: plain(imagePlane(test, 0)),
  };
}

/** Posts a run's event; a test event also as its pictures (its model stays here). */
function postEvent(event: RunEvent, test: MnistDataset): void {
  if (event.type !== "test") {
    post({ type: "event", event });
    return;
  }
  const { model, ...rest } = event;
  post({ type: "event", event: rest });
  post({ type: "pictures", pictures: picturesOf(model, test, event.epoch, event.result) });
}

function newControl(): RunControl {
  control = new RunControl();
  control.onPauseChange = (paused) => post({ type: "paused", paused });
  return control;
}

/** The Train part's run, kept under `lab/train` in IndexedDB: resumed when started again with the same settings. */
async function train(settings: LabSettings): Promise<void> {
  const { train, test } = await mnist();
  const choice = choiceOf(settings.arch);
  const config = runConfigOf(settings, choice);
  const storage = new IdbStorage("lab/train");
  // The files of the last finished run: a new start trains anew.
  await storage.remove(MODEL_FILE);
  await storage.remove(METRICS_FILE);
  const result = await trainRun({
    choice,
    config,
    data: { train: firstExamples(train, settings.trainLimit), test },
    storage,
    control: newControl(),
    testEachEpoch: true,
    // A checkpoint of other settings is a run the user has moved on from: start over rather than refuse.
    resume: (saved) => configDifference(saved.config, config) === undefined,
    onEvent: (event) => postEvent(event, test),
  });
  const { model, metrics, safetensors } = result;
  lastReport = async (lang) => {
    const { runReportContent } = await import("../src/report/run-report.js");
    return {
      name: "report.html",
      content: runReportContent({ metrics, model, testSet: test, lang, title: settings.arch }),
    };
  };
  post({ type: "done", metrics, safetensors, arch: settings.arch });
}

/**
 * The tutorial's homework, as `convlab sweep homework`: its five runs, each stored under `lab/homework/<name>`, so a
 * reload continues where it stopped. `epochsScale` < 1 shortens every run (0.2: 1 and 2 epochs) for a quick look.
 */
async function homework(epochsScale: number, trainLimit: number | undefined): Promise<void> {
  const { train, test } = await mnist();
  const base: LabSettings = { arch: "seed", epochs: 5, lr: 0.01, momentum: 0.9, batchSize: 64, seed: 0, trainLimit };
  const runs = planSweep(homeworkPoints(epochsScale), base).map(({ name, settings }) => {
    const choice = choiceOf(settings.arch);
    return { name, choice, config: runConfigOf(settings, choice) };
  });
  const storageFor = (name: string) => new IdbStorage(`lab/homework/${epochsScale}/${trainLimit ?? 0}/${name}`);
  const compared: ComparedRun[] = [];
  const rows = await runSweep({
    runs,
    storageFor,
    data: { train: firstExamples(train, trainLimit), test },
    control: newControl(),
    onEvent: (event) => {
      if (event.type === "runStart") {
        post({
          type: "runStart",
          index: event.index,
          count: event.count,
          name: event.name,
          found: event.found !== undefined,
        });
      } else if (event.type === "run") {
        if (event.event.type !== "test") post({ type: "event", event: event.event });
      }
    },
    afterRun: async (plan, result) => {
      compared.push({ name: plan.name, metrics: result.metrics, model: result.model, testSet: test });
    },
  });
  // Runs found finished in IndexedDB from an earlier visit join the comparison with their stored weights.
  for (const run of await finishedRuns(rows, storageFor)) {
    if (compared.some((c) => c.name === run.name)) continue;
    const bytes = await storageFor(run.name).read(MODEL_FILE);
    if (bytes === undefined) continue;
    const { model } = modelFromWeights(decodeSafetensors(bytes, `${run.dir}/${MODEL_FILE}`), run.dir);
    compared.push({ name: run.name, metrics: run.metrics, model, testSet: test });
  }
  compared.sort((a, b) => rows.findIndex((r) => r.name === a.name) - rows.findIndex((r) => r.name === b.name));
  for (const [index, row] of rows.entries()) {
    const run = compared.find((c) => c.name === row.name);
    post({
      type: "runEnd",
      index,
      row,
      epochLosses: run?.metrics.epochs.map((e) => e.loss) ?? [],
      features: run === undefined ? [] : featuresOf(run.model, test),
    });
  }
  lastReport = async (lang) => {
    const { comparisonReportContent } = await import("../src/report/run-report.js");
    return { name: "comparison.html", content: comparisonReportContent(compared, lang) };
  };
  post({ type: "homeworkDone", rows });
}

/** Renders the last report with Vega, loaded only now: the page's first load stays small. */
async function report(lang: "en" | "vi"): Promise<void> {
  if (lastReport === undefined) throw new Error("no run has finished yet: train first");
  const { name, content } = await lastReport(lang);
  const { renderReport } = await import("../src/report/run-report.js");
  post({ type: "report", name, html: (await renderReport(content)).html });
}

/** Runs one job at a time; pause, resume and stop reach the running one. */
let busy = false;
async function job(work: () => Promise<void>): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    await work();
  } catch (error) {
    post({ type: "error", message: (error as Error).message });
  } finally {
    busy = false;
    post({ type: "idle" });
  }
}

self.addEventListener("message", (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case "train":
      void job(() => train(message.settings));
      break;
    case "homework":
      void job(() => homework(message.epochsScale, message.trainLimit));
      break;
    case "pause":
      control?.pause();
      break;
    case "resume":
      control?.resume();
      break;
    case "stop":
      control?.stop();
      break;
    case "report":
      report(message.lang).catch((error: Error) => post({ type: "error", message: error.message }));
      break;
  }
});

backend.then(
  (name) => post({ type: "ready", backend: name, threads: wasmThreads(), isolated: self.crossOriginIsolated, notices }),
  (error: Error) => post({ type: "error", message: error.message }),
);
