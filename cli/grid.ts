import { InvalidArgumentError } from "commander";
import type { Lang } from "../src/explain/types.js";
import { didYouMean } from "../src/models/validate.js";
import { GRID_FIELDS, type GridAxis, type GridKey } from "../src/train/sweep-plan.js";
import { cliMessages } from "./messages.js";
import { flagParsers, type FlagParsers } from "./options.js";

/** The parser of each grid key's values: train's parser of the flag that sets it. */
const GRID_PARSERS = {
  arch: "arch",
  epochs: "positiveInt",
  lr: "learningRate",
  momentum: "momentum",
  "batch-size": "positiveInt",
  seed: "nonNegativeInt",
} as const satisfies Record<GridKey, keyof FlagParsers>;

/**
 * Parses `--grid lr=0.001,0.01,0.1` with train's own value checks, so a bad value reads as it would for `train`
 * (the reasons in `lang`). Commander calls it once per flag with the axes so far, which collects repeated flags.
 */
export function gridAxis(text: string, previous: GridAxis[] = [], lang: Lang = "en"): GridAxis[] {
  const m = cliMessages(lang).flags;
  const match = /^([a-z-]+)=(.+)$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError(m.gridFormat);
  const keys = Object.keys(GRID_FIELDS);
  const key = match[1];
  if (!(key in GRID_FIELDS)) throw new InvalidArgumentError(m.gridUnknown(key, didYouMean(key, keys), keys));
  if (previous.some((axis) => axis.key === key)) throw new InvalidArgumentError(m.gridRepeated(key));
  const parse: (value: string) => string | number = flagParsers(lang)[GRID_PARSERS[key as GridKey]];
  const values = [...new Set(match[2].split(",").map((v) => parse(v.trim())))];
  return [...previous, { key: key as GridKey, values }];
}
