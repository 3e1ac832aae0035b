import type { FloatStorage } from "../../tensor/tensor.js";
import { refKernels } from "../ref/index.js";
import type { Conv2dGeometry, GemmShape, KernelTable, Window2d } from "../types.js";
import type { WasmArena } from "./memory.js";
import { splitRange, type Job, type KernelThreads } from "./threads.js";

/** The functions exported by the compiled assembly/ module; pointers are byte addresses in its memory. */
export interface WasmExports {
  sgemm(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    accumulate: number,
  ): void;
  sgemmNT(
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    accumulate: number,
  ): void;
  transpose(input: number, rows: number, cols: number, out: number): void;
  conv2dForward(
    g: number,
    x: number,
    w: number,
    b: number,
    col: number,
    grouped: number,
    y: number,
    group: number,
  ): void;
  conv2dBackwardInput(
    g: number,
    dy: number,
    w: number,
    wT: number,
    grouped: number,
    dcol: number,
    dx: number,
    group: number,
  ): void;
  conv2dBackwardWeight(g: number, dy: number, x: number, col: number, grouped: number, dw: number, group: number): void;
  conv2dBackwardBias(g: number, dy: number, db: number): void;
  maxPool2dForward(g: number, x: number, y: number, argmax: number): void;
  maxPool2dBackward(dy: number, argmax: number, outputs: number, dx: number, inputs: number): void;
  relu(x: number, y: number, n: number): void;
  reluBackward(dy: number, x: number, dx: number, n: number): void;
  heapBase(): number;
  usePackPanel(ptr: number): void;
  PACK_PANEL_BYTES: WebAssembly.Global;
}

const F32 = 4;

function isF32(...arrays: (FloatStorage | null)[]): boolean {
  return arrays.every((a) => a === null || a instanceof Float32Array);
}

/** Columns per GEMM (images × positions): enough to fill the SIMD blocks, few enough to stay in the L2 cache. */
const GEMM_COLUMNS = 1024;

/**
 * The `wasm` backend's kernels: float32 SIMD in WebAssembly. Each copies its inputs into the arena, runs, and copies
 * the result out. Float64 inputs (gradient checks) go to the reference kernels, which are the oracle anyway.
 *
 * The convolutions split the batch into one contiguous range of images per thread; each range gets its own geometry
 * (batch = its size), pointers offset to its first image, and its own scratch, sized for the group of images that
 * one GEMM takes. The weight gradient sums over the batch, so each thread fills its own buffer and the buffers are
 * added at the end.
 */
export function wasmKernels(wasm: WasmExports, arena: WasmArena, threads: KernelThreads | null): Partial<KernelTable> {
  const taps = (g: Conv2dGeometry) => g.inChannels * g.kernelHeight * g.kernelWidth;
  const positions = (g: Conv2dGeometry) => g.outHeight * g.outWidth;
  const inSize = (g: Conv2dGeometry) => g.inChannels * g.inHeight * g.inWidth;
  const outSize = (g: Conv2dGeometry) => g.outChannels * positions(g);

  /**
   * Runs one job per thread over its range of images. `scratch(group)` lists the floats of each scratch buffer
   * for a group of that many images; `job` builds a job from its range, first image, buffers and group size.
   */
  const runOverImages = (
    g: Conv2dGeometry,
    scratch: (group: number) => number[],
    job: (range: Conv2dGeometry, first: number, buffers: number[], group: number) => Job,
  ): void => {
    const ranges = splitRange(g.batch, threads?.size ?? 1);
    const group = Math.max(1, Math.min(g.batch, Math.floor(GEMM_COLUMNS / positions(g))));
    const jobs = ranges.map(([n0, n1]) => {
      const buffers = scratch(group).map((floats) => arena.alloc(floats * F32));
      return job({ ...g, batch: n1 - n0 }, n0, buffers, group);
    });
    if (threads === null || jobs.length === 1) {
      for (const { fn, args } of jobs) (wasm[fn] as (...a: number[]) => void)(...args);
    } else {
      threads.run(jobs);
    }
  };

  return {
    conv2dForward(x, w, b, g) {
      if (!isF32(x, w, b)) return refKernels.conv2dForward(x, w, b, g);
      arena.reset();
      const xp = arena.put(x as Float32Array);
      const wp = arena.put(w as Float32Array);
      const bp = b === null ? 0 : arena.put(b as Float32Array);
      const n = g.batch * outSize(g);
      const y = arena.alloc(n * F32);
      runOverImages(
        g,
        (group) => [taps(g) * group * positions(g), outSize(g) * group],
        (range, first, [col, grouped], group) => ({
          fn: "conv2dForward",
          args: [
            arena.putGeometry(range),
            xp + first * inSize(g) * F32,
            wp,
            bp,
            col,
            grouped,
            y + first * outSize(g) * F32,
            group,
          ],
        }),
      );
      return arena.readF32(y, n);
    },
    conv2dBackwardInput(dy, w, g) {
      if (!isF32(dy, w)) return refKernels.conv2dBackwardInput(dy, w, g);
      arena.reset();
      const dyp = arena.put(dy as Float32Array);
      const wp = arena.put(w as Float32Array);
      const n = g.batch * inSize(g);
      const dx = arena.alloc(n * F32);
      runOverImages(
        g,
        (group) => [w.length, outSize(g) * group, taps(g) * group * positions(g)],
        (range, first, [wT, grouped, dcol], group) => ({
          fn: "conv2dBackwardInput",
          args: [
            arena.putGeometry(range),
            dyp + first * outSize(g) * F32,
            wp,
            wT,
            grouped,
            dcol,
            dx + first * inSize(g) * F32,
            group,
          ],
        }),
      );
      return arena.readF32(dx, n);
    },
    conv2dBackwardWeight(dy, x, g) {
      if (!isF32(dy, x)) return refKernels.conv2dBackwardWeight(dy, x, g);
      arena.reset();
      const dyp = arena.put(dy as Float32Array);
      const xp = arena.put(x as Float32Array);
      const n = g.outChannels * taps(g);
      const partials: number[] = [];
      runOverImages(
        g,
        (group) => [taps(g) * group * positions(g), outSize(g) * group, n],
        (range, first, [col, grouped, dw], group) => {
          partials.push(dw);
          return {
            fn: "conv2dBackwardWeight",
            args: [
              arena.putGeometry(range),
              dyp + first * outSize(g) * F32,
              xp + first * inSize(g) * F32,
              col,
              grouped,
              dw,
              group,
            ],
          };
        },
      );
      const dw = arena.readF32(partials[0], n);
      for (const partial of partials.slice(1)) {
        const more = arena.readF32(partial, n);
        for (let i = 0; i < n; i++) dw[i] += more[i];
      }
      return dw;
    },
    conv2dBackwardBias(dy, g) {
      if (!isF32(dy)) return refKernels.conv2dBackwardBias(dy, g);
      arena.reset();
      const gp = arena.putGeometry(g);
      const dyp = arena.put(dy as Float32Array);
      const db = arena.alloc(g.outChannels * F32);
      wasm.conv2dBackwardBias(gp, dyp, db);
      return arena.readF32(db, g.outChannels);
    },
    maxPool2dForward(x, g: Window2d) {
      if (!isF32(x)) return refKernels.maxPool2dForward(x, g);
      arena.reset();
      const gp = arena.putGeometry(g);
      const xp = arena.put(x as Float32Array);
      const n = g.batch * g.inChannels * g.outHeight * g.outWidth;
      const y = arena.alloc(n * F32);
      const argmax = arena.alloc(n * 4);
      wasm.maxPool2dForward(gp, xp, y, argmax);
      return { y: arena.readF32(y, n), argmax: arena.readI32(argmax, n) };
    },
    maxPool2dBackward(dy, argmax, g) {
      if (!isF32(dy)) return refKernels.maxPool2dBackward(dy, argmax, g);
      arena.reset();
      const dyp = arena.put(dy as Float32Array);
      const ap = arena.put(argmax);
      const n = g.batch * g.inChannels * g.inHeight * g.inWidth;
      const dx = arena.alloc(n * F32);
      wasm.maxPool2dBackward(dyp, ap, dy.length, dx, n);
      return arena.readF32(dx, n);
    },
    gemm(a, b, s: GemmShape) {
      if (!isF32(a, b)) return refKernels.gemm(a, b, s);
      arena.reset();
      const { m, k, n } = s;
      let ap = arena.put(a as Float32Array);
      const bp = arena.put(b as Float32Array);
      // The kernels take A as [M,K]: a transposed A is laid out that way first. B may come either way:
      // sgemm takes B [K,N], sgemmNT takes B [N,K] (dot products along K).
      if (s.transA) {
        const t = arena.alloc(m * k * F32);
        wasm.transpose(ap, k, m, t);
        ap = t;
      }
      const c = arena.alloc(m * n * F32);
      if (s.transB) wasm.sgemmNT(m, n, k, ap, k, bp, k, c, n, 0);
      else wasm.sgemm(m, n, k, ap, k, bp, n, c, n, 0);
      return arena.readF32(c, m * n);
    },
    relu(x) {
      if (!isF32(x)) return refKernels.relu(x);
      arena.reset();
      const xp = arena.put(x as Float32Array);
      const y = arena.alloc(x.length * F32);
      wasm.relu(xp, y, x.length);
      return arena.readF32(y, x.length);
    },
    reluBackward(dy, x) {
      if (!isF32(dy, x)) return refKernels.reluBackward(dy, x);
      arena.reset();
      const dyp = arena.put(dy as Float32Array);
      const xp = arena.put(x as Float32Array);
      const dx = arena.alloc(dy.length * F32);
      wasm.reluBackward(dyp, xp, dx, dy.length);
      return arena.readF32(dx, dy.length);
    },
  };
}
