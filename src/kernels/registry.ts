import { ConvlabError } from "../errors.js";
import { startDefaultBackend } from "./default-backend.js";
import { refKernels } from "./ref/index.js";
import type { KernelName, KernelTable } from "./types.js";

/** Backends by name. `ref` is complete by type; a faster backend may provide any subset and falls back to `ref`. */
export type BackendName = "ref" | "wasm";

/** How a backend's kernels are registered besides the kernels themselves. */
export interface BackendOptions {
  /**
   * Kernels the backend leaves to `ref` on purpose (small, memory-bound ones not worth a fast version): they fall
   * back silently. Any other kernel the backend lacks falls back too, but says so once (see `notice`).
   */
  usesRef?: readonly KernelName[];
  /** Where the one-line notice of a missing kernel goes: the platform's channel (stderr in Node). Default console.warn. */
  notice?: (line: string) => void;
}

interface Registered {
  kernels: Partial<KernelTable>;
  options: BackendOptions;
}

const backends: { [B in BackendName]?: Registered } = { ref: { kernels: refKernels, options: {} } };
/** The chosen backend; null until a program chooses one or its first op runs (see startDefaultBackend). */
let active: BackendName | null = null;
/** "backend/kernel" for each missing kernel already reported, so each is reported once per process. */
const reported = new Set<string>();

/**
 * Until a backend is chosen, every kernel first chooses the default one, then runs its own kernel. Once chosen,
 * `table` is replaced, so dispatch costs nothing more afterwards.
 */
const choosingTable = Object.fromEntries(
  Object.keys(refKernels).map((name) => [
    name,
    (...args: unknown[]) => {
      getBackend();
      return (table[name as KernelName] as (...a: unknown[]) => unknown)(...args);
    },
  ]),
) as unknown as KernelTable;

/** The resolved table for the active backend: its own kernels over the reference ones. */
let table: KernelTable = choosingTable;

/**
 * A backend's table: its own kernels, `ref`'s for those it leaves to `ref` on purpose, and for any other missing
 * kernel `ref`'s behind a wrapper that reports the fallback on the first call of that kernel in the process.
 */
function resolve(name: BackendName, { kernels, options }: Registered): KernelTable {
  const resolved: KernelTable = { ...refKernels, ...kernels };
  const intended = new Set(options.usesRef ?? []);
  for (const key of Object.keys(refKernels) as KernelName[]) {
    if (kernels[key] !== undefined || intended.has(key) || name === "ref") continue;
    const fallback = refKernels[key] as (...a: unknown[]) => unknown;
    (resolved as unknown as Record<KernelName, unknown>)[key] = (...args: unknown[]) => {
      const id = `${name}/${key}`;
      if (!reported.has(id)) {
        reported.add(id);
        (options.notice ?? console.warn)(
          `convlab: the ${name} backend has no ${key} kernel; using the ref backend's (slower)`,
        );
      }
      return fallback(...args);
    };
  }
  return resolved;
}

/**
 * Registers (or replaces) a backend's kernels. Kernels it lacks are served by `ref`: silently for those listed in
 * `options.usesRef`, with a one-line notice on the first call of each other one.
 */
export function registerBackend(name: BackendName, kernels: Partial<KernelTable>, options: BackendOptions = {}): void {
  backends[name] = { kernels, options };
  if (name === active) table = resolve(name, backends[name]);
}

/** Selects the backend every op dispatches to from now on. */
export function setBackend(name: BackendName): void {
  const registered = backends[name];
  if (registered === undefined) {
    throw new ConvlabError(
      "E_BACKEND_UNREGISTERED",
      `setBackend: backend '${name}' is not registered (registered: ${Object.keys(backends).join(", ")})`,
    );
  }
  active = name;
  table = resolve(name, registered);
}

/** The backend ops dispatch to; asking chooses the default one if the program has not chosen yet. */
export function getBackend(): BackendName {
  return active ?? startDefaultBackend();
}

/** The kernel `name` of the active backend. Ops call this on every dispatch, so it is a single property read. */
export function kernel<K extends KernelName>(name: K): KernelTable[K] {
  return table[name];
}

/** The whole resolved table of the active backend, e.g. to wrap every kernel with a timer in a benchmark. */
export function activeKernels(): KernelTable {
  getBackend();
  return table;
}

/** The kernel `name` of one given backend, without falling back: for cross-backend tests and benchmarks. */
export function kernelOf<K extends KernelName>(backend: BackendName, name: K): KernelTable[K] | undefined {
  return backends[backend]?.kernels[name] as KernelTable[K] | undefined;
}
