// Entry point of a kernel Web Worker: everything it does is in serveKernels, shared with Node's worker threads.
import { serveKernels, type WorkerInit } from "../kernels/wasm/threads.js";

self.addEventListener(
  "message",
  (event: MessageEvent<WorkerInit>) => {
    serveKernels(event.data, () => self.postMessage("ready"));
    self.close(); // serveKernels returns once the backend stops its workers
  },
  { once: true },
);
