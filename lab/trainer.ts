import type { FromWorker, ToWorker } from "./protocol.js";

type Handler<T extends FromWorker["type"]> = (message: Extract<FromWorker, { type: T }>) => void;

/**
 * The page's one training worker (train-worker.ts), started on first use: the Train and Homework parts send it jobs
 * and listen to what it says. It runs one job at a time; `busy` is true from a job's start to its `idle`.
 */
export class Trainer {
  #worker: Worker | undefined;
  #handlers = new Map<string, Set<(message: FromWorker) => void>>();
  busy = false;
  /** What the worker said when it started: its backend and threads. */
  ready: Extract<FromWorker, { type: "ready" }> | undefined;

  on<T extends FromWorker["type"]>(type: T, handler: Handler<T>): void {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type)!.add(handler as (message: FromWorker) => void);
  }

  send(message: ToWorker): void {
    if (message.type === "train" || message.type === "homework") this.busy = true;
    this.#start().postMessage(message);
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type === "ready") this.ready = message;
      if (message.type === "idle") this.busy = false;
      for (const handler of this.#handlers.get(message.type) ?? []) handler(message);
    });
    worker.addEventListener("error", (event) => {
      const message: FromWorker = { type: "error", message: event.message || "the training worker failed to start" };
      this.busy = false;
      for (const handler of this.#handlers.get("error") ?? []) handler(message);
    });
    this.#worker = worker;
    return worker;
  }
}

/** The one trainer of the page. */
export const trainer = new Trainer();
