import { noGrad } from "../src/autograd/graph.js";
import type { MnistDataset } from "../src/data/mnist.js";
import { getBackend } from "../src/kernels/registry.js";
import { wasmThreads } from "../src/kernels/wasm/index.js";
import { exportOnnx } from "../src/models/onnx-export.js";
import { MnistCNN, type Arch } from "../src/models/tutorial.js";
import { manualSeed } from "../src/tensor/random.js";
import { tidy } from "../src/tensor/scope.js";
import { Tensor } from "../src/tensor/tensor.js";
import { median, round3 } from "./stats.js";

/**
 * One line of the ONNX inference bench: a runtime's images/s over the whole test set, or why it was skipped. The
 * `threads` and `backend` here are the runtime's own (they override bench.ts's convlab ones when emitted).
 */
export type OnnxInferenceRecord = {
  bench: "onnx-inference";
  arch: Arch;
  runtime: "convlab" | "onnxruntime-node" | "onnxruntime-web";
  batchSize: number;
} & (
  | {
      backend: string;
      threads: number;
      imagesPerSec: number;
      /** max |logits − convlab's logits| over the test set: that the runtime computed the same model. */
      maxAbsDiff: number;
      /**
       * For the other runtimes: convlab's throughput over this one's, round by round (each round runs every runtime
       * in turn on the same machine load), and their median: the comparison the targets are stated in.
       */
      convlabRatios?: number[];
      medianConvlabRatio?: number;
    }
  | { skipped: string }
);

/** The least a session needs, common to onnxruntime-node and onnxruntime-web (each has its own Tensor class). */
interface OrtLike {
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
  InferenceSession: {
    create(
      bytes: Uint8Array,
      options: { executionProviders: string[]; intraOpNumThreads?: number; interOpNumThreads?: number },
    ): Promise<{
      inputNames: readonly string[];
      outputNames: readonly string[];
      run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
      release(): Promise<void>;
    }>;
  };
}

/** A runtime under test: `run` infers every batch once, writing the logits into `out`. */
interface Contender {
  runtime: OnnxInferenceRecord["runtime"];
  backend: string;
  threads: number;
  run(out: Float32Array): Promise<void>;
  release(): Promise<void>;
}

/**
 * Imports an optional package (a devDependency, so absent from a user's install), or returns why it is missing. The
 * import is dynamic so that `convlab bench` runs without it.
 */
async function optional<T>(name: string): Promise<T | string> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      return `${name} is not installed (a devDependency of convlab: run npm install in its repository)`;
    }
    return `${name} failed to load: ${(error as Error).message}`;
  }
}

/**
 * Inference throughput of the same model, with the same weights, over the same 10,000 test images in one run:
 * convlab (the current backend), the exported ONNX model in onnxruntime-node on 1 and 2 threads (intraOpNumThreads),
 * and in onnxruntime-web's WebAssembly backend (1 thread, running in Node). All take the same `batchSize` batches,
 * prepared beforehand so that only inference is timed. Rounds alternate the runtimes (A B C D A B C D) so that each
 * sees the same machine load; a runtime's figure is its best round, as bench/training.ts's inference figure, and each
 * other runtime's record has convlab's ratio to it in every round and the median of those. Each record also gives the
 * largest logit difference from convlab's, so a fast wrong answer shows.
 *
 * onnxruntime-node and -web are devDependencies: when one is missing its record says so (`skipped`) instead.
 */
export async function onnxInferenceComparison(
  test: MnistDataset,
  arch: Arch,
  batchSize = 64,
  rounds = 5,
): Promise<OnnxInferenceRecord[]> {
  manualSeed(0);
  const model = new MnistCNN(arch).eval();
  const bytes = exportOnnx(model);
  const batches: Tensor[] = [];
  for (let start = 0; start < test.length; start += batchSize) {
    const end = Math.min(test.length, start + batchSize);
    batches.push(test.getBatch(Int32Array.from({ length: end - start }, (_, i) => start + i)).inputs);
  }
  const records: OnnxInferenceRecord[] = [];
  const contenders: Contender[] = [
    {
      runtime: "convlab",
      backend: getBackend(),
      threads: getBackend() === "wasm" ? wasmThreads() : 1,
      run: async (out) => {
        noGrad(() => {
          let at = 0;
          for (const x of batches) {
            tidy(() => out.set(model.forward(x).data, at));
            at += x.shape[0] * 10;
          }
        });
        return Promise.resolve();
      },
      release: () => Promise.resolve(),
    },
  ];

  const node = await optional<OrtLike>("onnxruntime-node");
  if (typeof node === "string") {
    records.push({ bench: "onnx-inference", arch, runtime: "onnxruntime-node", batchSize, skipped: node });
  } else {
    for (const threads of [1, 2]) {
      const options = { executionProviders: ["cpu"], intraOpNumThreads: threads, interOpNumThreads: 1 };
      contenders.push(await ortContender(node, "onnxruntime-node", "cpu", threads, bytes, options, batches));
    }
  }
  const web = await optional<OrtLike & { env: { wasm: { numThreads: number } } }>("onnxruntime-web");
  if (typeof web === "string") {
    records.push({ bench: "onnx-inference", arch, runtime: "onnxruntime-web", batchSize, skipped: web });
  } else {
    // One thread: several would need a cross-origin-isolated page in a browser, and worker files in Node.
    web.env.wasm.numThreads = 1;
    contenders.push(
      await ortContender(web, "onnxruntime-web", "wasm", 1, bytes, { executionProviders: ["wasm"] }, batches),
    );
  }

  const outputs = contenders.map(() => new Float32Array(test.length * 10));
  const times: number[][] = contenders.map(() => []);
  // Round 0 warms every runtime up (JIT, WebAssembly tier-up, ONNX Runtime's first-run allocations).
  for (let round = 0; round <= rounds; round++) {
    for (const [i, c] of contenders.entries()) {
      const start = performance.now();
      await c.run(outputs[i]);
      if (round > 0) times[i].push(performance.now() - start);
    }
  }
  for (const [i, c] of contenders.entries()) {
    let maxAbsDiff = 0;
    for (let k = 0; k < outputs[i].length; k++)
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(outputs[i][k] - outputs[0][k]));
    // The same images in every round: convlab's throughput over this runtime's is this runtime's time over convlab's.
    const ratios = i === 0 ? [] : times[i].map((t, round) => t / times[0][round]);
    records.push({
      bench: "onnx-inference",
      arch,
      runtime: c.runtime,
      backend: c.backend,
      threads: c.threads,
      batchSize,
      imagesPerSec: Math.round((test.length * 1000) / Math.min(...times[i])),
      maxAbsDiff,
      ...(i === 0 ? {} : { convlabRatios: ratios.map(round3), medianConvlabRatio: round3(median(ratios)) }),
    });
    await c.release();
  }
  return records;
}

async function ortContender(
  ort: OrtLike,
  runtime: Contender["runtime"],
  backend: string,
  threads: number,
  bytes: Uint8Array,
  options: Parameters<OrtLike["InferenceSession"]["create"]>[1],
  batches: Tensor[],
): Promise<Contender> {
  const session = await ort.InferenceSession.create(bytes, options);
  const [input, output] = [session.inputNames[0], session.outputNames[0]];
  // The input tensors are made once: the bench times inference, not the wrapping of arrays.
  const feeds = batches.map((x) => ({ [input]: new ort.Tensor("float32", x.data as Float32Array, x.shape) }));
  return {
    runtime,
    backend,
    threads,
    run: async (out) => {
      let at = 0;
      for (const feed of feeds) {
        const logits = (await session.run(feed))[output].data as Float32Array;
        out.set(logits, at);
        at += logits.length;
      }
    },
    release: () => session.release(),
  };
}
