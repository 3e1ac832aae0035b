import { MNIST } from "../src/node/mnist.js";
import type { MnistDataset } from "../src/data/mnist.js";

/** Flags every command that reads MNIST shares. */
export interface DataFlags {
  dataDir: string;
  download: boolean;
  /** Requested backend; the one in use is `getBackend()` (wasm may fall back to ref). */
  backend?: string;
  threads?: number;
}

/** The MNIST split the commands use, found as torchvision would (see `MNIST`), with download notices on stderr. */
export function loadSplit(flags: DataFlags, train: boolean, quiet: boolean): Promise<MnistDataset> {
  return MNIST({
    root: flags.dataDir,
    train,
    download: flags.download,
    log: quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
}
