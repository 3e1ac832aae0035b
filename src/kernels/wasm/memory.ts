import type { ScopedMemory } from "../../tensor/scope.js";
import type { Storage } from "../../tensor/tensor.js";
import type { Window2d } from "../types.js";
import { ConvlabError } from "../../errors.js";

const PAGE = 65536;
/** Readable bytes after every allocation: room for the v128 over-reads of rows.ts. */
const SLACK = 16;

/**
 * The host's side of the kernels' linear memory, a stack allocator.
 *
 * Each kernel call starts with {@link beginCall} and allocates its results with {@link result} and its scratch
 * (copied-in inputs, im2col columns) with {@link alloc}. Outside a tidy() scope, the next call reuses everything:
 * results are copied out to the JavaScript heap. Inside a scope (shared memory only), results stay where they are
 * and the tensors made on them are views into this memory, so the next kernel reads them in place; the scope's exit
 * takes all of it back at once. A training step thus reuses the same addresses every step, and memory grows only to
 * the largest step seen.
 *
 * Only a shared memory can lend views: growing it never detaches them, where growing an unshared memory would empty
 * every live view. Without one (a browser page that is not cross-origin isolated) results are always copied.
 * A shared memory has a fixed maximum (SHARED_MAXIMUM_PAGES, 1 GiB): a step needing more is refused with advice.
 */
export class WasmArena implements ScopedMemory {
  private readonly base: number;
  private top: number;
  /** End of the results kept by the open scopes; the next call starts here. */
  private kept: number;
  /** Where the current call's results start: lent views below it are results of earlier calls, still alive. */
  private callStart: number;
  private readonly scopes: number[] = [];
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private readonly lends: boolean;

  /** The arena starts at `start`, above the module's static data and the threads' GEMM pack buffers. */
  constructor(
    readonly memory: WebAssembly.Memory,
    start: number,
  ) {
    this.base = (start + 15) & ~15;
    this.top = this.base;
    this.kept = this.base;
    this.callStart = this.base;
    this.lends = typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
  }

  enter(): void {
    this.scopes.push(this.kept);
  }

  exit(): void {
    this.kept = this.scopes.pop() ?? this.base;
  }

  /** Whether results are lent as views now (in a scope, over shared memory) rather than copied out. */
  lendsResults(): boolean {
    return this.scopes.length > 0 && this.lends;
  }

  owns(data: Storage): boolean {
    return this.lent.has(data.buffer);
  }

  /** Starts a kernel call: the scratch of earlier calls is dead, and so are their results unless a scope keeps them. */
  beginCall(): void {
    this.top = this.kept;
    this.callStart = this.kept;
  }

  /**
   * Reserves `bytes` of scratch (16-byte aligned, for v128 loads) and returns the address. Every block is followed by
   * SLACK readable bytes, so a kernel may read a whole v128 that runs past the end of a row (see assembly/rows.ts).
   */
  alloc(bytes: number): number {
    const ptr = this.top;
    this.top += ((bytes + 15) & ~15) + SLACK;
    const needed = this.top - this.memory.buffer.byteLength;
    if (needed > 0) {
      try {
        this.memory.grow(Math.ceil(needed / PAGE));
      } catch {
        throw new ConvlabError(
          "E_WASM_MEMORY",
          `the wasm kernels need ${Math.ceil(this.top / 2 ** 20)} MB of WebAssembly memory, more than it can grow ` +
            "to; use a smaller batch size, or --backend ref",
        );
      }
    }
    return ptr;
  }

  /** Reserves `bytes` for a result; inside a scope it is kept until the scope exits. Allocate results first. */
  result(bytes: number): number {
    const ptr = this.alloc(bytes);
    if (this.scopes.length > 0 && this.lends) this.kept = this.top;
    return ptr;
  }

  /**
   * The address of `data` for a kernel: where it already is if it is a live view lent here (a result of an earlier
   * call), else a copy made now. A stale view, kept past its scope against tidy()'s rules, is at least never read in
   * place where this call writes its results.
   */
  input(data: Float32Array | Int32Array): number {
    const live = this.owns(data) && data.byteOffset + data.byteLength <= this.callStart;
    return live ? data.byteOffset : this.put(data);
  }

  /** Allocates and copies `data` in. Views are made after alloc, since growing memory replaces the buffer. */
  put(data: Float32Array | Int32Array): number {
    const ptr = this.alloc(data.byteLength);
    new Uint8Array(this.memory.buffer, ptr, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return ptr;
  }

  /** The `n` float32 results at `ptr`: a view lent to the open scope, or outside one a heap copy. */
  readF32(ptr: number, n: number): Float32Array {
    const view = new Float32Array(this.memory.buffer, ptr, n);
    return this.lend(view);
  }

  readI32(ptr: number, n: number): Int32Array {
    const view = new Int32Array(this.memory.buffer, ptr, n);
    return this.lend(view);
  }

  private lend<T extends Float32Array | Int32Array>(view: T): T {
    if (!this.lendsResults() || view.byteOffset + view.byteLength > this.kept) {
      return view.slice() as T;
    }
    this.lent.add(view.buffer);
    return view;
  }

  /**
   * Writes a convolution or pooling geometry as the 13 i32 fields that assembly/geometry.ts reads, with `batch` in
   * place of g's own where given (a job's range of images). Written field by field: it runs for every job of a call,
   * while the other threads wait, and copying g with a new batch ({ ...g, batch }) cost a microsecond each time.
   */
  putGeometry(g: Window2d & { outChannels?: number }, batch = g.batch): number {
    const ptr = this.alloc(13 * 4);
    const fields = new Int32Array(this.memory.buffer, ptr, 13);
    fields[0] = batch;
    fields[1] = g.inChannels;
    fields[2] = g.inHeight;
    fields[3] = g.inWidth;
    fields[4] = g.outChannels ?? g.inChannels;
    fields[5] = g.kernelHeight;
    fields[6] = g.kernelWidth;
    fields[7] = g.strideHeight;
    fields[8] = g.strideWidth;
    fields[9] = g.padHeight;
    fields[10] = g.padWidth;
    fields[11] = g.outHeight;
    fields[12] = g.outWidth;
    return ptr;
  }
}
