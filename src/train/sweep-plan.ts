import type { TrainSettings } from "./run-files.js";

// What a sweep trains, as pure data: the homework's runs, a grid's product, each run's name and settings. Light on
// purpose: the CLI parses --grid with it before any command is loaded. src/train/sweep.ts trains the plan.

/** The settings a sweep may vary, by the CLI flag that sets each (`--grid lr=…`), with the field they set. */
export const GRID_FIELDS = {
  arch: "arch",
  epochs: "epochs",
  lr: "lr",
  momentum: "momentum",
  "batch-size": "batchSize",
  seed: "seed",
} as const satisfies Record<string, keyof TrainSettings>;
export type GridKey = keyof typeof GRID_FIELDS;

/** One run of a sweep, as grid keys and values: `{ arch: "conv3", epochs: 10, lr: 0.01 }`. */
export type GridPoint = Partial<Record<GridKey, string | number>>;

/**
 * The tutorial's homework: the tutorial's run (5 epochs), then 10 epochs, a third conv layer, and learning rates
 * 0.001 and 0.1, each against the 10-epoch run, changing one thing at a time.
 */
export const HOMEWORK: readonly GridPoint[] = [
  { arch: "seed", epochs: 5, lr: 0.01 },
  { arch: "seed", epochs: 10, lr: 0.01 },
  { arch: "conv3", epochs: 10, lr: 0.01 },
  { arch: "seed", epochs: 10, lr: 0.001 },
  { arch: "seed", epochs: 10, lr: 0.1 },
];

/** One axis of a grid: a setting and the values it takes. */
export interface GridAxis {
  key: GridKey;
  values: (string | number)[];
}

/** The cartesian product of the axes. */
export function gridProduct(axes: readonly GridAxis[]): GridPoint[] {
  return axes.reduce<GridPoint[]>(
    (runs, axis) => runs.flatMap((run) => axis.values.map((value) => ({ ...run, [axis.key]: value }))),
    [{}],
  );
}

/**
 * Each run's name: the settings that vary across the sweep, sorted by key (`arch=conv3,lr=0.1`), so the name says
 * how the run differs from its neighbours. A spec file shows as its name without folder or `.json`.
 */
function runName(run: GridPoint, varying: GridKey[]): string {
  const shown = (key: GridKey, value: string | number | undefined) =>
    key === "arch"
      ? String(value)
          .replace(/^.*[\\/]/, "")
          .replace(/\.json$/i, "")
      : String(value);
  return varying.map((key) => `${key}=${shown(key, run[key])}`).join(",") || "run";
}

/** A planned run: its name, and the shared settings with the run's own over them. */
export interface PlannedRun<S extends TrainSettings> {
  name: string;
  settings: S;
}

/** The runs of a sweep over `points` (the homework's, or a grid's product), each named and with its settings. */
export function planSweep<S extends TrainSettings>(points: readonly GridPoint[], base: S): PlannedRun<S>[] {
  const keys = [...new Set(points.flatMap((run) => Object.keys(run) as GridKey[]))].sort();
  const varying = keys.filter((key) => new Set(points.map((run) => run[key])).size > 1);
  return points.map((point) => {
    const settings = { ...base };
    for (const [key, value] of Object.entries(point)) {
      Object.assign(settings, { [GRID_FIELDS[key as GridKey]]: value });
    }
    return { name: runName(point, varying), settings };
  });
}
