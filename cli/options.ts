import { Command, InvalidArgumentError, type ErrorOptions as CommandErrorOptions } from "commander";
// Only light modules here: every command line goes through this file before any command is loaded.
import { LANGS, TOPICS, type Lang, type Topic } from "../src/explain/types.js";
import { ARCHS, isArch } from "../src/models/presets.js";
import { cliMessages, type CliMessages } from "./messages.js";

/** What `convlab explain --format` writes: text, Markdown, JSON, or the tutorial's figures as SVG or PNG. */
export const EXPLAIN_FORMATS = ["text", "md", "json", "svg", "png"] as const;
export type ExplainFormat = (typeof EXPLAIN_FORMATS)[number];

/** The compute backends `--backend` accepts (src/node/backend.ts checks $CONVLAB_BACKEND itself). */
const BACKENDS = ["wasm", "ref"] as const;

/**
 * Parsers for command-line values, with their reasons in `lang`. Each rejects a bad value with commander's
 * InvalidArgumentError, so the user sees "error: option '--lr <number>' argument 'abc' is invalid. <reason>" with the
 * fix, and nothing runs. `lang` is the language of the whole command line ({@link argvLang}): commander parses a
 * flag as it meets it, before `--lang` itself may have been read.
 */
export function flagParsers(lang: Lang) {
  const m = cliMessages(lang).flags;
  const number = (value: string): number => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(m.notNumber(value));
    return n;
  };
  const wholeNumber = (min: number) => (value: string) => {
    const n = number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(m.wholeNumber(min));
    return n;
  };
  const oneOf =
    <T extends string>(choices: readonly T[]) =>
    (value: string): T => {
      if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(m.choose(choices));
      return value as T;
    };
  return {
    positiveInt: wholeNumber(1),
    nonNegativeInt: wholeNumber(0),
    learningRate(value: string): number {
      const n = number(value);
      if (!(n > 0)) throw new InvalidArgumentError(m.learningRate);
      return n;
    },
    momentum(value: string): number {
      const n = number(value);
      if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(m.momentum);
      return n;
    },
    /** A preset name, or the path of a model spec file; the file itself is read and checked by the command. */
    arch(value: string): string {
      if (!isArch(value) && !/\.json$/i.test(value)) throw new InvalidArgumentError(m.arch(ARCHS));
      return value;
    },
    /** `--lang`: the language of the console, labels, titles and explanations: English or the tutorial's Vietnamese. */
    lang: oneOf(LANGS),
    backend: oneOf(BACKENDS),
    /** `explain [topic]`: one of the tutorial's topics, or all. */
    explainTopic: oneOf<Topic | "all">([...TOPICS, "all"]),
    explainFormat: oneOf(EXPLAIN_FORMATS),
  };
}

export type FlagParsers = ReturnType<typeof flagParsers>;

/** The language of the locale, as gettext reads it (LC_ALL, then LC_MESSAGES, then LANG): "vi…" → vi, else en. */
export function localeLang(env: NodeJS.ProcessEnv = process.env): Lang {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  return locale.toLowerCase().startsWith("vi") ? "vi" : "en";
}

/**
 * The `--lang` of a command line (`--lang vi` or `--lang=vi`), if it names a language; read before commander parses
 * the line, so its own errors and the flag parsers' can speak it. The last one counts, as for commander.
 */
export function argvLang(argv: readonly string[]): Lang | undefined {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") break;
    if (argv[i] === "--lang") found = argv[++i];
    else if (argv[i].startsWith("--lang=")) found = argv[i].slice("--lang=".length);
  }
  return (LANGS as readonly (string | undefined)[]).includes(found) ? (found as Lang) : undefined;
}

/**
 * Commander's parse errors in another language. Commander has no catalogue of its own, so its English wording is
 * matched per error code (the code, not the text, says which error it is) and rebuilt from `m.commander`; a message
 * of another shape keeps its words and only gets the localized "error:" label.
 */
export function localizeCommanderError(message: string, code: string | undefined, m: CliMessages): string {
  const c = m.commander;
  // Commander's suggestion for a misspelt option or command: "\n(Did you mean --epochs?)".
  const suggestion = (rest: string) => {
    const match = /^\n\(Did you mean (?:one of )?(.+)\?\)$/.exec(rest);
    return match === null ? rest : `\n${c.didYouMean(match[1].split(", "))}`;
  };
  const reason = (text: string) => {
    const choices = /^Allowed choices are (.+)\.$/.exec(text);
    return choices === null ? text : c.allowed(choices[1].split(", "));
  };
  const patterns: Record<string, [RegExp, (...parts: string[]) => string]> = {
    "commander.invalidArgument": [
      /^error: option '(.+?)' argument '([\s\S]*)' is invalid\. ([\s\S]*)$/,
      (flags, value, why) => c.invalidOption(flags, value, reason(why)),
    ],
    "commander.missingArgument": [/^error: missing required argument '(.*)'$/, (name) => c.missingArgument(name)],
    "commander.optionMissingArgument": [
      /^error: option '(.*)' argument missing$/,
      (flags) => c.optionMissingArgument(flags),
    ],
    "commander.missingMandatoryOptionValue": [
      /^error: required option '(.*)' not specified$/,
      (flags) => c.missingMandatoryOption(flags),
    ],
    "commander.unknownOption": [
      /^error: unknown option '(.*?)'(\n[\s\S]*)?$/,
      (flag, rest = "") => c.unknownOption(flag) + suggestion(rest),
    ],
    "commander.unknownCommand": [
      /^error: unknown command '(.*?)'(\n[\s\S]*)?$/,
      (name, rest = "") => c.unknownCommand(name) + suggestion(rest),
    ],
    "commander.excessArguments": [
      /^error: too many arguments(?: for '(.*)')?\. Expected (\d+) arguments? but got (\d+)\.$/,
      (command, expected, got) => c.tooManyArguments(command, Number(expected), Number(got)),
    ],
  };
  // A command-argument's parser (explain's topic) fails with the same code as an option's.
  const argument = /^error: command-argument value '([\s\S]*)' is invalid for argument '(.*?)'\. ([\s\S]*)$/.exec(
    message,
  );
  if (argument !== null) return c.invalidArgument(argument[1], argument[2], reason(argument[3]));
  const pattern = code !== undefined ? patterns[code] : undefined;
  const match = pattern?.[0].exec(message);
  if (pattern !== undefined && match != null) return pattern[1](...match.slice(1));
  return message.replace(/^error:/, `${m.error}:`);
}

/** A commander `Command` whose subcommands and parse errors speak `lang` (the help text stays English). */
export class LocalizedCommand extends Command {
  constructor(
    name: string | undefined,
    readonly messages: CliMessages,
  ) {
    super(name);
  }

  override createCommand(name?: string): LocalizedCommand {
    return new LocalizedCommand(name, this.messages);
  }

  override error(message: string, errorOptions?: CommandErrorOptions): never {
    return super.error(localizeCommanderError(message, errorOptions?.code, this.messages), errorOptions);
  }
}
