import assert from "node:assert/strict";
import { test } from "node:test";
import { isConvlabError } from "../src/errors.js";
import { WASM_MODULE_ENV, wasmModuleFromEnv } from "../src/node/backend.js";
import { REPO, run } from "./helpers/cli.js";

// The wasm backend has two kernel builds, `simd` and `relaxed-simd` (FMA in the GEMM), and picks the relaxed one
// where WebAssembly.validate accepts it. Node 20 (V8 11.3) accepts it only with --experimental-wasm-relaxed-simd,
// which convlab/node sets itself unless $CONVLAB_WASM_MODULE asks for the plain build, so each case runs the probe in
// a child process with the V8 flags and environment it needs; test/browser-threads.test.ts checks that
// Chromium, which has relaxed SIMD by default, chooses it too.

const PROBE = "test/helpers/wasm-module-probe.ts";

async function probe(v8Flags: string[], module?: string) {
  const env = { ...process.env };
  delete env[WASM_MODULE_ENV];
  delete env.NODE_OPTIONS;
  if (module !== undefined) env[WASM_MODULE_ENV] = module;
  const { code, stdout, stderr } = await run(process.execPath, [...v8Flags, "--import", "tsx", PROBE], {
    cwd: REPO,
    env,
  });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as {
    backend: string;
    module: string;
    threads: number;
    notices: string[];
    worst: number;
    relaxedValid: boolean;
  };
}

const nodeMajor = Number(process.versions.node.split(".")[0]);

test("node --experimental-wasm-relaxed-simd runs the relaxed-simd kernels, on 2 threads, and they agree with ref", async () => {
  const result = await probe(["--experimental-wasm-relaxed-simd"]);
  assert.deepEqual(
    { backend: result.backend, module: result.module, threads: result.threads, notices: result.notices },
    { backend: "wasm", module: "relaxed-simd", threads: 2, notices: [] },
  );
  assert.ok(result.worst <= 1, `worst difference ${result.worst} of the tolerance (atol = rtol = 1e-4)`);
});

test(`${WASM_MODULE_ENV}=simd forces the plain kernels where relaxed SIMD is available`, async () => {
  const result = await probe(["--experimental-wasm-relaxed-simd"], "simd");
  assert.equal(result.module, "simd");
  assert.ok(result.worst <= 1, `worst difference ${result.worst} of the tolerance (atol = rtol = 1e-4)`);
});

test("node without the flag runs the relaxed-simd kernels too: convlab/node turns relaxed SIMD on itself", async () => {
  const result = await probe([]);
  assert.equal(result.module, "relaxed-simd");
  assert.ok(result.worst <= 1, `worst difference ${result.worst} of the tolerance (atol = rtol = 1e-4)`);
});

test(
  `${WASM_MODULE_ENV}=simd leaves Node's flags alone: without relaxed SIMD, the engine rejects the relaxed build`,
  // Node ≥ 22 (V8 ≥ 12.4) has relaxed SIMD by default, so there is no engine without it to try.
  { skip: nodeMajor >= 22 && "relaxed SIMD is on by default in Node ≥ 22" },
  async () => {
    const result = await probe([], "simd");
    assert.deepEqual([result.module, result.relaxedValid], ["simd", false]);
  },
);

test(`an unknown ${WASM_MODULE_ENV} is an error naming the variable`, () => {
  const saved = process.env[WASM_MODULE_ENV];
  process.env[WASM_MODULE_ENV] = "avx512";
  try {
    assert.throws(wasmModuleFromEnv, (error) => {
      assert.ok(isConvlabError(error));
      assert.equal(error.code, "E_WASM_MODULE_UNKNOWN");
      assert.match(error.message, new RegExp(`'avx512' \\(from ${WASM_MODULE_ENV}\\); use simd or relaxed-simd`));
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env[WASM_MODULE_ENV];
    else process.env[WASM_MODULE_ENV] = saved;
  }
});
