import { startDefaultBackend } from "./default-backend.js";
import { refKernels } from "./ref/index.js";
import type { KernelName, KernelTable } from "./types.js";

/** Backends by name. `ref` is complete by type; a faster backend may provide any subset and falls back to `ref`. */
export type BackendName = "ref" | "wasm";

const backends: { [B in BackendName]?: Partial<KernelTable> } = { ref: refKernels };
/** The chosen backend; null until a program chooses one or its first op runs (see startDefaultBackend). */
let active: BackendName | null = null;

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

/** Registers (or replaces) a backend's kernels. Kernels it lacks are served by `ref`. */
export function registerBackend(name: BackendName, kernels: Partial<KernelTable>): void {
  backends[name] = kernels;
  if (name === active) table = { ...refKernels, ...kernels };
}

/** Selects the backend every op dispatches to from now on. */
export function setBackend(name: BackendName): void {
  const kernels = backends[name];
  if (kernels === undefined) {
    throw new Error(
      `setBackend: backend '${name}' is not registered (registered: ${Object.keys(backends).join(", ")})`,
    );
  }
  active = name;
  table = { ...refKernels, ...kernels };
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
  return backends[backend]?.[name] as KernelTable[K] | undefined;
}
