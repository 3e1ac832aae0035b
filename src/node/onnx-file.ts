import { closeSync, openSync, readSync } from "node:fs";
import { extname } from "node:path";
import { OnnxError, looksLikeOnnx } from "../io/onnx-proto.js";
import { writeFileAtomic } from "./atomic.js";
import { readFileOr } from "./read-file.js";

/**
 * Reads a `.onnx` file's bytes; a missing file or a folder is an {@link OnnxError} "FileNotFound" naming `path`,
 * with what to pass instead. Parse the bytes with `importOnnx` or `decodeOnnxModel`.
 */
export function loadOnnxFile(path: string): Uint8Array {
  return readFileOr(
    path,
    (problem) =>
      new OnnxError(
        "FileNotFound",
        path,
        problem === "missing"
          ? `no such file: ${path}; export one with \`convlab export --weights model.safetensors\` (or ` +
              `torch.onnx.export), or pass the path of a .onnx file`
          : `${path} is a directory, expected a .onnx file; pass the path of a .onnx file inside it`,
      ),
  );
}

/** Writes a `.onnx` file atomically (creating missing folders), so a reader never sees half a model. */
export function saveOnnxFile(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, bytes);
}

/**
 * Whether the weights file at `path` is ONNX: by its extension (`.onnx`, or `.safetensors` for not), else by its
 * first bytes (see looksLikeOnnx). A file that cannot be read is not ONNX here; its loader then says why.
 */
export function isOnnxFile(path: string): boolean {
  const ext = extname(path).toLowerCase();
  if (ext === ".onnx") return true;
  if (ext === ".safetensors") return false;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = new Uint8Array(16);
    return looksLikeOnnx(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
