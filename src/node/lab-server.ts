import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import sirv from "sirv";
import { embeddedDir } from "./mnist-files.js";

/** The IDX files the page fetches as `mnist/<name>.gz`. */
export const LAB_MNIST_FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
] as const;

/**
 * The headers that make the page cross-origin isolated, the only kind of page where SharedArrayBuffer exists and so
 * where the kernels run on several Web Workers; CORP lets those same-origin files load under COEP.
 */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
} as const;

export interface LabServerOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the lab is for the person at this machine. */
  host?: string;
  /** The built page; default the package's dist/lab. */
  root?: string;
}

export interface LabServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** The built page: dist/lab beside dist/src (installed package or built checkout). */
export function labRoot(): string {
  // This module is dist/src/node/lab-server.js when built, src/node/lab-server.ts under tsx (where ../../lab/ is
  // the page's sources, which have no main.js).
  for (const relative of ["../../lab/", "../../dist/lab/"]) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(join(dir, "main.js"))) return dir;
  }
  throw new Error("the lab page is not built (no dist/lab/main.js): run `npm run build:lab` in convlab's folder");
}

const gzipAsync = promisify(gzip);

/**
 * The embedded MNIST, gzipped once per process on first request (about 11 MB in place of 55), so the page downloads
 * what a static host would serve. A copy built into the page's own mnist/ folder wins.
 */
function mnistFiles(root: string): (name: string) => Promise<Uint8Array | undefined> {
  const cache = new Map<string, Promise<Uint8Array>>();
  return async (name) => {
    if (!(LAB_MNIST_FILES as readonly string[]).includes(name)) return undefined;
    const built = join(root, "mnist", `${name}.gz`);
    if (existsSync(built)) return readFileSync(built);
    const dir = embeddedDir();
    if (dir === undefined || !existsSync(join(dir, name))) return undefined;
    if (!cache.has(name)) cache.set(name, gzipAsync(readFileSync(join(dir, name)), { level: 6 }));
    return cache.get(name);
  };
}

function isolate(response: ServerResponse): void {
  for (const [name, value] of Object.entries(ISOLATION_HEADERS)) response.setHeader(name, value);
}

/**
 * Serves the lab page from `root` with the {@link ISOLATION_HEADERS}, and the embedded MNIST under /mnist/. Resolves
 * once it listens, with the URL to open.
 */
export async function startLabServer(options: LabServerOptions = {}): Promise<LabServer> {
  const root = options.root ?? labRoot();
  const host = options.host ?? "127.0.0.1";
  const mnist = mnistFiles(root);
  const statics = sirv(root, {
    dev: true, // no caching between builds: a rebuilt page is served as it is now
    setHeaders: isolate,
  });
  const server = createServer((request, response) => {
    isolate(response);
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const match = /^\/mnist\/([\w-]+)\.gz$/.exec(path);
    if (match === null) {
      statics(request, response, () => {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      });
      return;
    }
    mnist(match[1]).then(
      (bytes) => {
        if (bytes === undefined) response.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
        else response.writeHead(200, { "Content-Type": "application/gzip", "Content-Length": bytes.length }).end(bytes);
      },
      (error: Error) => response.writeHead(500, { "Content-Type": "text/plain" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, host, resolve);
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}/`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
