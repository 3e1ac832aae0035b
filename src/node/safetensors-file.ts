import { readFileSync } from "node:fs";
import { SafetensorsError, decodeSafetensors, encodeSafetensors, type SafetensorsContent } from "../io/safetensors.js";
import type { Tensor } from "../tensor/tensor.js";
import { writeFileAtomic } from "./atomic.js";

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
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new SafetensorsError(
        "FileNotFound",
        path,
        path,
        `no such file: ${path}; train a model first with \`convlab train\`, or pass the path of a .safetensors file`,
      );
    }
    if (code === "EISDIR") {
      throw new SafetensorsError(
        "FileNotFound",
        path,
        path,
        `${path} is a directory, expected a .safetensors file; pass the path of a .safetensors file inside it`,
      );
    }
    throw error;
  }
  return decodeSafetensors(bytes, path);
}
