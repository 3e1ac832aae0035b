import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";

/** Debian's Chromium, which .ci/run installs; playwright-core drives it (it downloads no browser of its own). */
export const CHROMIUM = "/usr/bin/chromium";

/** The `skip` option of a browser test: false, or why it cannot run here. */
export const chromiumMissing = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (apt-get install chromium; .ci/run does)`;

/** Headless Chromium with no network chatter of its own (this machine's network is closed). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
