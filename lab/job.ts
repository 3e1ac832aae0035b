import { el, tr, type LabContext, type Texts } from "./context.js";
import { download } from "./download.js";
import type { ToWorker } from "./protocol.js";
import { trainer } from "./trainer.js";

/** The words on a part's job buttons. */
export interface JobTexts {
  start: Texts;
  stop: Texts;
  report: Texts;
}

const PAUSE = { en: "Pause", vi: "Tạm dừng" };
const RESUME = { en: "Resume", vi: "Tiếp tục" };
const BUSY = {
  en: "The other part is training: stop it first.",
  vi: "Phần kia đang huấn luyện: hãy dừng nó trước.",
};

/**
 * One part's controls of the page's trainer (the Train part's run, the Homework's sweep): Start, Pause/Resume,
 * Stop, the download of the finished job's report page, and a status line for its messages and errors. The part
 * owns the trainer from its Start to the trainer's `idle`; events of the other part's job are not its business
 * (`owns` tells).
 */
export class JobControls {
  readonly start: HTMLButtonElement;
  readonly pause: HTMLButtonElement;
  readonly stop: HTMLButtonElement;
  readonly report: HTMLButtonElement;
  readonly message = el("p", { class: "message", role: "status" });
  readonly buttons: HTMLElement;
  #owns = false;
  #awaitingReport = false;
  readonly #ctx: LabContext;
  readonly #running: (running: boolean) => void;
  readonly #showPaused: (paused: boolean) => void;

  /** `testid` prefixes the buttons' ids (`train-start`…); `running` is told when a job starts and ends. */
  constructor(ctx: LabContext, testid: string, texts: JobTexts, running: (running: boolean) => void) {
    this.#ctx = ctx;
    this.#running = running;
    this.start = el("button", { testid: `${testid}-start`, class: "primary" }, tr(ctx, texts.start));
    // Both words stay in the button, one hidden: the label follows the language switch either way.
    const [pauseWord, resumeWord] = [el("span", {}, tr(ctx, PAUSE)), el("span", { hidden: true }, tr(ctx, RESUME))];
    this.pause = el("button", { testid: `${testid}-pause`, disabled: true }, pauseWord, resumeWord);
    this.#showPaused = (paused) => {
      this.pause.dataset.paused = String(paused);
      pauseWord.hidden = paused;
      resumeWord.hidden = !paused;
    };
    this.stop = el("button", { testid: `${testid}-stop`, disabled: true }, tr(ctx, texts.stop));
    this.report = el("button", { testid: `${testid}-report`, disabled: true }, tr(ctx, texts.report));
    this.buttons = el("div", { class: "buttons" }, this.start, this.pause, this.stop, this.report);
    this.pause.addEventListener("click", () => {
      trainer.send({ type: this.pause.dataset.paused === "true" ? "resume" : "pause" });
    });
    this.stop.addEventListener("click", () => trainer.send({ type: "stop" }));
    this.report.addEventListener("click", () => {
      this.report.disabled = true;
      this.#awaitingReport = true;
      trainer.send({ type: "report", lang: ctx.lang.value });
    });
    trainer.on("paused", ({ paused }) => this.#showPaused(paused));
    trainer.on("report", ({ name, html }) => {
      if (!this.#awaitingReport) return;
      this.#awaitingReport = false;
      this.report.disabled = false;
      download(html, name, "text/html");
    });
    trainer.on("error", ({ message }) => {
      if (!this.#owns && !this.#awaitingReport) return;
      this.#awaitingReport = false;
      this.message.textContent = message;
    });
    trainer.on("idle", () => {
      if (!this.#owns) return;
      this.#owns = false;
      this.#setRunning(false);
    });
  }

  #setRunning(on: boolean): void {
    this.start.disabled = on;
    this.pause.disabled = !on;
    this.stop.disabled = !on;
    this.#running(on);
  }

  /** Whether the trainer's current job is this part's. */
  get owns(): boolean {
    return this.#owns;
  }

  /** Starts `job` if the trainer is free (else says why not); true when it started. */
  begin(job: ToWorker): boolean {
    if (trainer.busy) {
      this.message.textContent = BUSY[this.#ctx.lang.value];
      return false;
    }
    this.#owns = true;
    this.message.textContent = "";
    this.report.disabled = true;
    this.#showPaused(false);
    this.#setRunning(true);
    trainer.send(job);
    return true;
  }

  /** The job has finished with a report to offer. */
  reportReady(): void {
    this.report.disabled = false;
  }
}
