import { basename, join } from "node:path";
import { InvalidArgumentError } from "commander";
import { writeFileAtomic } from "../../src/node/atomic.js";
import { writeComparisonReport } from "../../src/node/run-report.js";
import { didYouMean } from "../../src/models/validate.js";
import { NonFiniteLossError } from "../../src/train/loop.js";
import { loadSplit } from "../data.js";
import { chooseModel } from "../../src/node/model-file.js";
import type { Lang } from "../../src/explain/index.js";
import { flagParsers, localeLang, type FlagParsers } from "../options.js";
import { CliError, cliMessages } from "../messages.js";
import { checkSameConfig, inspectRun, type RunInfo } from "../run-folder.js";
import { formatTable } from "../table.js";
import { failureNotes, runColumns, runRow, type RunRow } from "./runs.js";
import { reportLines, runConfig, trainCommand, type TrainFlags } from "./train.js";

/** Flags of `convlab sweep`: train's (the settings every run shares, and the reports' language) plus the grid. */
export interface SweepFlags extends TrainFlags {
  /** `--grid key=v1,v2,…`, parsed; the runs are their cartesian product. */
  grid: GridAxis[];
}

/** The settings a grid may vary, by the flag that sets them in `train`, with train's parser of that flag. */
const GRID_KEYS = {
  arch: { field: "arch", parse: "arch" },
  epochs: { field: "epochs", parse: "positiveInt" },
  lr: { field: "lr", parse: "learningRate" },
  momentum: { field: "momentum", parse: "momentum" },
  "batch-size": { field: "batchSize", parse: "positiveInt" },
  seed: { field: "seed", parse: "nonNegativeInt" },
} as const satisfies Record<string, { field: keyof TrainFlags; parse: keyof FlagParsers }>;
type GridKey = keyof typeof GRID_KEYS;
type Setting = Partial<Pick<TrainFlags, "arch" | "epochs" | "lr" | "momentum" | "batchSize" | "seed">>;

/** One `--grid` flag: a setting and the values it takes. */
export interface GridAxis {
  key: GridKey;
  values: (string | number)[];
}

/**
 * Parses `--grid lr=0.001,0.01,0.1` with train's own value checks, so a bad value reads as it would for `train`
 * (the reasons in `lang`). Commander calls it once per flag with the axes so far, which collects repeated flags.
 */
export function gridAxis(text: string, previous: GridAxis[] = [], lang: Lang = "en"): GridAxis[] {
  const m = cliMessages(lang).flags;
  const match = /^([a-z-]+)=(.+)$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError(m.gridFormat);
  const keys = Object.keys(GRID_KEYS);
  const key = match[1];
  if (!(key in GRID_KEYS)) throw new InvalidArgumentError(m.gridUnknown(key, didYouMean(key, keys), keys));
  if (previous.some((axis) => axis.key === key)) throw new InvalidArgumentError(m.gridRepeated(key));
  const parse: (value: string) => string | number = flagParsers(lang)[GRID_KEYS[key as GridKey].parse];
  const values = [...new Set(match[2].split(",").map((v) => parse(v.trim())))];
  return [...previous, { key: key as GridKey, values }];
}

/**
 * The tutorial's homework: the tutorial's run (5 epochs), then 10 epochs, a third conv layer, and learning rates
 * 0.001 and 0.1, each against the 10-epoch run, changing one thing at a time.
 */
const HOMEWORK: Record<string, string | number>[] = [
  { arch: "seed", epochs: 5, lr: 0.01 },
  { arch: "seed", epochs: 10, lr: 0.01 },
  { arch: "conv3", epochs: 10, lr: 0.01 },
  { arch: "seed", epochs: 10, lr: 0.001 },
  { arch: "seed", epochs: 10, lr: 0.1 },
];

/** The cartesian product of the axes, as maps from grid key to value. */
function product(axes: GridAxis[]): Record<string, string | number>[] {
  return axes.reduce<Record<string, string | number>[]>(
    (runs, axis) => runs.flatMap((run) => axis.values.map((value) => ({ ...run, [axis.key]: value }))),
    [{}],
  );
}

/**
 * Each run's folder name: the settings that vary across the sweep, sorted by key (`arch=conv3,lr=0.1`), so the name
 * says how the run differs from its neighbours. A spec file shows as its name without folder or `.json`.
 */
function runName(run: Record<string, string | number>, varying: string[]): string {
  const shown = (key: string, value: string | number) =>
    key === "arch" ? basename(String(value)).replace(/\.json$/i, "") : String(value);
  return varying.map((key) => `${key}=${shown(key, run[key])}`).join(",") || "run";
}

/** One run of a sweep: its folder name and its train flags. */
export interface PlannedRun {
  name: string;
  flags: TrainFlags;
}

/**
 * The runs of a sweep (the homework's, or the product of the grid), each with its name and train flags: the shared
 * flags `base`, with the run's own settings over them.
 */
export function planSweep(preset: "homework" | undefined, grid: GridAxis[], base: TrainFlags): PlannedRun[] {
  const runs = preset !== undefined ? HOMEWORK : product(grid);
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run)))].sort();
  const varying = keys.filter((key) => new Set(runs.map((run) => run[key])).size > 1);
  return runs.map((run) => {
    const settings: Setting = {};
    for (const [key, value] of Object.entries(run)) {
      Object.assign(settings, { [GRID_KEYS[key as GridKey].field]: value });
    }
    return { name: runName(run, varying), flags: { ...base, ...settings } };
  });
}

/** A run's line in `summary.json`: its row, and whether this sweep trained it or found it done. */
export interface SweepRun extends RunRow {
  /** True when this invocation trained (or resumed) it; false when it was found finished or failed before. */
  trained: boolean;
}

/** `summary.json` of a sweep folder. */
export interface SweepSummary {
  sweep: string;
  /** The axes of a `--grid` sweep; the homework's runs for `sweep homework`. */
  grid: Record<string, (string | number)[]> | Record<string, string | number>[];
  runs: SweepRun[];
}

/**
 * `convlab sweep homework` or `convlab sweep --grid key=v1,v2 …`: trains each run of the sweep in its own folder
 * under `--out` (default runs/homework or runs/sweep), then writes `summary.json`, prints a table and writes the
 * comparison report.
 *
 * Resumable: a run already finished (or failed) with the same settings is not trained again, an interrupted run
 * continues from its checkpoint, so rerunning an identical sweep trains nothing. A run found with other settings is
 * an error naming the setting. A run whose loss diverges is recorded as failed and the sweep goes on.
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
  const planned = planSweep(preset, grid, { ...shared, lang, json: false, progress: flags.progress && !flags.json });
  // Every spec file is read and checked before the first run trains, so a typo does not fail the sweep midway.
  const choices = planned.map((run) => chooseModel(run.flags.arch));

  const data = {
    train: await loadSplit(flags, true, flags.json),
    test: await loadSplit(flags, false, flags.json),
  };
  const runs: SweepRun[] = [];
  for (const [i, run] of planned.entries()) {
    const dir = join(out, run.name);
    say(`\n[${i + 1}/${planned.length}] ${run.name}`);
    const before = inspectRun(dir);
    let info: RunInfo | undefined;
    let trained = false;
    if (before !== undefined && before.status !== "interrupted") {
      checkSameConfig(dir, "finished run", before.config, runConfig(run.flags, choices[i]));
      info = before;
      say(before.status === "finished" ? m.sweep.finishedBefore : m.sweep.failedBefore(before.error));
    } else {
      trained = true;
      try {
        await trainCommand({ ...run.flags, out: dir }, { data, recordFailure: true, quiet: flags.json });
      } catch (error) {
        if (!(error instanceof NonFiniteLossError)) throw error;
        say(m.sweep.failed(error.message));
      }
      info = inspectRun(dir);
    }
    // recordFailure writes failed.json even when the loss diverged before the first checkpoint, so info is set.
    if (info === undefined) throw new CliError("noRunFiles", [dir]);
    runs.push({ ...runRow(run.name, info), trained });
  }

  const summary: SweepSummary = {
    sweep: preset ?? "grid",
    grid: preset !== undefined ? HOMEWORK : Object.fromEntries(grid.map((axis) => [axis.key, axis.values])),
    runs,
  };
  const summaryFile = join(out, "summary.json");
  writeFileAtomic(summaryFile, JSON.stringify(summary, null, 2) + "\n");
  const finished = runs.flatMap((r) => {
    const metrics = r.status === "finished" ? inspectRun(r.dir)?.metrics : undefined;
    return metrics !== undefined ? [{ name: r.name, dir: r.dir, metrics }] : [];
  });
  const written = await writeComparisonReport(out, finished, lang);

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
}
