import type { Window2d } from "../types.js";

const PAGE = 65536;

/**
 * The host's view of the kernels' linear memory: a bump allocator reset before every kernel call, so WebAssembly
 * memory stays an internal scratch space (inputs are copied in, results copied out; no tensor lives in it).
 * Memory only grows, to the largest call seen; a training step reuses it without new pages.
 */
export class WasmArena {
  private readonly base: number;
  private top: number;

  /** `heapBase` is the end of the module's static data (its packing panels); the arena starts above it. */
  constructor(
    readonly memory: WebAssembly.Memory,
    heapBase: number,
  ) {
    this.base = (heapBase + 15) & ~15;
    this.top = this.base;
  }

  /** Starts a new call: all earlier allocations are dead. */
  reset(): void {
    this.top = this.base;
  }

  /** Reserves `bytes` (16-byte aligned, for v128 loads) and returns the address. */
  alloc(bytes: number): number {
    const ptr = this.top;
    this.top += (bytes + 15) & ~15;
    const needed = this.top - this.memory.buffer.byteLength;
    if (needed > 0) this.memory.grow(Math.ceil(needed / PAGE));
    return ptr;
  }

  /** Allocates and copies `data` in. Views are made after alloc, since growing memory detaches old views. */
  put(data: Float32Array | Int32Array): number {
    const ptr = this.alloc(data.byteLength);
    new Uint8Array(this.memory.buffer, ptr, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return ptr;
  }

  /** A copy of `n` float32 values at `ptr`, owned by the caller. */
  readF32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n).slice();
  }

  readI32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n).slice();
  }

  /** Writes a convolution or pooling geometry as the 13 i32 fields that assembly/geometry.ts reads. */
  putGeometry(g: Window2d & { outChannels?: number }): number {
    return this.put(
      Int32Array.of(
        g.batch,
        g.inChannels,
        g.inHeight,
        g.inWidth,
        g.outChannels ?? g.inChannels,
        g.kernelHeight,
        g.kernelWidth,
        g.strideHeight,
        g.strideWidth,
        g.padHeight,
        g.padWidth,
        g.outHeight,
        g.outWidth,
      ),
    );
  }
}
