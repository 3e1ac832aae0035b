import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import type { Page } from "playwright-core";
import sirv from "sirv";
import { chromiumMissing, launchChromium } from "./helpers/chromium.js";
import { REPO } from "./helpers/cli.js";
import { mustRun, installPackedConvlab, scratch } from "./helpers/packed.js";

/**
 * The lab page as a learner meets it, in headless Chromium:
 * - `npx convlab lab` from the packed package (cross-origin isolated: training on 2 threads);
 * - `npm run build:lab`'s static files on a plain static server (no COOP/COEP: 1 thread).
 * Each: the Theory's S(0, 2) = −1, 200 training steps with a falling loss (pause and stop included), a reload that
 * keeps the model, and a "7" drawn with the mouse on weights trained by `convlab train`. Screenshots of each part go
 * to test-results/lab/, named in the test's output.
 */

const SHOTS = join(REPO, "test-results", "lab");
let project: string;
let weights: string;

before(async () => {
  if (chromiumMissing) return;
  project = await installPackedConvlab();
  const out = scratch("lab-run");
  // The tutorial's model, one epoch, by the CLI users install.
  await mustRun(
    "convlab train",
    process.execPath,
    [join(project, "node_modules/convlab/dist/cli/main.js"), "train", "--epochs", "1", "--out", out, "--no-progress"],
    { cwd: project, timeoutMs: 300_000 },
  );
  weights = join(out, "model.safetensors");
});

/** Starts `convlab lab` from the installed package on a free port; resolves to its URL. */
async function startLab(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [join(project, "node_modules/convlab/dist/cli/main.js"), "lab", "--port", "0", "--no-open", "--lang", "en"],
    { cwd: project, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+\/\S*/.exec(output);
      if (match !== null) resolve(match[0]);
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
    child.on("exit", (code) => reject(new Error(`convlab lab exited (${code}) before it served:\n${output}`)));
  });
  return { url, child };
}

/** The same page as a static host serves it: files only, none of the headers that allow threads. */
async function startStatic(root: string): Promise<{ url: string; server: Server }> {
  const files = sirv(root, { dev: true });
  const server = createServer((request, response) =>
    files(request, response, () => {
      response.writeHead(404).end();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/?lang=en`, server };
}

const text = (page: Page, testid: string) => page.locator(`[data-testid=${testid}]`).first().innerText();
const number = async (page: Page, testid: string) => Number.parseFloat(await text(page, testid));

async function shot(t: TestContext, page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot: ${path}`);
}

/** A "7" in two mouse strokes: the bar, then the diagonal down to the left. */
async function drawSeven(page: Page): Promise<void> {
  const box = (await page.locator("[data-testid=draw-canvas]").boundingBox())!;
  const at = (x: number, y: number) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  await page.mouse.move(...at(60, 50));
  await page.mouse.down();
  await page.mouse.move(...at(220, 50), { steps: 15 });
  await page.mouse.up();
  await page.mouse.move(...at(220, 50));
  await page.mouse.down();
  await page.mouse.move(...at(110, 240), { steps: 15 });
  await page.mouse.up();
}

/** Everything the test asks of one way of serving the page; `threads` is what training must run on. */
async function drivePage(t: TestContext, url: string, name: string, threads: number): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    await page.goto(url);
    await page.waitForSelector("[data-testid=nav-theory]");
    const load = await page.evaluate(() => {
      const [navigation] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
      const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
      const bytes = [navigation, ...resources].reduce((sum, entry) => sum + entry.transferSize, 0);
      return { ms: navigation.loadEventEnd - navigation.startTime, bytes, isolated: crossOriginIsolated };
    });
    t.diagnostic(`${name}: page loaded in ${load.ms.toFixed(0)} ms, ${(load.bytes / 1024).toFixed(0)} KiB transferred`);
    assert.equal(load.isolated, threads > 1, "cross-origin isolated exactly where threads are possible");

    // Theory: the tutorial's "7" and edge kernel give S(0, 2) = −1.
    await page.click("[data-testid=nav-theory]");
    const s02 = page.locator('[data-testid=theory-output] [data-i="0"][data-j="2"]');
    assert.equal(Number((await s02.innerText()).replace("−", "-")), -1);
    await shot(t, page, `${name}-theory`);

    // Train: 200 steps of the tutorial's run, paused once, then stopped (the model is tested as it is).
    await page.click("[data-testid=nav-train]");
    await page.fill("[data-testid=train-epochs]", "1");
    await page.click("[data-testid=train-start]");
    const stepsAtLeast = (n: number) =>
      page.waitForFunction((n) => Number(document.querySelector("[data-testid=train-steps]")?.textContent) >= n, n, {
        timeout: 180_000,
      });
    await stepsAtLeast(5);
    const firstLoss = await number(page, "train-loss");
    await page.click("[data-testid=train-pause]");
    await page.waitForSelector('[data-testid=train-pause][data-paused="true"]');
    const pausedAt = await number(page, "train-steps");
    await page.waitForTimeout(1000);
    assert.equal(await number(page, "train-steps"), pausedAt, "no step runs while paused");
    await page.click("[data-testid=train-pause]");
    await stepsAtLeast(200);
    const loss = await number(page, "train-loss");
    const imagesPerSecond = await number(page, "train-speed");
    await page.click("[data-testid=train-stop]");
    await page.waitForFunction(() =>
      /%/.test(document.querySelector("[data-testid=test-accuracy]")?.textContent ?? ""),
    );
    await page.waitForSelector("[data-testid=train-start]:not([disabled])");
    const steps = await number(page, "train-steps");
    const accuracy = await number(page, "test-accuracy");
    t.diagnostic(
      `${name}: ${steps} steps at ${imagesPerSecond} images/s on ${await text(page, "train-threads")} thread(s); ` +
        `loss ${firstLoss} → ${loss}; test accuracy ${accuracy}%`,
    );
    assert.equal(await number(page, "train-threads"), threads);
    assert.equal(/1 thread/.test(await text(page, "train-notice")), threads === 1, "1 thread is said, and why");
    assert.ok(steps >= 200, `${steps} steps`);
    assert.ok(loss < firstLoss - 1, `the loss fell: ${firstLoss} → ${loss}`);
    assert.ok(accuracy > 80, `test accuracy ${accuracy}% after ${steps} steps`);
    assert.match(await text(page, "weights-status"), /trained here/);
    await page.locator("[data-testid=loss-chart] canvas").first().waitFor();
    await shot(t, page, `${name}-train`);

    // A reload keeps the trained model (IndexedDB).
    await page.reload();
    await page.waitForFunction(() =>
      /trained here/.test(document.querySelector("[data-testid=weights-status]")?.textContent ?? ""),
    );
    assert.equal(await page.locator("[data-testid=weights-download]").isEnabled(), true);

    // Draw: weights trained by the CLI, loaded through the file input, read a "7" drawn with the mouse.
    await page.click("[data-testid=nav-draw]");
    await page.setInputFiles("[data-testid=weights-file]", weights);
    await page.waitForFunction(() =>
      /model\.safetensors/.test(document.querySelector("[data-testid=weights-status]")?.textContent ?? ""),
    );
    await drawSeven(page);
    await page.waitForFunction(
      () => document.querySelector("[data-testid=prediction]")?.textContent?.trim() === "7",
      null,
      {
        timeout: 10_000,
      },
    );
    const latency = await page.evaluate(
      () => (window as { convlabLab?: { drawLatencyMs?: number } }).convlabLab?.drawLatencyMs,
    );
    t.diagnostic(`${name}: draw-to-prediction ${latency?.toFixed(1)} ms`);
    assert.ok(latency !== undefined && latency > 0);
    await shot(t, page, `${name}-draw`);

    // The same weights as ONNX: downloaded from the page, loaded back, they read the drawing the same.
    const [onnx] = await Promise.all([
      page.waitForEvent("download"),
      page.click("[data-testid=weights-download-onnx]"),
    ]);
    const onnxPath = join(scratch("lab-downloads"), `${name}-${onnx.suggestedFilename()}`);
    await onnx.saveAs(onnxPath);
    await page.setInputFiles("[data-testid=weights-file]", onnxPath);
    await page.waitForFunction(() =>
      /\.onnx/.test(document.querySelector("[data-testid=weights-status]")?.textContent ?? ""),
    );
    assert.equal((await text(page, "prediction")).trim(), "7", "the ONNX copy reads the same 7");

    await page.click("[data-testid=nav-homework]");
    await shot(t, page, `${name}-homework`);
    await page.selectOption("[data-testid=lang-switch]", "vi");
    await page.click("[data-testid=nav-theory]");
    await shot(t, page, `${name}-theory-vi`);

    assert.deepEqual(errors, [], "no console errors");
  } finally {
    await browser.close();
  }
}

test(
  "convlab lab serves the page cross-origin isolated: it trains on 2 threads, keeps the model, reads a drawn 7",
  {
    skip: chromiumMissing,
    timeout: 600_000,
  },
  async (t) => {
    const lab = await startLab();
    after(() => lab.child.kill());
    await drivePage(t, lab.url, "lab", 2);
  },
);

test(
  "npm run build:lab's static files work on a plain static server, on 1 thread",
  {
    skip: chromiumMissing,
    timeout: 600_000,
  },
  async (t) => {
    const root = scratch("static-lab");
    await mustRun("build:lab", process.execPath, ["scripts/build-lab.mjs", "--mnist", "--out", root], { cwd: REPO });
    const site = await startStatic(root);
    after(() => site.server.close());
    await drivePage(t, site.url, "static", 1);
  },
);
