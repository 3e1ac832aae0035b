import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { inspectRunFolder } from "../run-folder.js";
import { runRow, type RunRow } from "../../src/train/run-files.js";
import { formatTable, type Column } from "../table.js";
import type { Lang } from "../../src/explain/index.js";
import { localeLang } from "../options.js";
import { CliError, cliMessages, type CliMessages } from "../messages.js";

export type { RunRow } from "../../src/train/run-files.js";

export interface RunsFlags {
  json: boolean;
  /** Language of the table; default from the locale. */
  lang?: Lang;
}

const dash = "–";
const fixed = (value: number | undefined, digits: number) => (value === undefined ? dash : value.toFixed(digits));

/**
 * Columns both commands show, by name, so `runs` and `sweep` print the same numbers the same way; headings and
 * statuses in `m`'s language.
 */
export const runColumns = (m: CliMessages) =>
  ({
    run: { header: m.runs.head.run, value: (r) => r.name },
    status: { header: m.runs.head.status, value: (r) => m.runs.status[r.status] },
    arch: { header: m.runs.head.arch, value: (r) => r.arch },
    epochs: {
      header: m.runs.head.epochs,
      value: (r) => (r.epochsDone === r.epochs ? String(r.epochs) : `${r.epochsDone}/${r.epochs}`),
      numeric: true,
    },
    lr: { header: m.runs.head.lr, value: (r) => String(r.lr), numeric: true },
    accuracy: {
      header: m.runs.head.accuracy,
      value: (r) => (r.testAccuracy === undefined ? dash : `${(100 * r.testAccuracy).toFixed(2)}%`),
      numeric: true,
    },
    loss: { header: m.runs.head.loss, value: (r) => fixed(r.finalLoss, 4), numeric: true },
    parameters: {
      header: m.runs.head.parameters,
      value: (r) => r.parameters?.toLocaleString("en-US") ?? dash,
      numeric: true,
    },
    seconds: { header: m.runs.head.seconds, value: (r) => fixed(r.seconds, 1), numeric: true },
  }) satisfies Record<string, Column<RunRow>>;

/** The lines under a table that say why each failed run failed (too long for a cell). */
export function failureNotes(rows: readonly RunRow[]): string[] {
  return rows.filter((r) => r.error !== undefined).map((r) => `${r.name}: ${r.error}`);
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The runs in `dir`: `dir` itself if it is a run folder, else each run folder in it, and for a folder that is not a
 * run (a sweep) the run folders in that, one level down. Folders without run files are left out.
 */
export async function listRuns(dir: string): Promise<RunRow[]> {
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new CliError("noSuchFolder", [dir]);
  }
  const self = await inspectRunFolder(dir);
  if (self !== undefined) return [runRow(".", self)];
  const rows: RunRow[] = [];
  for (const name of subfolders(dir)) {
    const info = await inspectRunFolder(join(dir, name));
    if (info !== undefined) {
      rows.push(runRow(name, info));
      continue;
    }
    for (const child of subfolders(join(dir, name))) {
      const inner = await inspectRunFolder(join(dir, name, child));
      if (inner !== undefined) rows.push(runRow(`${name}/${child}`, inner));
    }
  }
  return rows;
}

/**
 * `convlab runs [DIR]`: a table of the runs in DIR (default `runs`) with their settings and key numbers. A run is
 * finished (model and metrics written), interrupted (a checkpoint only: killed, or still training) or failed (a
 * sweep's run that diverged).
 */
export async function runsCommand(dir: string, flags: RunsFlags): Promise<RunRow[]> {
  const rows = await listRuns(dir);
  const m = cliMessages(flags.lang ?? localeLang());
  if (flags.json) {
    console.log(JSON.stringify({ dir, runs: rows }));
    return rows;
  }
  if (rows.length === 0) {
    console.log(m.runs.none(dir));
    return rows;
  }
  const c = runColumns(m);
  console.log(formatTable(rows, [c.run, c.status, c.arch, c.epochs, c.lr, c.accuracy, c.loss, c.seconds]));
  for (const note of failureNotes(rows)) console.log(note);
  return rows;
}
