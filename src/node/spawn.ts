import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { JIT_FLAGS } from "./jit.js";

/**
 * Starts the worker thread whose entry is `<name>.js` beside this module (`<name>.ts` when convlab runs from its
 * TypeScript sources, as the tests do through tsx: then the worker registers tsx's loader before loading its entry,
 * since Node 20 does not apply the parent's --import hooks to a worker's entry module).
 */
export function startWorker(name: string, workerData: unknown): Worker {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(`./${name}.${fromSource ? "ts" : "js"}`, import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData });
  return new Worker(
    `(async () => { (await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})).register();` +
      ` await import(${JSON.stringify(entry.href)}); })();`,
    { eval: true, workerData },
  );
}

/**
 * Starts the Node process whose entry is `<name>.js` beside this module (`<name>.ts` through tsx from the sources),
 * with an IPC channel that carries structured clones (typed arrays included). Of the parent's Node flags it gets the
 * --experimental-wasm ones, which choose the kernel build (see WASM_MODULE_ENV), and it runs with convlab's JIT_FLAGS;
 * the environment is inherited.
 */
export function startProcess(name: string): ChildProcess {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = fileURLToPath(new URL(`./${name}.${fromSource ? "ts" : "js"}`, import.meta.url));
  const execArgv = fromSource ? ["--import", "tsx"] : [];
  return fork(entry, [], {
    execArgv: [...process.execArgv.filter((a) => a.startsWith("--experimental-wasm")), ...JIT_FLAGS, ...execArgv],
    serialization: "advanced",
  });
}

/** How a {@link processTask} ends: with its result, or with an error. */
export type TaskEnd<T> = { value: T } | { error: unknown };

/**
 * Runs a task in the process `<name>` (see {@link startProcess}): sends it `request` and hands each message it sends
 * back to `onMessage`, which ends the task by calling `end`. Then the process is disconnected, which tells it to
 * exit. The process failing to start rejects with its error, and ending before the task did with `ended(how)`
 * (a signal's name, or `code N`). `attach` may use the process while the task runs (to send it more); what it
 * returns is called when the task ends.
 */
export function processTask<T, M>(
  name: string,
  request: unknown,
  onMessage: (message: M, end: (how: TaskEnd<T>) => void) => void,
  ended: (how: string) => Error,
  attach?: (child: ChildProcess) => () => void,
): Promise<T> {
  const child = startProcess(name);
  child.send(request as object);
  const detach = attach?.(child);
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const end = (how: TaskEnd<T>) => {
      if (done) return;
      done = true;
      detach?.();
      if (child.connected) child.disconnect();
      if ("error" in how) reject(how.error);
      else resolve(how.value);
    };
    child.on("message", (message: M) => onMessage(message, end));
    child.once("error", (error) => end({ error }));
    child.once("exit", (code, signal) => end({ error: ended(signal ?? `code ${code}`) }));
  });
}
