import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getBackend } from "../../src/kernels/registry.js";
import { wasmKernelModule, wasmMemoryBytes, wasmThreads } from "../../src/kernels/wasm/index.js";
import { ARCHS } from "../../src/models/tutorial.js";
import { fusionComparison, inferenceThroughput, trainThroughput, winogradComparison } from "../../bench/training.js";
import { compareWithTorch, torchAvailable } from "../../bench/torch.js";
import { dispatchCost } from "../../bench/dispatch.js";
import { onnxInferenceComparison } from "../../bench/onnx.js";
import { startupComparison } from "../../bench/startup.js";
import { loadSplit, type DataFlags } from "../data.js";
import { peakRssMB } from "../../src/node/peak-memory.js";

export interface BenchFlags extends DataFlags {
  steps: number;
  rounds: number;
  torch: boolean;
  /** False with --no-onnx. */
  onnx: boolean;
  /** Default: {@link TORCH_SCRIPT}. */
  torchScript?: string;
}

/**
 * The tutorial's PyTorch script: bench/seed_torch.py beside bench/*.ts in the repository, copied to dist/bench by
 * the build (this module is cli/commands/bench.ts or dist/cli/commands/bench.js: bench/ is two folders up either way).
 */
export const TORCH_SCRIPT = fileURLToPath(new URL("../../bench/seed_torch.py", import.meta.url));

/**
 * One JSON object per line on stdout, so runs can be collected and compared. On wasm each says which kernel build
 * ran (`module`: simd or relaxed-simd; $CONVLAB_WASM_MODULE=simd forces the plain one).
 */
function emit(record: Record<string, unknown>): void {
  const backend = getBackend();
  const wasm = backend === "wasm" ? { threads: wasmThreads(), module: wasmKernelModule() } : { threads: 1 };
  console.log(JSON.stringify({ backend, ...wasm, ...record }));
}

/**
 * Benchmarks (a tool, not a test): `convlab --version` against `node -e 1`; training images/s and per-kernel time
 * for both models; inference images/s; the step with and without the fused conv → relu → pool blocks, and with the
 * 3×3 convolutions in Winograd or in im2col; the cost of a dispatch to the kernel threads; peak RSS and WebAssembly
 * memory; where ONNX Runtime is installed (onnxruntime-node, onnxruntime-web: devDependencies), the exported model's
 * inference beside convlab's; and, where PyTorch is installed, epoch time against the tutorial's PyTorch script, run
 * alternately.
 */
export async function benchCommand(flags: BenchFlags): Promise<void> {
  const cli = fileURLToPath(new URL("../main.js", import.meta.url));
  emit({ bench: "startup", ...startupComparison(cli) });
  const [train, test] = await Promise.all([loadSplit(flags, true, true), loadSplit(flags, false, true)]);
  // The peak of training alone, before ONNX Runtime's own memory joins the process: the figure to hold ≤ 250 MB.
  let trainingPeakRssMB = 0;
  for (const arch of ARCHS) {
    const { kernelMsPerStep, ...throughput } = trainThroughput(train, arch, flags.steps);
    if (arch === ARCHS[0]) trainingPeakRssMB = peakRssMB();
    emit({ bench: "train", arch, batchSize: 64, steps: flags.steps, ...throughput });
    emit({ bench: "kernels", arch, msPerStep: kernelMsPerStep });
    emit({ bench: "inference", arch, batchSize: 64, imagesPerSec: inferenceThroughput(test, arch, 64) });
    // The same model exported to ONNX, in ONNX Runtime native and wasm, on the same images (where installed).
    if (flags.onnx) for (const record of await onnxInferenceComparison(test, arch)) emit(record);
    if (getBackend() === "wasm") {
      emit({ bench: "fusion", arch, ...fusionComparison(train, arch) });
      emit({ bench: "winograd", arch, ...winogradComparison(train, arch) });
    }
  }
  const dispatch = dispatchCost();
  if (dispatch !== null) emit({ bench: "dispatch", ...dispatch });
  emit({
    bench: "memory",
    peakRssMB: peakRssMB(),
    trainingPeakRssMB,
    wasmMemoryMB: Math.round(wasmMemoryBytes() / 2 ** 20),
  });
  if (!flags.torch) return;
  if (!torchAvailable()) {
    emit({ bench: "torch", skipped: "python3-torch and python3-torchvision are not installed (apt-get install them)" });
    return;
  }
  const script = flags.torchScript ?? TORCH_SCRIPT;
  if (!existsSync(script)) {
    emit({ bench: "torch", skipped: `no reference script at ${script} (pass --torch-script)` });
    return;
  }
  emit({
    bench: "torch",
    script,
    ...compareWithTorch(script, cli, flags.rounds),
  });
}
