import { constants } from "node:os";

/**
 * Ctrl-C (SIGINT) and SIGTERM for the commands that write run folders (train, sweep). While a run trains, the
 * first signal stops it after its current step: trainRun's `onStop: "interrupt"` keeps the last epoch's
 * checkpoint, and the command ends by saying what was kept and how to go on (see {@link Interrupted}). At any other
 * moment (reading the data, drawing the report) and on a second signal, the process ends at once with the
 * command's last words. Either way the run folder's lock is released (by the process's exit handlers, see
 * src/node/run-lock.ts), and the exit code is 128 + the signal's number as shells report it: 130 for Ctrl-C, 143
 * for SIGTERM.
 */

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
export type StopSignal = (typeof SIGNALS)[number];

let received: StopSignal | undefined;
let stopRun: (() => void) | undefined;
let lastWords: ((signal: StopSignal) => string[]) | undefined;
let listening = false;

/** 130 for SIGINT, 143 for SIGTERM. */
export const signalExitCode = (signal: StopSignal): number => 128 + constants.signals[signal];

/**
 * Handles SIGINT and SIGTERM from now on, as described above; the CLI's entry point calls it for train and sweep,
 * with what to say when no command has said more (see {@link onInterruptSay}). A program that calls the commands
 * itself (the tests) keeps Node's own handling.
 */
export function listenForInterrupts(words: (signal: StopSignal) => string[]): void {
  lastWords = words;
  if (listening) return;
  listening = true;
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      const first = received === undefined;
      received = signal;
      if (first && stopRun !== undefined) {
        stopRun();
        return;
      }
      // A bar on a terminal: clear its line and show the cursor it hid.
      if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K\x1b[?25h");
      const lines = lastWords?.(signal) ?? [];
      if (lines.length > 0) process.stderr.write(`${lines.join("\n")}\n`);
      process.exit(signalExitCode(signal));
    });
  }
}

/** The signal received so far, if any. */
export function interruptSignal(): StopSignal | undefined {
  return received;
}

/**
 * What to print when a signal ends the process at once, computed then (what the folder holds at that moment).
 * Returns what was said before, for the command to put back when it ends.
 */
export function onInterruptSay(
  words: ((signal: StopSignal) => string[]) | undefined,
): ((signal: StopSignal) => string[]) | undefined {
  const before = lastWords;
  lastWords = words;
  return before;
}

/**
 * Runs `work` with `stop` as what the first signal does, instead of ending the process: the command then ends
 * by itself, and reports the signal with {@link Interrupted}.
 */
export async function stoppable<T>(stop: () => void, work: () => Promise<T>): Promise<T> {
  stopRun = stop;
  try {
    return await work();
  } finally {
    stopRun = undefined;
  }
}

/**
 * A command ended by a signal after stopping its run: `lines` (in the command's language) say what was kept and
 * how to go on. The CLI prints them without the error label, and exits with {@link signalExitCode}.
 */
export class Interrupted extends Error {
  constructor(
    readonly signal: StopSignal,
    readonly lines: readonly string[],
  ) {
    super(lines.join("\n"));
    this.name = "Interrupted";
  }

  get exitCode(): number {
    return signalExitCode(this.signal);
  }
}
