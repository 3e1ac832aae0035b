// Entry point of the child process that trains one run of a sweep (processTrainer in sweep-trainer.ts), so that
// runs train side by side, each on its own cores, where one process would share one JavaScript thread among them.
import { encodeSafetensors } from "../io/safetensors.js";
import { firstExamples } from "../data/subset.js";
import { RunControl } from "../train/control.js";
import { trainRun } from "../train/run.js";
import { useBackend } from "./backend.js";
import { MNIST } from "./mnist.js";
import { peakRssMB } from "./peak-memory.js";
import { processError } from "./process-error.js";
import { FolderStorage } from "./run-storage.js";
import type { TrainProcessJob, TrainProcessMessage, TrainProcessRequest } from "./sweep-trainer.js";

const post = (message: TrainProcessMessage) => process.send!(message);
const control = new RunControl();
process.on("message", (request: TrainProcessRequest) => {
  if (request.type === "stop") control.stop();
  else void train(request.job);
});
// The sweep's process says when to stop: Ctrl-C reaches every process of the terminal's group, and this run stops
// after its step either way, as the sweep asks all of its runs to. Without the sweep (killed, or ended by a second
// Ctrl-C) the run ends now, keeping its last epoch's checkpoint, as a run killed in its own process would.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => control.stop());
process.on("disconnect", () => process.exit(0));

async function train(job: TrainProcessJob): Promise<void> {
  try {
    await useBackend(job.backend, () => {}, job.threads);
    // The sweep's process has read (or downloaded) the files already: found where it found them.
    const [trainSet, testSet] = await Promise.all([
      MNIST({ root: job.dataDir, train: true }),
      MNIST({ root: job.dataDir, train: false }),
    ]);
    const result = await trainRun({
      choice: job.choice,
      config: job.config,
      data: { train: firstExamples(trainSet, job.config.trainLimit), test: testSet },
      storage: new FolderStorage(job.dir),
      control,
      onStop: "interrupt",
      recordFailure: true,
      peakMemoryMB: peakRssMB,
      onEvent: (event) => {
        if (event.type !== "test") return post({ type: "event", event });
        // A model does not cross to another process: its weights do.
        const { model, ...test } = event;
        post({ type: "test", event: test, weights: encodeSafetensors(model.stateDict()) });
      },
    });
    const { metrics, safetensors, checkpoint } = result;
    post({ type: "done", metrics, safetensors, ...(checkpoint ? { checkpoint } : {}) });
  } catch (error) {
    post(processError(error));
  }
}
