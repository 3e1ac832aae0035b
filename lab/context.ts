import type { SpecModel } from "../src/models/spec.js";

/** The page's languages: the tutorial's Vietnamese and English, switched live by `lang-switch`. */
export type Lang = "en" | "vi";

/** One piece of text in both languages. */
export interface Texts {
  en: string;
  vi: string;
}

/** A model the Draw part (and the weights bar) works with: trained in the page, restored, or loaded from a file. */
export interface LabModel {
  model: SpecModel;
  /** The preset's name or the spec's name. */
  arch: string;
  /** Where it came from, said to the user: "trained here, 1 epoch, 97.9%" or a file's name. */
  source: Texts;
  /** The model's state dict as a safetensors file (with convlab's metadata), ready to download or store. */
  safetensors: Uint8Array;
}

type Listener<T> = (value: T) => void;

/** A value that parts of the page watch: set by one, seen by all. */
export class Observable<T> {
  #listeners = new Set<Listener<T>>();
  constructor(private current: T) {}
  get value(): T {
    return this.current;
  }
  set(value: T): void {
    this.current = value;
    for (const listener of this.#listeners) listener(value);
  }
  /** Calls `listener` now and on every change; returns the function that stops it. */
  watch(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    listener(this.current);
    return () => this.#listeners.delete(listener);
  }
}

/** What every part of the page shares: the language and the current model. */
export interface LabContext {
  lang: Observable<Lang>;
  model: Observable<LabModel | null>;
}

/** A text node that follows the language switch. */
export function tr(ctx: LabContext, texts: Texts): Text {
  const node = document.createTextNode(texts[ctx.lang.value]);
  ctx.lang.watch((lang) => (node.data = texts[lang]));
  return node;
}

/** Attributes of {@link el}: `testid` becomes `data-testid`, `class` the class list, the rest are set as attributes. */
export type Attributes = Record<string, string | number | boolean | undefined> & { testid?: string; class?: string };

/** A DOM element with attributes and children, so the page's structure reads as a tree. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    const attribute = name === "testid" ? "data-testid" : name;
    element.setAttribute(attribute, value === true ? "" : String(value));
  }
  element.append(...children);
  return element;
}
