/**
 * Lets the event loop run: a message through a MessageChannel (in browsers, workers, Node and Deno) comes back
 * after pending events, without setTimeout's 4 ms clamp. A long training run awaits it now and then, so that a
 * worker hears "pause", a page stays responsive and Node still handles Ctrl+C.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** How often a run lets other work in, in milliseconds of training. */
const YIELD_EVERY_MS = 25;

/**
 * Pause, resume and stop for a running {@link trainRun}: the page's buttons call these, and the run awaits
 * {@link RunControl.between} after every step. Stop ends training after the current step; the run then tests the
 * model as it is and saves it, as if its last epoch had ended there.
 */
export class RunControl {
  #paused = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #lastYield = performance.now();
  #onStop: (() => void)[] = [];
  /** Called with true on pause and false on resume, once the run has actually paused or resumed. */
  onPauseChange: ((paused: boolean) => void) | undefined;

  get paused(): boolean {
    return this.#paused;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#wake?.();
  }

  /** Ends the run after the current step; a paused run is woken to end. */
  stop(): void {
    this.#stopped = true;
    this.resume();
    for (const listener of this.#onStop.splice(0)) listener();
  }

  /**
   * Calls `listener` once, when stop() is called (at once if it was): for a run that trains elsewhere, another
   * process, to pass the stop on. Returns a function that removes it.
   */
  onStop(listener: () => void): () => void {
    if (this.#stopped) {
      listener();
      return () => {};
    }
    this.#onStop.push(listener);
    return () => {
      this.#onStop = this.#onStop.filter((l) => l !== listener);
    };
  }

  /**
   * Awaited between steps: lets the event loop in every few milliseconds, waits while paused, and returns true when
   * the run should stop.
   */
  async between(): Promise<boolean> {
    if (performance.now() - this.#lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      this.#lastYield = performance.now();
    }
    if (this.#paused && !this.#stopped) {
      this.onPauseChange?.(true);
      while (this.#paused && !this.#stopped) await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
      this.onPauseChange?.(false);
      this.#lastYield = performance.now();
    }
    return this.#stopped;
  }
}
