/** The key of Jupyter's display method, as Deno's kernel looks it up: `Symbol.for("Jupyter.display")`. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as typeof JUPYTER_DISPLAY;

/** What can be shown in a notebook: an object with Jupyter's display method (a Figure, a Markdown text). */
export interface Displayable {
  [JUPYTER_DISPLAY](): Record<string, string> | Promise<Record<string, string>>;
}

interface DenoJupyter {
  display(value: unknown, options?: { raw?: boolean }): Promise<void>;
}

/**
 * Shows `value` in the running notebook now, as matplotlib's `plt.show()` or IPython's `display()`: through Deno's
 * Jupyter kernel (`Deno.jupyter.display`), which sends it while the cell runs. A cell's last value is shown too, but
 * Deno 2.9's kernel may send that one after the cell ends, and `jupyter nbconvert --execute` then sometimes drops it
 * from the saved notebook; a shown value is never lost. Outside a Jupyter kernel this says what to do instead.
 */
export async function show(value: Displayable): Promise<void> {
  const jupyter = (globalThis as { Deno?: { jupyter?: DenoJupyter } }).Deno?.jupyter;
  if (jupyter === undefined) {
    throw new Error(
      "show(): there is no notebook to show it in (it works in Deno's Jupyter kernel); " +
        "write the picture to a file with save(path), or take its svg() or png()",
    );
  }
  await jupyter.display(value);
}
