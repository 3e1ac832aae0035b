import { InvalidArgumentError } from "commander";
import { LANGS, type Lang } from "../src/explain/index.js";
import { ARCHS, isArch } from "../src/models/presets.js";

/**
 * Parsers for command-line values. Each rejects a bad value with commander's InvalidArgumentError, so the user sees
 * "error: option '--lr <number>' argument 'abc' is invalid. <reason>" with the fix, and nothing runs.
 */
function number(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`'${value}' is not a number.`);
  return n;
}

export function positiveInt(value: string): number {
  const n = number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("It must be a whole number of at least 1.");
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("It must be a whole number of at least 0.");
  return n;
}

export function learningRate(value: string): number {
  const n = number(value);
  if (!(n > 0)) throw new InvalidArgumentError("The learning rate must be greater than 0 (the tutorial uses 0.01).");
  return n;
}

export function momentum(value: string): number {
  const n = number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError("Momentum must be in [0, 1) (the tutorial uses 0.9).");
  return n;
}

/** A preset name, or the path of a model spec file; the file itself is read and checked by the command. */
export function arch(value: string): string {
  if (!isArch(value) && !/\.json$/i.test(value)) {
    throw new InvalidArgumentError(`Choose one of: ${ARCHS.join(", ")}, or the path of a model spec file (.json).`);
  }
  return value;
}

/** `--lang`: the language of labels, titles and explanations, English or the tutorial's Vietnamese. */
export function lang(value: string): Lang {
  if (!(LANGS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`Choose one of: ${LANGS.join(", ")}.`);
  }
  return value as Lang;
}

/** The language of the locale, as gettext reads it (LC_ALL, then LC_MESSAGES, then LANG): "vi…" → vi, else en. */
export function localeLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return locale.toLowerCase().startsWith("vi") ? "vi" : "en";
}
