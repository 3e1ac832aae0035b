// Entry point of the child process that draws a finished run's report or a sweep's comparison (drawRunReport and
// drawComparisonReport in run-report.ts), so that the memory drawing takes leaves with the process instead of
// staying in the training one.
import { MnistDataset } from "../data/mnist.js";
import { useBackend } from "./backend.js";
import { processError } from "./process-error.js";
import {
  writeComparisonReport,
  writeRunReportOfFolder,
  type PictureProgress,
  type ReportJob,
  type RunReportMessage,
} from "./run-report.js";

const post = (message: RunReportMessage) => process.send!(message);
process.once("message", (job: ReportJob) => void draw(job));
// The parent gone (killed, or ended by Ctrl-C) or done with us: end now, as a report drawn in its process would
// have. Drawing runs long stretches without an event-loop turn, so the parent is also looked for after each picture
// (it is gone when this process has been handed to another): the page, written last, then never appears.
const parent = process.ppid;
const endIfOrphaned = () => {
  if (process.ppid !== parent) process.exit(0);
};
process.on("disconnect", () => process.exit(0));

async function draw(job: ReportJob): Promise<void> {
  try {
    // The report runs the models over the whole test set, on as many threads as training had (the parent waits);
    // its notices were said already.
    await useBackend(job.backend, () => {}, job.threads);
    const onPicture: PictureProgress = (done, total, name) => {
      endIfOrphaned();
      post({ type: "picture", done, total, name });
    };
    const files =
      job.kind === "run"
        ? await writeRunReportOfFolder(job.dir, new MnistDataset(job.images, job.labels), job.lang, onPicture)
        : await writeComparisonReport(job.dir, job.runs, job.lang, onPicture);
    post({ type: "done", files });
  } catch (error) {
    post(processError(error));
  }
}
