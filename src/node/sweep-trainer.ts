import { availableParallelism } from "node:os";
import { ConvlabError } from "../errors.js";
import { decodeSafetensors } from "../io/safetensors.js";
import type { BackendName } from "../kernels/registry.js";
import type { ModelChoice } from "../models/choice.js";
import { SpecModel } from "../models/spec.js";
import type { RunConfig, RunMetrics } from "../train/run-files.js";
import type { RunEvent, TrainRunResult } from "../train/run.js";
import type { SweepTrainer } from "../train/sweep.js";
import { errorOfMessage, type ProcessErrorMessage } from "./process-error.js";
import { processTask } from "./spawn.js";

/** What a run's process (train-process.ts) is given: the run, its folder, where MNIST is, and what computes. */
export interface TrainProcessJob {
  choice: ModelChoice;
  config: RunConfig;
  /** The run's folder (a FolderStorage's). */
  dir: string;
  /** MNIST's root, as the sweep read it (the process reads the same files; it downloads nothing). */
  dataDir: string;
  backend: BackendName;
  threads: number;
}

export type TrainProcessRequest = { type: "train"; job: TrainProcessJob } | { type: "stop" };

/** What a run's process tells: the run's events (a test's model as its weights), then its result or its error. */
export type TrainProcessMessage =
  | { type: "event"; event: Exclude<RunEvent, { type: "test" }> }
  | { type: "test"; event: Omit<Extract<RunEvent, { type: "test" }>, "model">; weights: Uint8Array }
  | { type: "done"; metrics: RunMetrics; safetensors: Uint8Array; checkpoint?: Uint8Array }
  | ProcessErrorMessage;

/**
 * A run's process ended before its run did (code `E_RUN_PROCESS_ENDED`): killed, or out of memory. Its folder keeps
 * its last epoch's checkpoint, as a run killed in the sweep's own process would.
 */
export class RunProcessEndedError extends ConvlabError {
  constructor(
    readonly dir: string,
    /** The signal, or `code N`. */
    readonly how: string,
  ) {
    super("E_RUN_PROCESS_ENDED", `${dir}: the run's process ended (${how}) before the run did`);
  }
}

/**
 * How a sweep shares the machine's cores: `jobs` runs at once, each on `threads` kernel threads. Unless the user
 * chose, one thread a run and a run a core: the tutorial's small models gain less from a second thread (a step's
 * serial JavaScript, the dispatch to the other thread) than from a second run beside them. On 2 cores, two runs of
 * one thread each train an epoch in 5.0 s, one run on both threads in 3.3 s: 1.3× the images a second. `--threads N`
 * alone gives cores / N runs; `--jobs N` alone, cores / N threads each. Never more runs than the sweep has.
 */
export function sweepJobs(
  runs: number,
  chosen: { jobs?: number; threads?: number },
  cores = availableParallelism(),
): { jobs: number; threads: number } {
  const jobs = Math.max(1, Math.min(runs, chosen.jobs ?? Math.floor(cores / (chosen.threads ?? 1))));
  return { jobs, threads: chosen.threads ?? Math.max(1, Math.floor(cores / jobs)) };
}

/**
 * A {@link SweepTrainer} that trains each run in a child process (train-process.ts) on `threads` kernel threads:
 * the run's events come back as they happen, a stop is passed on (the run stops after its step, keeping its last
 * epoch's checkpoint), and errors come back as their classes (a diverging loss, a stopped run, a full disk). The
 * run's storage must be a folder (its `where`). The process ends with the run, or at once with this one.
 */
export function processTrainer(setup: { dataDir: string; backend: BackendName; threads: number }): SweepTrainer {
  return ({ plan, storage, control, onEvent }) => {
    const job: TrainProcessJob = { choice: plan.choice, config: plan.config, dir: storage.where, ...setup };
    const modelOf = (weights: Uint8Array) => {
      const model = new SpecModel(plan.choice.spec);
      model.loadStateDict(decodeSafetensors(weights, `${storage.where} (the run's process)`).tensors);
      return model;
    };
    let model: SpecModel | undefined;
    return processTask<TrainRunResult, TrainProcessMessage>(
      "train-process",
      { type: "train", job } satisfies TrainProcessRequest,
      (message, end) => {
        switch (message.type) {
          case "event":
            onEvent(message.event);
            break;
          case "test":
            model = modelOf(message.weights);
            onEvent({ ...message.event, model });
            break;
          case "done": {
            const { metrics, safetensors, checkpoint } = message;
            const value = { metrics, safetensors, model: model ?? modelOf(safetensors) };
            end({ value: checkpoint !== undefined ? { ...value, checkpoint } : value });
            break;
          }
          case "error":
            end({ error: errorOfMessage(message) });
            break;
        }
      },
      (how) => new RunProcessEndedError(storage.where, how),
      // A stop asked of the sweep is passed on: the run stops after its step.
      (child) =>
        control.onStop(() => {
          if (child.connected) child.send({ type: "stop" } satisfies TrainProcessRequest);
        }),
    );
  };
}
