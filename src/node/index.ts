/** The Node-only part of convlab: file system, downloads, kernel threads. The browser-safe library is the root. */
export { useBackend, BACKEND_ENV, THREADS_ENV } from "./backend.js";
export { writeFileAtomic, FileWriteError } from "./atomic.js";
export { FolderStorage, ensureRunFolder, RunFolderError } from "./run-storage.js";
export {
  lockRunFolder,
  RunLockedError,
  LOCK_FILE,
  type LockOwner,
  type LockOptions,
  type RunLock,
} from "./run-lock.js";
export { MNIST, type MnistOptions } from "./mnist.js";
export { processTrainer, sweepJobs } from "./sweep-trainer.js";
export { loadMnistSplit, MNIST_MIRRORS, MNIST_MD5, MIRRORS_ENV, type MnistFilesOptions } from "./mnist-files.js";
export { loadSafetensorsFile, saveSafetensorsFile } from "./safetensors-file.js";
export { loadOnnxFile, saveOnnxFile, isOnnxFile } from "./onnx-file.js";
export {
  readImageFile,
  decodeImage,
  detectImageFormat,
  ImageFileError,
  MAX_IMAGE_PIXELS,
  MAX_IMAGE_PIXELS_ENV,
  type DecodeImageOptions,
  type ImageErrorCode,
  type DecodedImage,
  type ImageFormat,
} from "./image-file.js";
export { applyModelLimitsFromEnv, modelLimitsFromEnv } from "./limits.js";
// Loading render.ts registers resvg (Figure.png) and atomic writes (Figure.save) for convlab/plot's figures.
export { svgToPng, writeChart } from "./render.js";
