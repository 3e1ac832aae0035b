/**
 * The long fuzz pass: `npm run fuzz` (10 minutes over all targets), or
 *
 *   node --import tsx scripts/fuzz.ts [--minutes 10] [--target safetensors] [--seed 1] [--out fuzz-findings]
 *
 * The time is split evenly between the targets of test/helpers/fuzz.ts. Prints, per target, the inputs tried, how
 * many gave a value and how many a ConvlabError (by code), and the failures: any other exception, or a call over 2 s.
 * Each failing input is written to the --out folder (default fuzz-findings/, one file per kind of failure), ready to
 * be copied into test/fixtures/fuzz/ with a test in test/limits.test.ts once it is fixed. Exits 1 if anything failed.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TARGETS, fuzzFor, type FuzzStats } from "../test/helpers/fuzz.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    target: { type: "string" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
    out: { type: "string", default: "fuzz-findings" },
  },
});
const minutes = Number(values.minutes);
const seed = Number(values.seed);
const targets = TARGETS.filter((t) => values.target === undefined || t.name.startsWith(values.target));
if (!(minutes > 0) || targets.length === 0) {
  console.error(`usage: fuzz.ts [--minutes N] [--target ${TARGETS.map((t) => t.name.split(" ")[0]).join("|")}]`);
  process.exit(2);
}

const msPerTarget = (minutes * 60_000) / targets.length;
console.log(
  `Fuzzing ${targets.length} targets for ${minutes} min (${(msPerTarget / 1000).toFixed(0)} s each), seed ${seed}`,
);
const rows: [string, FuzzStats][] = [];
for (const target of targets) {
  const stats = fuzzFor(target, { ms: msPerTarget, seed });
  rows.push([target.name, stats]);
  const kinds = new Map<string, FuzzStats["failures"][number]>();
  for (const failure of stats.failures) {
    const kind = failure.problem.replace(/\d+/g, "N");
    if (!kinds.has(kind)) kinds.set(kind, failure);
  }
  console.log(
    `${target.name}: ${stats.tried} tried, ${stats.values} values, ${stats.tried - stats.values - stats.failures.length} ` +
      `ConvlabErrors, ${stats.failures.length} failures (${kinds.size} kinds), slowest ${stats.slowestMs.toFixed(0)} ms`,
  );
  console.log(
    `  codes: ${[...stats.errors]
      .sort((a, b) => b[1] - a[1])
      .map(([code, n]) => `${code} ${n}`)
      .join(", ")}`,
  );
  for (const [kind, failure] of kinds) {
    const input =
      failure.input instanceof Uint8Array ? failure.input : new TextEncoder().encode(safeJson(failure.input));
    const name = `${target.name.split(" ")[0]}-${createHash("sha1").update(kind).digest("hex").slice(0, 8)}.bin`;
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, name), input);
    writeFileSync(join(values.out, `${name}.txt`), `${failure.problem}\n${JSON.stringify(failure.description)}\n`);
    console.log(`  FAILURE ${kind}\n    input: ${join(values.out, name)}`);
  }
}

console.log("\n| target | tried | values | ConvlabErrors | failures |\n|---|---|---|---|---|");
for (const [name, s] of rows) {
  console.log(
    `| ${name} | ${s.tried} | ${s.values} | ${s.tried - s.values - s.failures.length} | ${s.failures.length} |`,
  );
}
process.exit(rows.some(([, s]) => s.failures.length > 0) ? 1 : 0);

/** JSON of a value that may nest too deep for JSON.stringify. */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "undefined";
  } catch {
    return "(too deep to write)";
  }
}
