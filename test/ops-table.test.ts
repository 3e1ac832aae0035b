/**
 * src/ops/table.ts is the one list of ops that the gradient check, the PyTorch fixtures and the cross-backend suite
 * iterate over. This checks the list itself: every function src/ops exports is an op in it or a helper named in
 * OP_HELPERS, so a new op cannot be added to src/ops without entering the table (and then each suite's cases).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { OPS, OP_HELPERS, OP_NAMES } from "../src/ops/table.js";
import { OP_CASES } from "./helpers/op-cases.js";

const OPS_DIR = new URL("../src/ops/", import.meta.url);

test("every function that src/ops exports is an op of the table or a named helper", async () => {
  const known = new Set<unknown>([...OP_NAMES.map((name) => OPS[name].fn), ...OP_HELPERS]);
  const files = readdirSync(OPS_DIR).filter((f) => f.endsWith(".ts") && f !== "table.ts");
  assert.ok(files.length >= 10, `${files.length} files in src/ops`);
  for (const file of files) {
    const module = (await import(new URL(file, OPS_DIR).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== "function") continue;
      assert.ok(
        known.has(value),
        `src/ops/${file} exports ${name}, which is not in OPS (or OP_HELPERS) of src/ops/table.ts`,
      );
    }
  }
});

test("the shared cases cover exactly the ops of the table", () => {
  assert.deepEqual(Object.keys(OP_CASES).sort(), [...OP_NAMES].sort());
  for (const name of OP_NAMES) assert.ok(OP_CASES[name].length > 0, `${name} has no case`);
});
