import type { Storage, Tensor } from "./tensor.js";
import { ConvlabError } from "../errors.js";

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

/** Called by the Tensor constructor: every tensor made while a scope is open belongs to the innermost one. */
export function trackScoped(tensor: Tensor): void {
  if (open.length > 0) open[open.length - 1].push(tensor);
}

/** Whether `data` is borrowed scope memory, which must be copied to outlive its scope. */
export function isScoped(data: Storage): boolean {
  return lender !== null && lender.owns(data);
}

/** Whether `value` is a plain object: made by `{…}` or `Object.create(null)`, not a class instance. */
function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Every object reachable from `value` through the containers a scope's result may hold tensors in: arrays, plain
 * objects, Maps (keys and values) and Sets, to any depth. Class instances (tensors among them) and typed arrays are
 * collected but not looked into. Iterative, with a set of the objects seen, so neither a deep nesting (a hostile
 * JSON-like value) nor a cycle can overflow the stack or loop.
 */
function reachable(value: unknown): Set<object> {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== "object" || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const item of v as unknown[]) stack.push(item);
    } else if (v instanceof Map) {
      for (const [key, item] of v as Map<unknown, unknown>) stack.push(key, item);
    } else if (v instanceof Set) {
      for (const item of v as Set<unknown>) stack.push(item);
    } else if (isPlainObject(v)) {
      for (const item of Object.values(v)) stack.push(item);
    }
  }
  return seen;
}

/**
 * Runs `fn`, then releases the tensors it made on backend memory, as TF.js's `tf.tidy` (PyTorch frees them by
 * reference counting, which JavaScript cannot). Reading a released tensor throws an error naming the fix.
 *
 * Tensors made in the scope that `fn` returns (alone, or anywhere inside arrays, plain objects, Maps and Sets, at any
 * depth: `{ out: { t } }` keeps `t`) live on, on the JavaScript heap, cut from the autograd graph as by `detach()`: the graph behind them is released. So backward()
 * and the optimizer's step belong inside the scope, as in trainStep(). Leaf gradients (`.grad`) always live on
 * the heap, so optimizers and callers see them after the scope. These rules hold on every backend; on `ref`, whose
 * results are ordinary arrays, only the reading of released tensors differs: it still works there.
 *
 * Scopes nest; an inner scope's returned tensors are copied once to the heap. `fn` must be synchronous: the scope
 * would end at its first `await`. Code that keeps a raw `tensor.data` array (not the tensor) past the scope reads
 * reused memory: keep the tensor, or `slice()` the array inside the scope.
 */
export function tidy<T>(fn: () => T): T {
  open.push([]);
  lender?.enter();
  let result: T | undefined;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new ConvlabError(
        "E_TIDY_ASYNC",
        "tidy(): the function returned a Promise; a scope cannot span an await, so pass a sync function",
      );
    }
    return result;
  } finally {
    const made = open.pop()!;
    const keep = made.length === 0 ? new Set<object>() : reachable(result);
    for (const tensor of made) {
      const borrowed = isScoped(tensor.data);
      if (keep.has(tensor)) tensor.keepPastScope(borrowed);
      else if (borrowed) tensor.release();
    }
    lender?.exit();
  }
}
