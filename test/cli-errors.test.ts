import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CliError } from "../cli/messages.js";
import { ConvlabError } from "../src/errors.js";
import { capThreads } from "../src/node/backend.js";
import { convlab, convlabWith, show, succeeded } from "./helpers/cli.js";
import { writeTinyMnist } from "./helpers/idx.js";

/**
 * How the CLI says an error (one line, `convlab: error: <message>`; with --debug the code and the stacks too), and
 * the threads limit (--threads and CONVLAB_THREADS past the cores are capped, with a notice).
 */

const TMP = mkdtempSync(join(tmpdir(), "convlab-errors-"));
after(() => rmSync(TMP, { recursive: true, force: true }));
const DATA = join(TMP, "data");
writeTinyMnist(DATA, { train: 128, test: 32, seed: 8 });
const FILE = join(TMP, "a-file");
writeFileSync(FILE, "x");

test("CliError is a ConvlabError whose code is its key's, or the library error's it says", () => {
  const error = new CliError("alreadyTrained", ["runs/a"]);
  assert.ok(error instanceof ConvlabError);
  assert.equal(error.code, "E_ALREADY_TRAINED");
  assert.equal(error.key, "alreadyTrained");
  assert.equal(new CliError("outNotFolder", ["x"], { code: "E_OUT_NOT_FOLDER" }).code, "E_OUT_NOT_FOLDER");
});

test("an error is one line without --debug; with --debug (before or after the command) its code and stacks follow", async () => {
  const train = ["train", "--data-dir", DATA, "--out", FILE, "--lang", "en"];
  const [plain, debug, before, library] = await Promise.all([
    convlab(...train),
    convlab(...train, "--debug"),
    convlab("--debug", ...train),
    convlab("eval", "--weights", join(TMP, "missing.safetensors"), "--debug", "--lang", "en"),
  ]);
  const message = `--out ${FILE} is a file, or lies under one; choose a folder for the run (it is created if missing)`;
  assert.equal(plain.code, 1, show(plain));
  assert.equal(plain.stderr, `convlab: error: ${message}\n`);
  for (const run of [debug, before]) {
    assert.equal(run.code, 1, show(run));
    const lines = run.stderr.split("\n");
    assert.equal(lines[0], `convlab: error [E_OUT_NOT_FOLDER]: ${message}`);
    assert.equal(lines[1], `CliError: ${message}`);
    assert.match(lines[2], /^ {4}at /);
    assert.ok(run.stderr.includes("\nCaused by: RunFolderError: "), run.stderr);
  }
  // The library's own errors: the code when it is a ConvlabError, the stack all the same.
  assert.equal(library.code, 1, show(library));
  assert.match(
    library.stderr,
    /^convlab: error(?: \[E_\w+\])?: no such file: .*missing\.safetensors.*\n\w*Error: .*\n {4}at /,
  );
});

test("capThreads: more threads than cores are capped at the cores, with one notice", () => {
  const notices: string[] = [];
  assert.equal(
    capThreads(999, (line) => notices.push(line), 4),
    4,
  );
  assert.equal(
    capThreads(4, (line) => notices.push(line), 4),
    4,
  );
  assert.equal(
    capThreads(1, (line) => notices.push(line), 1),
    1,
  );
  assert.deepEqual(notices, [
    "convlab: 999 threads asked for (--threads or CONVLAB_THREADS), but this machine has 4 cores; using 4",
  ]);
});

test(
  "train --threads 999 (or CONVLAB_THREADS=999) trains on one thread per core, saying so",
  { timeout: 60_000 },
  async () => {
    const cores = availableParallelism();
    const args = (out: string, ...more: string[]) => [
      "train",
      ...["--data-dir", DATA, "--out", join(TMP, out), "--epochs", "1", "--batch-size", "32", "--no-progress"],
      ...["--lang", "en", ...more],
    ];
    const flag = succeeded(await convlab(...args("flag", "--threads", "999")));
    const env = succeeded(await convlabWith({ CONVLAB_THREADS: "999" }, ...args("env")));
    for (const [run, out] of [
      [flag, "flag"],
      [env, "env"],
    ] as const) {
      assert.ok(
        run.stderr.includes(
          `convlab: 999 threads asked for (--threads or CONVLAB_THREADS), but this machine has ${cores} ` +
            `core${cores === 1 ? "" : "s"}; using ${cores}\n`,
        ),
        run.stderr,
      );
      const metrics = JSON.parse(readFileSync(join(TMP, out, "metrics.json"), "utf8")) as {
        config: { threads: number };
        peakRssMB: number;
      };
      assert.equal(metrics.config.threads, cores);
      assert.ok(metrics.peakRssMB < 1000, `peak RSS ${metrics.peakRssMB} MB`);
    }
  },
);
