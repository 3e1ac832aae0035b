/** The Node-only part of convlab: file system, downloads. The browser-safe library is the package root. */
export { writeFileAtomic } from "./atomic.js";
export { MNIST, type MnistOptions } from "./mnist.js";
export { loadMnistSplit, MNIST_MIRRORS, MNIST_MD5, MIRRORS_ENV, type MnistFilesOptions } from "./mnist-files.js";
export { loadSafetensorsFile, saveSafetensorsFile } from "./safetensors-file.js";
export {
  readImageFile,
  decodeImage,
  detectImageFormat,
  ImageFileError,
  type DecodedImage,
  type ImageFormat,
} from "./image-file.js";
