import { join } from "node:path";
import { writeFileAtomic } from "../../src/node/atomic.js";
import type { ReportFiles } from "../../src/node/run-report.js";
import { pictureProgress } from "../progress.js";
import { FolderStorage } from "../../src/node/run-storage.js";
import { gridProduct, HOMEWORK, planSweep, type GridAxis, type GridPoint } from "../../src/train/sweep-plan.js";
import { finishedRuns, runSweep, type SweepRun } from "../../src/train/sweep.js";
import { firstExamples } from "../../src/data/subset.js";
import { loadSplit } from "../data.js";
import { chooseModel } from "../../src/node/model-file.js";
import { localeLang } from "../options.js";
import { CliError, cliMessages } from "../messages.js";
import { checkSameConfig, cliErrorOf, commandLine, folderNotes, openRunFolder } from "../run-folder.js";
import { formatTable } from "../table.js";
import { failureNotes, runColumns } from "./runs.js";
import { drawReport, finishRun, reportLines, runConfig, trainPrinter, type TrainFlags } from "./train.js";
import { peakRssMB } from "../../src/node/peak-memory.js";
import { FileWriteError } from "../../src/node/atomic.js";
import type { RunLock } from "../../src/node/run-lock.js";
import { RunControl } from "../../src/train/control.js";
import { CHECKPOINT_FILE, rerunAction } from "../../src/train/run-files.js";
import { Interrupted, interruptSignal, onInterruptSay, stoppable } from "../interrupt.js";
import { getBackend } from "../../src/kernels/registry.js";
import { THREADS_ENV } from "../../src/node/backend.js";
import { processTrainer, RunProcessEndedError, sweepJobs } from "../../src/node/sweep-trainer.js";

export type { SweepRun } from "../../src/train/sweep.js";

/** Flags of `convlab sweep`: train's (the settings every run shares, and the reports' language) plus the grid. */
export interface SweepFlags extends TrainFlags {
  /** `--grid key=v1,v2,…`, parsed; the runs are their cartesian product. */
  grid: GridAxis[];
  /** `--jobs N`: runs trained at once, each in its own process (default: see sweepJobs). */
  jobs?: number;
}

/** `summary.json` of a sweep folder. */
export interface SweepSummary {
  sweep: string;
  /** The axes of a `--grid` sweep; the homework's runs for `sweep homework`. */
  grid: Record<string, (string | number)[]> | readonly GridPoint[];
  runs: SweepRun[];
}

/**
 * `convlab sweep homework` or `convlab sweep --grid key=v1,v2 …`: trains each run of the sweep in its own folder
 * under `--out` (default runs/homework or runs/sweep; see runSweep in src/train/sweep.ts for what is resumed or
 * skipped), then writes `summary.json`, prints a table and writes the comparison report.
 */
export async function sweepCommand(preset: string | undefined, flags: SweepFlags): Promise<SweepSummary> {
  const lang = flags.lang ?? localeLang();
  const m = cliMessages(lang);
  const say = (line: string) => {
    if (!flags.json) console.log(line);
  };
  if (preset !== undefined && preset !== "homework") throw new CliError("unknownSweep", [preset]);
  if (preset === undefined && flags.grid.length === 0) throw new CliError("nothingToSweep", []);
  if (preset !== undefined && flags.grid.length > 0) throw new CliError("homeworkFixed", []);
  const { grid, out: outFlag, ...shared } = flags;
  const out = outFlag ?? join("runs", preset ?? "sweep");
  const points = preset !== undefined ? HOMEWORK : gridProduct(grid);
  // Several runs at once, each in a process of its own on `threads` kernel threads (which its config records), or
  // one at a time here on the threads --threads chose.
  const chosenThreads = shared.threads ?? (Number(process.env[THREADS_ENV]) || undefined);
  const { jobs, threads } = sweepJobs(points.length, { jobs: flags.jobs, threads: chosenThreads });
  const runThreads = jobs > 1 && getBackend() === "wasm" ? { threads } : {};
  // Every spec file is read and checked before the first run trains, so a typo does not fail the sweep midway.
  const planned = planSweep(points, { ...shared, lang, json: false }).map(({ name, settings }) => {
    const choice = chooseModel(settings.arch);
    return { name, choice, config: { ...runConfig(settings, choice), ...runThreads } };
  });
  const command = commandLine(outFlag === undefined ? ["--out", out] : []);
  // The sweep folder, then each run's as it starts, are locked: two sweeps (or a train) on one folder are refused.
  const sweepLock = openRunFolder(out, lang, command);
  const runLocks = new Map<string, RunLock>();
  const release = (name: string) => {
    runLocks.get(name)?.release();
    runLocks.delete(name);
  };
  // The runs in progress (or whose report is being drawn).
  const current = new Set<string>();
  // After a stop or a failed write: the runs the sweep was at, what their folders keep, and how to continue (the
  // last two lines of folderNotes with "sweep", said once).
  const notes = () => [
    ...[...current].flatMap((name) => [
      m.interrupt.inRun(name),
      ...folderNotes(join(out, name), m, command, "sweep").slice(0, -2),
    ]),
    m.interrupt.again("sweep"),
    `  ${command}`,
  ];
  const saidBefore = onInterruptSay((signal) => [m.interrupt.stopped(signal), ...notes()]);
  try {
    const data = {
      train: await loadSplit(flags, true, flags.json),
      test: await loadSplit(flags, false, flags.json),
    };
    const storageFor = (name: string) => new FolderStorage(join(out, name));
    // Runs side by side print their lines as they come, each after its run's tag, and draw no bars.
    const bars = flags.progress && !flags.json;
    const progress = bars && jobs === 1;
    const tag = (index: number) => `[${index + 1}/${planned.length}]`;
    const sayOf = (index: number) => (jobs > 1 ? (line: string) => say(`${tag(index)} ${line}`) : say);
    const control = new RunControl();
    const printers = new Map<number, ReturnType<typeof trainPrinter>>();
    const trainer = jobs > 1 ? processTrainer({ dataDir: flags.dataDir, backend: getBackend(), threads }) : undefined;
    let runs: SweepRun[];
    try {
      runs = await stoppable(
        () => control.stop(),
        () =>
          runSweep({
            runs: planned,
            storageFor,
            data: { train: firstExamples(data.train, flags.trainLimit), test: data.test },
            control,
            train: { peakMemoryMB: peakRssMB },
            ...(trainer !== undefined ? { jobs, trainer } : {}),
            checkFound: (info, wanted) => checkSameConfig(info.dir, "finished run", info.config, wanted),
            afterRun: (plan) =>
              finishRun(join(out, plan.name), data.test, lang, sayOf(planned.indexOf(plan)), progress),
            onEvent: (event) => {
              switch (event.type) {
                case "runStart":
                  current.add(event.name);
                  runLocks.set(event.name, openRunFolder(join(out, event.name), lang, command));
                  say(`\n${tag(event.index)} ${event.name}`);
                  if (event.found !== undefined) {
                    say(
                      event.found.status === "finished"
                        ? m.sweep.finishedBefore
                        : m.sweep.failedBefore(event.found.error),
                    );
                  }
                  if (event.continues !== undefined) {
                    say(m.sweep.continues(event.continues.name, event.continues.epoch));
                  }
                  printers.set(event.index, trainPrinter(join(out, event.name), lang, sayOf(event.index), progress));
                  break;
                case "run":
                  printers.get(event.index)?.onEvent(event.event);
                  break;
                case "runFailed":
                  printers.get(event.index)?.stop();
                  sayOf(event.index)(m.sweep.failed(event.message));
                  break;
                case "runEnd":
                  printers.get(event.index)?.stop();
                  printers.delete(event.index);
                  // A stopped run stays for the notes: what its folder keeps.
                  if (event.row.status !== "interrupted") current.delete(event.name);
                  release(event.name);
                  break;
              }
            },
          }),
      );
    } finally {
      for (const printer of printers.values()) printer.stop();
    }
    const signal = interruptSignal();
    if (signal !== undefined) throw new Interrupted(signal, [m.interrupt.stopped(signal), ...notes()]);

    // A run found finished whose report was stopped midway (the sweep was killed while drawing it): finish it.
    for (const run of runs) {
      if (run.trained || run.status !== "finished") continue;
      const found = await rerunAction(storageFor(run.name));
      if (found.action !== "report") continue;
      current.add(run.name);
      const dir = join(out, run.name);
      say(m.train.finishingReport(dir));
      if (found.staleCheckpoint) await storageFor(run.name).remove(CHECKPOINT_FILE);
      await drawReport(dir, data.test, lang, say, bars);
      current.delete(run.name);
    }

    const summary: SweepSummary = {
      sweep: preset ?? "grid",
      grid: preset !== undefined ? HOMEWORK : Object.fromEntries(grid.map((axis) => [axis.key, axis.values])),
      runs,
    };
    const summaryFile = join(out, "summary.json");
    writeFileAtomic(summaryFile, JSON.stringify(summary, null, 2) + "\n");
    say(m.train.drawing);
    // Drawn in a child process, as each run's report (see drawComparisonReport): the memory it takes leaves with it.
    const { drawComparisonReport } = await import("../../src/node/run-report.js");
    const bar = pictureProgress(bars, lang);
    let written: ReportFiles;
    try {
      written = await drawComparisonReport(out, await finishedRuns(runs, storageFor), lang, (done, total, name) =>
        bar.picture(done, total, name),
      );
    } finally {
      bar.stop();
    }

    if (flags.json) {
      console.log(JSON.stringify({ out, ...summary }));
    } else {
      const c = runColumns(m);
      say(`\n${formatTable(runs, [c.run, c.status, c.accuracy, c.loss, c.parameters, c.seconds])}`);
      for (const note of failureNotes(runs)) say(note);
      say(m.savedFile(summaryFile));
      for (const line of reportLines(m, written)) say(line);
    }
    return summary;
  } catch (error) {
    if (error instanceof FileWriteError) throw cliErrorOf(error, notes());
    if (error instanceof RunProcessEndedError) {
      throw new CliError("runProcessEnded", [error.dir, error.how], { cause: error, code: error.code, notes: notes() });
    }
    throw error;
  } finally {
    onInterruptSay(saidBefore);
    for (const name of [...runLocks.keys()]) release(name);
    sweepLock.release();
  }
}
