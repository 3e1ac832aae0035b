/**
 * The short fuzz pass of `npm test`: every parser gets about 200 mutated inputs (at most ~2.5 s each, so the file
 * takes under 20 s on 2 cores), from a fixed seed so a failure reproduces. The invariant of issue 12: every input
 * gives a value or a ConvlabError, each within 2 s. `npm run fuzz` runs the same targets for minutes
 * (scripts/fuzz.ts); inputs that once failed live in test/fixtures/fuzz/ and are replayed by test/limits.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TARGETS, fuzzFor } from "./helpers/fuzz.js";

/** Inputs per target, and the time allowed per target, in the short pass. */
const RUNS = 200;
const MS_PER_TARGET = 2500;
/** A fixed seed: the short pass tries the same inputs each time, so what fails once fails again. */
const SEED = 12;

for (const target of TARGETS) {
  test(`fuzz ${target.name}: every input gives a value or a ConvlabError within 2 s`, () => {
    const stats = fuzzFor(target, { ms: MS_PER_TARGET, maxRuns: RUNS, seed: SEED });
    const failures = stats.failures.map((f) => `${f.problem}\n    from ${JSON.stringify(f.description).slice(0, 300)}`);
    assert.deepEqual(failures.slice(0, 5), [], `${stats.failures.length} of ${stats.tried} inputs failed`);
    assert.ok(stats.tried >= 20, `only ${stats.tried} inputs in ${MS_PER_TARGET} ms`);
  });
}
