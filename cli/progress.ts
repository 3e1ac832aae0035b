import cliProgress from "cli-progress";
import type { Lang } from "../src/explain/index.js";
import { cliMessages } from "./messages.js";

/** Per-batch progress of one epoch: a bar with loss, images/s and ETA on a terminal, nothing otherwise. */
export interface EpochProgress {
  update(batch: number, loss: number, examples: number): void;
  stop(): void;
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
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  let images = 0;
  bar.start(batches, 0, { loss: "-", rate: "-" });
  return {
    update(batch, loss, examples) {
      images += examples;
      const rate = Math.round(images / ((performance.now() - start) / 1000));
      bar.update(batch, { loss: loss.toFixed(4), rate });
    },
    stop() {
      bar.stop();
    },
  };
}
