import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, run, show } from "./cli.js";

/**
 * convlab as users install it: the packed tarball in a fresh npm project. The Deno, notebook and lab tests run
 * what a user's `npm install convlab` gives, not this checkout.
 */

let scratchRoot: string | undefined;

/** This process's scratch folder (created on first use, removed at exit, even after a failed test). */
export function scratch(...parts: string[]): string {
  if (scratchRoot === undefined) {
    const root = mkdtempSync(join(tmpdir(), "convlab-packed-"));
    scratchRoot = root;
    process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  }
  const dir = join(scratchRoot, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function mustRun(what: string, command: string, args: string[], options: Parameters<typeof run>[2]) {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${what} failed: ${command} ${args.join(" ")}\n${show(result)}`);
  return result;
}

let installed: Promise<string> | undefined;

/**
 * Builds convlab from this working tree as `npm pack` would (tsc into a scratch copy, then `npm pack` there with
 * the repository's package.json, so the tree's own dist/ is neither used nor touched), then installs the tarball
 * with `npm install` in a fresh project folder, as a user's `npm install convlab` does. Resolves to that folder,
 * whose node_modules holds convlab and its dependencies (from npm's cache, else the registry). Done once per test
 * process; a notebook test in the same file reuses it.
 */
export function installPackedConvlab(): Promise<string> {
  installed ??= (async () => {
    const pkg = scratch("package");
    await mustRun(
      "building convlab",
      process.execPath,
      [
        join(REPO, "node_modules", "typescript", "bin", "tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        join(pkg, "dist"),
      ],
      { cwd: REPO, timeoutMs: 180_000 },
    );
    await mustRun("finishing dist", process.execPath, ["scripts/finish-dist.mjs", join(pkg, "dist")], { cwd: REPO });
    await mustRun(
      "building the lab page",
      process.execPath,
      ["scripts/build-lab.mjs", "--out", join(pkg, "dist", "lab")],
      {
        cwd: REPO,
      },
    );
    for (const file of ["package.json", "README.md"]) copyFileSync(join(REPO, file), join(pkg, file));
    const tarballs = scratch("tarball");
    const packed = await mustRun(
      "npm pack",
      "npm",
      ["pack", "--ignore-scripts", "--json", "--pack-destination", tarballs],
      { cwd: pkg },
    );
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const project = scratch("project");
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "convlab-notebook-check", private: true, type: "module" }, null, 2),
    );
    await mustRun(
      "npm install of the tarball",
      "npm",
      ["install", "--no-audit", "--no-fund", join(tarballs, filename)],
      {
        cwd: project,
        timeoutMs: 300_000,
      },
    );
    return project;
  })();
  return installed;
}
