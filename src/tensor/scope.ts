import type { Storage, Tensor } from "./tensor.js";

/**
 * Memory a backend lends to kernel results while a {@link tidy} scope is open, and takes back when it closes.
 * The wasm backend implements it over its WebAssembly memory, so a training step's activations and gradients stay
 * where the kernels read them instead of being copied out and back in by every op.
 */
export interface ScopedMemory {
  enter(): void;
  /** Takes back everything lent since the matching enter(). */
  exit(): void;
  /** Whether `data` is a view of this memory (and so dies with its scope). */
  owns(data: Storage): boolean;
}

let lender: ScopedMemory | null = null;
const open: Tensor[][] = [];

/** Installs the backend memory that kernel results borrow inside tidy scopes (the latest backend set up wins). */
export function useScopedMemory(memory: ScopedMemory | null): void {
  lender = memory;
}

/** Called by the Tensor constructor: a tensor on borrowed memory belongs to the innermost open scope. */
export function trackScoped(tensor: Tensor, data: Storage): void {
  if (open.length > 0 && lender !== null && lender.owns(data)) open[open.length - 1].push(tensor);
}

/** Whether `data` is borrowed scope memory, which must be copied to outlive its scope. */
export function isScoped(data: Storage): boolean {
  return lender !== null && lender.owns(data);
}

function returnedTensors(value: unknown): Set<unknown> {
  if (Array.isArray(value)) return new Set(value);
  if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
    return new Set([value, ...Object.values(value)]);
  }
  return new Set();
}

/**
 * Runs `fn`, then releases the tensors it made on backend memory, as TF.js's `tf.tidy` (PyTorch frees them by
 * reference counting, which JavaScript cannot). Tensors that `fn` returns (alone, in an array or as an object's
 * values) are moved to the JavaScript heap and live on. Reading a released tensor throws an error naming the fix.
 * Leaf gradients (`.grad`) always live on the heap, so optimizers and callers see them after the scope.
 *
 * Outside any scope, and on the `ref` backend, results are ordinary garbage-collected arrays and tidy changes
 * nothing but speed. Scopes nest; an inner scope's returned tensors are copied once to the heap.
 *
 * The training and evaluation loops run each batch in a scope. Code that keeps a raw `tensor.data` array (not the
 * tensor) past the scope reads reused memory: keep the tensor, or `slice()` the array inside the scope.
 */
export function tidy<T>(fn: () => T): T {
  open.push([]);
  lender?.enter();
  let result: T | undefined;
  try {
    result = fn();
    return result;
  } finally {
    const made = open.pop()!;
    const keep = returnedTensors(result);
    for (const tensor of made) {
      if (keep.has(tensor)) tensor.moveToHeap();
      else tensor.release();
    }
    lender?.exit();
  }
}
