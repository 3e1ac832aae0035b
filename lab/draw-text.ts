// Text of the Draw part whose words hold numbers known only after each stroke, in both languages.
import type { LabContext, Texts } from "./context.js";

/** A text node whose words are set again and again (`set`), each time in both languages, shown in the current one. */
export interface LiveText {
  node: Text;
  set(texts: Texts): void;
}

/** A {@link LiveText}: one language watcher for the node's whole life, however often its words change. */
export function liveText(ctx: LabContext, texts: Texts = { en: "", vi: "" }): LiveText {
  const node = document.createTextNode("");
  let current = texts;
  const show = () => (node.data = current[ctx.lang.value]);
  ctx.lang.watch(show);
  return {
    node,
    set(next) {
      current = next;
      show();
    },
  };
}

/** The same words in both languages: a name, a number, a shape. */
export const both = (text: string): Texts => ({ en: text, vi: text });

/** `value` with `digits` decimals, always with a point: the latency test reads the number back in either language. */
export const fixed = (value: number, digits = 1): string => value.toFixed(digits);

/** A whole-pixel shift with its sign: "+3", "−2", "0". */
export const signed = (value: number): string => (value > 0 ? `+${value}` : value < 0 ? `−${-value}` : "0");
