// Entry point of a kernel worker thread: everything it does is in serveKernels, shared with browser workers.
import { parentPort, workerData } from "node:worker_threads";
import { serveKernels, type WorkerInit } from "../kernels/wasm/threads.js";

serveKernels(workerData as WorkerInit, () => parentPort!.postMessage("ready"));
