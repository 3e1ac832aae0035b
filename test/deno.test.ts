import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO, show } from "./helpers/cli.js";
import { assertClose } from "./helpers/close.js";
import {
  denoMissing,
  executeNotebook,
  formatErrors,
  installPackedConvlab,
  notebookOutputs,
  notebooksMissing,
  run,
  runDeno,
} from "./helpers/jupyter.js";

// convlab as a Deno user gets it: the packed tarball installed with npm in a fresh project, imported by its bare
// names ("convlab", "convlab/node") from a Deno script and from cells on Deno's Jupyter kernel. Deno 2 resolves them
// from the project's node_modules because a package.json is there; no deno.json is needed.

/** The tutorial's "7" and its horizontal-edge kernel. */
const I = [
  [1, 1, 1, 0, 0],
  [0, 0, 1, 0, 0],
  [0, 0, 1, 1, 0],
  [0, 0, 0, 1, 0],
  [0, 0, 0, 1, 1],
];
const K = [
  [1, 1, 1],
  [0, 0, 0],
  [-1, -1, -1],
];
/**
 * S(i,j) = ΣₘΣₙ I(i+m, j+n)·K(m,n), by hand: K adds the three pixels of row i and subtracts those of row i+2 (both
 * over columns j…j+2). The window sums per row are r0 = [3,2,1], r1 = [1,1,1], r2 = [1,2,2], r3 = [0,1,1],
 * r4 = [0,1,2], so S = [r0−r2, r1−r3, r2−r4].
 */
const S = [
  [2, 0, -1],
  [1, 0, 0],
  [1, 1, 0],
];
/** A batch of 8 images, image b being (b+1)·I, so that the 2 threads each take some of the 8 jobs. */
const BATCH = 8;
const expected = Array.from({ length: BATCH }, (_, b) => S.flat().map((v) => v * (b + 1))).flat();
/** Integer sums in float32 are exact; the tolerance only keeps the comparison honest about floats. */
const TOLERANCE = { atol: 1e-6, rtol: 0 };

const SETUP = { timeout: 400_000 };

test("the packed package's CLI runs (dist/bench, which `convlab bench` imports, is packed)", SETUP, async () => {
  const project = await installPackedConvlab();
  const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
  const result = await run(join(project, "node_modules", ".bin", "convlab"), ["--version"], { cwd: project });
  assert.equal(result.code, 0, show(result));
  assert.equal(result.stdout.trim(), version);
});

test(
  "convlab under Deno: the wasm backend on 2 worker_threads computes the tutorial's convolution",
  { ...SETUP, skip: denoMissing },
  async (t) => {
    const project = await installPackedConvlab();
    // import.meta.resolve finds wasmThreads, which the package does not export, in the very module instance that
    // useBackend set up (a script may use import.meta; a notebook cell may not).
    writeFileSync(
      join(project, "conv.ts"),
      `import { conv2d, tensor } from "convlab";
import { useBackend } from "convlab/node";
const notices: string[] = [];
const backend = await useBackend(undefined, (line) => notices.push(line));
const { wasmThreads } = await import(new URL("../kernels/wasm/index.js", import.meta.resolve("convlab/node")).href);
const I = ${JSON.stringify(I)};
const x = tensor(Array.from({ length: ${BATCH} }, (_, b) => [I.map((row) => row.map((v) => v * (b + 1)))]));
const y = conv2d(x, tensor([[${JSON.stringify(K)}]]));
console.log(JSON.stringify({ backend, threads: wasmThreads(), notices, shape: y.shape, y: Array.from(y.data) }));
`,
    );
    const started = performance.now();
    // -A, as Deno scripts that use npm packages usually run: useBackend reads $CONVLAB_BACKEND and $CONVLAB_THREADS
    // (--allow-env), and convlab/node loads resvg's Node-API addon for its PNGs (--allow-read, --allow-sys, --allow-ffi).
    const result = await runDeno(["run", "--no-prompt", "-A", "conv.ts"], {
      cwd: project,
      env: { CONVLAB_BACKEND: "wasm", CONVLAB_THREADS: "2" },
    });
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`deno startup + import + 2 threads + conv2d: ${seconds.toFixed(2)} s`);
    assert.equal(result.code, 0, show(result));
    const out = JSON.parse(result.stdout) as {
      backend: string;
      threads: number;
      notices: string[];
      shape: number[];
      y: number[];
    };
    assert.deepEqual(out.notices, []);
    assert.equal(out.backend, "wasm");
    assert.equal(out.threads, 2);
    assert.deepEqual(out.shape, [BATCH, 1, 3, 3]);
    assertClose(out.y, expected, TOLERANCE, "conv2d of the 7 under Deno");
  },
);

/** A notebook as the homework's will be: import convlab, compute, show a picture through Jupyter.display. */
function notebook(): object {
  const code = (id: string, source: string) => ({
    cell_type: "code",
    id,
    metadata: {},
    execution_count: null,
    outputs: [],
    source: source.split(/(?<=\n)/),
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: [
      { cell_type: "markdown", id: "intro", metadata: {}, source: ["# convlab on Deno's kernel"] },
      code(
        "setup",
        `import { conv2d, tensor } from "convlab";
import { useBackend } from "convlab/node";
const backend = await useBackend();
// Cells are scripts (no import.meta): the kernel's working directory is the project's.
const { wasmThreads } = await import(\`file://\${Deno.cwd()}/node_modules/convlab/dist/src/kernels/wasm/index.js\`);
\`\${backend} on \${wasmThreads()} threads\``,
      ),
      code(
        "conv",
        `const I = ${JSON.stringify(I)};
const x = tensor(Array.from({ length: ${BATCH} }, (_, b) => [I.map((row) => row.map((v) => v * (b + 1)))]));
JSON.stringify(Array.from(conv2d(x, tensor([[${JSON.stringify(K)}]])).data))`,
      ),
      code(
        "picture",
        `({
  async [Symbol.for("Jupyter.display")]() {
    return { "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="30"><rect id="s00" width="10" height="10"/></svg>' };
  },
})`,
      ),
    ],
  };
}

test(
  "a notebook runs on Deno's Jupyter kernel: convlab imports, 2 threads, the convolution, an SVG",
  { ...SETUP, skip: notebooksMissing() },
  async (t) => {
    const project = await installPackedConvlab();
    const path = join(project, "check.ipynb");
    writeFileSync(path, JSON.stringify(notebook(), null, 1));
    const started = performance.now();
    const executed = await executeNotebook(path, {
      cwd: project,
      timeoutSeconds: 60,
      env: { CONVLAB_BACKEND: "wasm", CONVLAB_THREADS: "2" },
    });
    t.diagnostic(
      `notebook execution (kernel start, 3 cells, shutdown): ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
    const { byMime, errors } = notebookOutputs(executed);
    assert.deepEqual(errors, [], formatErrors(errors));
    // Deno shows a string result as its inspection: the text between double quotes.
    const plain = byMime.get("text/plain") ?? [];
    const text = (cell: number) => JSON.parse(plain.find((o) => o.cell === cell)?.text ?? "null") as string | null;
    assert.equal(text(1), "wasm on 2 threads", JSON.stringify(plain));
    assertClose(JSON.parse(text(2) ?? "[]") as number[], expected, TOLERANCE, "conv2d of the 7 in a notebook cell");
    const svg = byMime.get("image/svg+xml") ?? [];
    assert.equal(svg.length, 1, JSON.stringify(executed.cells[3]));
    assert.equal(svg[0].cell, 3);
    assert.match(svg[0].text, /^<svg [^>]*><rect id="s00"/);
  },
);
