// Entry point of the child process that draws a finished run's report (drawRunReport in run-report.ts), so that the
// memory drawing takes leaves with the process instead of staying in the training one.
import { MnistDataset } from "../data/mnist.js";
import { useBackend } from "./backend.js";
import { processError } from "./process-error.js";
import { writeRunReportOfFolder, type RunReportJob, type RunReportMessage } from "./run-report.js";

const post = (message: RunReportMessage) => process.send!(message);
process.once("message", (job: RunReportJob) => void draw(job));
// The parent gone (killed, or ended by Ctrl-C) or done with us: end now, as a report drawn in its process would
// have. Drawing runs long stretches without an event-loop turn, so the parent is also looked for after each picture
// (it is gone when this process has been handed to another): report.html, written last, then never appears.
const parent = process.ppid;
const endIfOrphaned = () => {
  if (process.ppid !== parent) process.exit(0);
};
process.on("disconnect", () => process.exit(0));

async function draw(job: RunReportJob): Promise<void> {
  try {
    // The report runs the model over the whole test set, on as many threads as training had (the parent waits);
    // its notices were said already.
    await useBackend(job.backend, () => {}, job.threads);
    const testSet = new MnistDataset(job.images, job.labels);
    const files = await writeRunReportOfFolder(job.dir, testSet, job.lang, (done, total, name) => {
      endIfOrphaned();
      post({ type: "picture", done, total, name });
    });
    post({ type: "done", files });
  } catch (error) {
    post(processError(error));
  }
}
