import { activeKernels, getBackend, registerBackend } from "../src/kernels/registry.js";
import type { KernelName, KernelTable } from "../src/kernels/types.js";

/** Milliseconds spent in each kernel since the last reset, and how many calls. */
export interface KernelProfile {
  totals: Map<KernelName, { ms: number; calls: number }>;
  reset(): void;
}

/**
 * Wraps every kernel of the active backend with a timer (re-registering the backend), so a benchmark can report
 * where a training step spends its time. Timers cost about a microsecond per call: fine for ~20 calls a step.
 */
export function profileKernels(): KernelProfile {
  const totals = new Map<KernelName, { ms: number; calls: number }>();
  const table = activeKernels();
  const timed: Partial<Record<KernelName, unknown>> = {};
  for (const name of Object.keys(table) as KernelName[]) {
    const run = table[name] as (...args: unknown[]) => unknown;
    timed[name] = (...args: unknown[]) => {
      const start = performance.now();
      try {
        return run(...args);
      } finally {
        const entry = totals.get(name) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - start;
        entry.calls++;
        totals.set(name, entry);
      }
    };
  }
  registerBackend(getBackend(), timed as Partial<KernelTable>);
  return { totals, reset: () => totals.clear() };
}
