// The package as users install it, checked in a scratch folder: `npm pack`, then `npm install ./convlab-*.tgz` in a
// fresh project, and there `npx convlab --version`, a short `convlab train` on 2,000 images, `convlab eval` of its
// weights, and a TypeScript consumer that imports every entry point, type-checks under `strict` and runs.
// .ci/run calls it before the tests; run it yourself after `npm run build` with `node scripts/check-package.mjs`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "convlab-package-"));
const project = join(scratch, "project");

/** Runs a command, echoing it; its output is shown only when it fails (then the check fails). */
function run(command, args, cwd) {
  console.log(`$ ${command} ${args.join(" ")}`);
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    process.stderr.write(`${error.stdout ?? ""}${error.stderr ?? ""}`);
    throw new Error(`check-package: \`${command} ${args.join(" ")}\` failed in ${cwd}`, { cause: error });
  }
}

const CONSUMER = `import { firstExamples, Conv2d, Linear, Module, Tensor, MemoryStorage, presetChoice, trainRun, type RunMetrics } from "convlab";
import { MNIST, useBackend } from "convlab/node";
import { fetchMnist, useBrowserBackend, IdbStorage } from "convlab/browser";
import { lossCurve, type Figure } from "convlab/plot";
import { homeworkNotebook } from "convlab/notebook";

// Every entry point resolves with its types; the browser's are only type-checked here.
const browserApi: [typeof fetchMnist, typeof useBrowserBackend, typeof IdbStorage] = [fetchMnist, useBrowserBackend, IdbStorage];
void browserApi;
void [Conv2d, Linear, Module, Tensor];

await useBackend("wasm");
const [train, test] = await Promise.all([MNIST({ train: true }), MNIST({ train: false })]);
const { metrics }: { metrics: RunMetrics } = await trainRun({
  choice: presetChoice("seed"),
  config: { arch: "seed", epochs: 1, lr: 0.01, momentum: 0.9, batchSize: 64, seed: 0, backend: "wasm", threads: 1, optimizer: "SGD", trainLimit: 1024 },
  data: { train: firstExamples(train, 1024), test },
  storage: new MemoryStorage(),
});
const figure: Figure = lossCurve(metrics.epochs.map((e) => e.loss));
const svg = await figure.svg();
const notebook = homeworkNotebook({ lang: "en", epochs: 1, homeworkEpochs: 1, trainLimit: 64, importFrom: "convlab" });
console.log(JSON.stringify({ accuracy: metrics.test.accuracy, svg: svg.length > 1000, cells: notebook.cells.length }));
process.exit(0);
`;

try {
  // What `npm ci` (or `npm run build`) built is what is packed: prepare's build logs would spoil --json.
  if (!existsSync(join(repo, "dist", "lab", "main.js"))) throw new Error("check-package: build first (npm run build)");
  const packed = JSON.parse(run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", scratch], repo));
  const tarball = join(scratch, packed[0].filename);
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "check", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", tarball], project);
  console.log(run("npx", ["convlab", "--version"], project).trim());
  run("npx", ["convlab", "train", "--epochs", "1", "--train-limit", "2000", "--out", "run", "--no-progress"], project);
  if (!existsSync(join(project, "run", "model.safetensors"))) throw new Error("check-package: train wrote no model");
  console.log(run("npx", ["convlab", "eval", "--weights", "run/model.safetensors"], project).split("\n")[0]);

  writeFileSync(join(project, "consumer.ts"), CONSUMER);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022", "DOM"],
        types: ["node"],
        typeRoots: [join(repo, "node_modules", "@types")],
        skipLibCheck: true,
        outDir: "out",
      },
      files: ["consumer.ts"],
    }),
  );
  run(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", "."], project);
  console.log(run(process.execPath, ["out/consumer.js"], project).trim());
  console.log("check-package: the packed package installs, runs and type-checks");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
