import { refKernels } from "./ref/index.js";
import type { KernelName, KernelTable } from "./types.js";

/** Backends by name. `ref` is complete by type; a faster backend may provide any subset and falls back to `ref`. */
export type BackendName = "ref" | "wasm";

const backends: { [B in BackendName]?: Partial<KernelTable> } = { ref: refKernels };
let active: BackendName = "ref";
/** The resolved table for the active backend: its own kernels over the reference ones. */
let table: KernelTable = refKernels;

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

export function getBackend(): BackendName {
  return active;
}

/** The kernel `name` of the active backend. Ops call this on every dispatch, so it is a single property read. */
export function kernel<K extends KernelName>(name: K): KernelTable[K] {
  return table[name];
}

/** The whole resolved table of the active backend, e.g. to wrap every kernel with a timer in a benchmark. */
export function activeKernels(): KernelTable {
  return table;
}

/** The kernel `name` of one given backend, without falling back: for cross-backend tests and benchmarks. */
export function kernelOf<K extends KernelName>(backend: BackendName, name: K): KernelTable[K] | undefined {
  return backends[backend]?.[name] as KernelTable[K] | undefined;
}
