// Training speed in the lab page against Node, measured in one sitting: the same run (the tutorial's model and
// settings, the first 12,800 training images: 200 steps) alternately in headless Chromium through `convlab lab` and
// in Node through the same core (trainRun), A B A B. Prints one JSON line per run, then the median ratio.
//
//   npm run build && npm run bench:lab [-- --rounds 3 --images 12800]
//
// A benchmark, not a test: it prints numbers. It needs Debian's chromium (/usr/bin/chromium) and the devDependency
// playwright-core; the built package in dist/.
import { chromium } from "playwright-core";

const dist = new URL("../dist/", import.meta.url);
const { startLabServer } = await import(new URL("src/node/lab-server.js", dist));
const { useBackend } = await import(new URL("src/node/backend.js", dist));
const { MNIST } = await import(new URL("src/node/mnist.js", dist));
const { Subset, range } = await import(new URL("src/data/subset.js", dist));
const { presetChoice } = await import(new URL("src/models/choice.js", dist));
const { trainRun } = await import(new URL("src/train/run.js", dist));
const { MemoryStorage } = await import(new URL("src/train/storage.js", dist));
const { wasmThreads } = await import(new URL("src/kernels/wasm/index.js", dist));

const flag = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const rounds = flag("rounds", 2);
const images = flag("images", 12_800);
const settings = { arch: "seed", epochs: 1, lr: 0.01, momentum: 0.9, batchSize: 64, seed: 0 };

await useBackend("wasm");
const [train, test] = await Promise.all([MNIST({ train: true }), MNIST({ train: false })]);
const subset = new Subset(train, range(images));

/** Node: trainRun on the first `images` training images; images/s over the epoch, as the page reports it. */
async function node() {
  let speed = 0;
  await trainRun({
    choice: presetChoice("seed"),
    config: { ...settings, backend: "wasm", threads: wasmThreads(), optimizer: "SGD", trainLimit: images },
    data: { train: subset, test },
    storage: new MemoryStorage(),
    onEvent: (event) => {
      if (event.type === "batch") speed = event.imagesPerSecond;
    },
  });
  return { where: "node", threads: wasmThreads(), imagesPerSecond: Math.round(speed) };
}

const lab = await startLabServer({ port: 0 });
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox"] });

/** The page: the Train part's run, in a fresh page each time (its worker and kernel workers start anew). */
async function page() {
  const tab = await browser.newPage();
  await tab.goto(`${lab.url}#train`);
  await tab.fill("[data-testid=train-epochs]", "1");
  await tab.fill("[data-testid=train-trainLimit]", String(images));
  await tab.click("[data-testid=train-start]");
  await tab.waitForSelector("[data-testid=train-report]:not([disabled])", { timeout: 600_000 });
  const imagesPerSecond = Number(await tab.innerText("[data-testid=train-speed]"));
  const threads = Number(await tab.innerText("[data-testid=train-threads]"));
  await tab.close();
  return { where: "page", threads, imagesPerSecond };
}

const ratios = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const a = await page();
    const b = await node();
    for (const result of [a, b]) console.log(JSON.stringify({ round, images, ...result }));
    ratios.push(a.imagesPerSecond / b.imagesPerSecond);
  }
} finally {
  await browser.close();
  await lab.close();
}
ratios.sort((x, y) => x - y);
const middle = ratios.length / 2;
const median = Number.isInteger(middle) ? (ratios[middle - 1] + ratios[middle]) / 2 : ratios[Math.floor(middle)];
console.log(
  JSON.stringify({ ratios: ratios.map((r) => Number(r.toFixed(3))), pageOverNodeMedian: Number(median.toFixed(3)) }),
);
process.exit(0); // the kernel workers keep Node alive otherwise
