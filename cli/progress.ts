import cliProgress from "cli-progress";
import type { Lang } from "../src/explain/index.js";
import { cliMessages } from "./messages.js";

/** Per-batch progress of one epoch: a bar with loss, images/s and ETA on a terminal, nothing otherwise. */
export interface EpochProgress {
  update(batch: number, loss: number, examples: number): void;
  stop(): void;
}

/** The report's pictures as they are drawn: `picture` after each one. */
export interface PictureProgress {
  picture(done: number, total: number, name: string): void;
  stop(): void;
}

/**
 * The report's pictures as they are drawn, one tick a picture, on a terminal (nothing elsewhere): drawing them takes
 * seconds, which should not pass without a word.
 */
export function pictureProgress(enabled: boolean, lang: Lang): PictureProgress {
  if (!enabled || !process.stderr.isTTY) return { picture() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: cliMessages(lang).pictures, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    picture(done, total, name) {
      if (!started) bar.start(total, 0, { name });
      started = true;
      bar.update(done, { name });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Seconds as the bar shows them: 42s, 3m05s. */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

export function epochProgress(
  epoch: number,
  epochs: number,
  batches: number,
  enabled: boolean,
  lang: Lang,
): EpochProgress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: cliMessages(lang).progress(epoch, epochs),
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  let images = 0;
  // Our own ETA: cli-progress's reads "0s" until it has measured, which says "done" before anything ran.
  bar.start(batches, 0, { loss: "-", rate: "-", etaText: "-" });
  return {
    update(batch, loss, examples) {
      images += examples;
      const seconds = (performance.now() - start) / 1000;
      const rate = Math.round(images / seconds);
      bar.update(batch, { loss: loss.toFixed(4), rate, etaText: clock(((batches - batch) * seconds) / batch) });
    },
    stop() {
      bar.stop();
    },
  };
}
