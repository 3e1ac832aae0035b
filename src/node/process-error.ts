import { ConvlabError } from "../errors.js";
import { NonFiniteLossError } from "../train/loop.js";
import { RunStoppedError } from "../train/run.js";
import { FileWriteError } from "./atomic.js";

/**
 * An error as it crosses from a child process (a report's, a run's) to the CLI's: its message and code, and the
 * fields of the classes the CLI and the sweep tell apart: a full disk names the file and what is kept, a stopped
 * run says where it stopped, a diverging loss is recorded as a failed run.
 */
export interface ProcessErrorMessage {
  type: "error";
  message: string;
  code?: string;
  fileWrite?: { path: string; reason: string; detail: string };
  stopped?: { epoch: number; batch: number; batches: number };
  nonFinite?: { epoch: number; batch: number; loss: number; lr: number };
}

/** The message for an error thrown in a child process (see {@link errorOfMessage}, its inverse). */
export function processError(error: unknown): ProcessErrorMessage {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ConvlabError ? { code: error.code } : {};
  if (error instanceof FileWriteError) {
    const { path, reason, detail } = error;
    return { type: "error", message, ...code, fileWrite: { path, reason, detail } };
  }
  if (error instanceof RunStoppedError) {
    const { epoch, batch, batches } = error;
    return { type: "error", message, ...code, stopped: { epoch, batch, batches } };
  }
  if (error instanceof NonFiniteLossError) {
    const { epoch, batch, loss, lr } = error;
    return { type: "error", message, nonFinite: { epoch, batch, loss, lr } };
  }
  return { type: "error", message, ...code };
}

/** The error again, of its class where the CLI or the sweep tells them apart. */
export function errorOfMessage({ message, code, fileWrite, stopped, nonFinite }: ProcessErrorMessage): Error {
  if (fileWrite !== undefined) return new FileWriteError(fileWrite.path, fileWrite.reason, fileWrite.detail);
  if (stopped !== undefined) return new RunStoppedError(stopped.epoch, stopped.batch, stopped.batches);
  if (nonFinite !== undefined)
    return new NonFiniteLossError(nonFinite.epoch, nonFinite.batch, nonFinite.loss, nonFinite.lr);
  return code === undefined ? new Error(message) : new ConvlabError(code, message);
}
