import { SafetensorsError, decodeSafetensors, encodeSafetensors, type SafetensorsContent } from "../io/safetensors.js";
import type { Tensor } from "../tensor/tensor.js";
import { writeFileAtomic } from "./atomic.js";
import { readFileOr } from "./read-file.js";

/**
 * Saves tensors to a `.safetensors` file that `safetensors.torch.load_file` reads, creating missing folders. The
 * write is atomic, so an interrupted save never leaves a truncated checkpoint in place of the previous one.
 */
export function saveSafetensorsFile(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Loads a `.safetensors` file, such as one from `safetensors.torch.save_file`. Errors are {@link SafetensorsError}s
 * that name `path`, including for a missing file.
 */
export function loadSafetensorsFile(path: string): SafetensorsContent {
  const bytes = readFileOr(
    path,
    (problem) =>
      new SafetensorsError(
        "FileNotFound",
        path,
        path,
        problem === "missing"
          ? `no such file: ${path}; train a model first with \`convlab train\`, or pass the path of a .safetensors file`
          : `${path} is a directory, expected a .safetensors file; pass the path of a .safetensors file inside it`,
      ),
  );
  return decodeSafetensors(bytes, path);
}
