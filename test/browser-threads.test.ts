import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import ts from "typescript";
import { chromiumMissing, launchChromium } from "./helpers/chromium.js";

// The browser backend, run for real: a cross-origin isolated page on 127.0.0.1 loads the library's sources
// (transpiled one file at a time, as a dev server would), starts the wasm kernels on 2 Web Workers, and checks a
// fused convolution block against the ref backend, forward and backward. Chromium has relaxed SIMD by default, so
// the kernels it runs are the relaxed-simd build (FMA in the GEMM).

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

const PAGE = `<!doctype html><script type="module">
import { useBrowserBackend } from "/src/browser/backend.js";
import { wasmKernelModule, wasmThreads } from "/src/kernels/wasm/index.js";
import { setBackend } from "/src/kernels/registry.js";
import { conv2dReluMaxPool2d } from "/src/ops/conv-relu-pool.js";
import { Tensor } from "/src/tensor/tensor.js";
import { tidy } from "/src/tensor/scope.js";
import { Generator } from "/src/tensor/random.js";
const notices = [];
const backend = await useBrowserBackend({ threads: 2, notice: (line) => notices.push(line) });
const g = new Generator(3);
const random = (shape) => new Tensor(
  Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => g.uniform(-1, 1)), shape, true);
// 3 input channels go through im2col + GEMM, 4 through Winograd (14×14 with padding 1: 7 tiles a row).
const blocks = [3, 4].map((c) => [random([6, c, 14, 14]), random([8, c, 3, 3]), random([8])]);
const run = (name) => {
  setBackend(name);
  return blocks.flatMap(([x, w, b]) => {
    for (const t of [x, w, b]) t.grad = null;
    const y = tidy(() => {
      const y = conv2dReluMaxPool2d(x, w, b, { padding: 1 }, 2);
      y.backward(new Tensor(new Float32Array(y.numel()).fill(1), y.shape));
      return y;
    });
    return [y.data, x.grad.data, w.grad.data, b.grad.data].map((a) => Array.from(a));
  });
};
const wasm = run("wasm");
const ref = run("ref");
let worst = 0;
// |wasm − ref| / (atol + rtol·|ref|) with atol = rtol = 1e-4: float32 sums in another order than ref's.
wasm.forEach((a, i) => a.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - ref[i][j]) / (1e-4 + 1e-4 * Math.abs(ref[i][j]))); }));
window.result = { backend, module: wasmKernelModule(), threads: wasmThreads(), isolated: crossOriginIsolated, notices, worst };
</script>`;

/** Serves the page with the headers that make it cross-origin isolated, and each /src/…/x.js from src/…/x.ts. */
function serve(): Server {
  return createServer((request, response) => {
    const headers = {
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    };
    const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    if (path === "/") {
      response.writeHead(200, { ...headers, "Content-Type": "text/html" }).end(PAGE);
      return;
    }
    if (path === "/favicon.ico") {
      response.writeHead(204, headers).end();
      return;
    }
    const source = SRC + path.replace(/^\/src\//, "").replace(/\.js$/, ".ts");
    if (!path.startsWith("/src/") || path.includes("..") || !existsSync(source)) {
      response.writeHead(404, headers).end();
      return;
    }
    const { outputText } = ts.transpileModule(readFileSync(source, "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    response.writeHead(200, { ...headers, "Content-Type": "text/javascript" }).end(outputText);
  });
}

let server: Server;
before(async () => {
  server = serve();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});
after(() => server.close());

test(
  "in a cross-origin isolated page the relaxed-simd kernels run on 2 Web Workers and agree with ref",
  { skip: chromiumMissing, timeout: 60_000 },
  async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      // A page error leaves no result: the wait ends by timeout, and the errors say why.
      await page.waitForFunction(() => "result" in window, null, { timeout: 30_000 }).catch(() => {});
      assert.deepEqual(errors, []);
      const result = await page.evaluate(() => (window as unknown as { result: Record<string, unknown> }).result);
      assert.equal(result.isolated, true);
      assert.equal(result.backend, "wasm");
      assert.equal(result.module, "relaxed-simd", "WebAssembly.validate accepts relaxed SIMD in Chromium");
      assert.equal(result.threads, 2, "one Web Worker joined the page's thread");
      assert.deepEqual(result.notices, []);
      assert.ok((result.worst as number) <= 1, `worst difference ${result.worst} of the tolerance`);
    } finally {
      await browser.close();
    }
  },
);
