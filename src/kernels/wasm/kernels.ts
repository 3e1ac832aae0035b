import type { FloatStorage } from "../../tensor/tensor.js";
import { checkRuns } from "../ref/bytes.js";
import { refKernels } from "../ref/index.js";
import type { Conv2dGeometry, GemmShape, KernelName, KernelTable, Window2d } from "../types.js";
import type { WasmArena } from "./memory.js";
import { KernelThreads, guidedRanges, splitRange, type Job, type ThreadFunction } from "./threads.js";

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
  conv2dBackwardInput(g: number, dy: number, w: number, grouped: number, dcol: number, dx: number, group: number): void;
  conv2dBackwardWeight(g: number, dy: number, x: number, col: number, grouped: number, dw: number, group: number): void;
  conv2dBackwardBias(g: number, dy: number, db: number): void;
  conv2dReluMaxPool2dForward(
    g: number,
    pg: number,
    x: number,
    w: number,
    b: number,
    col: number,
    grouped: number,
    convOut: number,
    y: number,
    argmax: number,
    group: number,
    firstImage: number,
  ): void;
  maxPool2dForward(g: number, x: number, y: number, argmax: number, firstIndex: number): void;
  maxPool2dBackward(dy: number, argmax: number, outputs: number, dx: number, zeroFrom: number, zeroCount: number): void;
  conv2dReluMaxPool2dBackward(
    g: number,
    pg: number,
    dy: number,
    argmax: number,
    pooled: number,
    x: number,
    w: number,
    col: number,
    grouped: number,
    dcol: number,
    dconv: number,
    dx: number,
    dw: number,
    db: number,
    group: number,
    firstImage: number,
  ): void;
  im2colWeightsFloats(g: number): number;
  im2colWeights(g: number, w: number, out: number, forward: number, inputGradient: number): void;
  winogradApplies(g: number): number;
  winogradTiles(g: number): number;
  winogradWorkspaceFloats(g: number, group: number): number;
  winogradSavedTilesFloats(g: number, group: number): number;
  winogradWeightsFloats(g: number): number;
  winogradWeights(g: number, w: number, u: number, forward: number, inputGradientWeights: number): void;
  winogradPoolsWindows(g: number, pg: number): number;
  winogradConv2dForward(g: number, x: number, u: number, b: number, ws: number, y: number, group: number): void;
  winogradConv2dBackwardInput(g: number, dy: number, u: number, ws: number, dx: number, group: number): void;
  winogradConv2dBackwardWeight(g: number, dy: number, x: number, ws: number, du: number, group: number): void;
  winogradWeightGradient(g: number, du: number, dw: number): void;
  winogradConv2dReluMaxPool2dForward(
    g: number,
    pg: number,
    x: number,
    u: number,
    b: number,
    ws: number,
    convOut: number,
    y: number,
    argmax: number,
    group: number,
    firstImage: number,
    saved: number,
  ): void;
  winogradConv2dReluMaxPool2dBackward(
    g: number,
    pg: number,
    dy: number,
    argmax: number,
    pooled: number,
    x: number,
    u: number,
    ws: number,
    dconv: number,
    dx: number,
    du: number,
    db: number,
    group: number,
    firstImage: number,
    saved: number,
  ): void;
  relu(x: number, y: number, n: number): void;
  reluBackward(dy: number, x: number, dx: number, n: number): void;
  sumParts(pointers: number, count: number, n: number, out: number): void;
  bytesToUnit(x: number, y: number, n: number): void;
  heapBase(): number;
  usePackBuffer(ptr: number): void;
  PACK_BUFFER_BYTES: WebAssembly.Global;
}

const F32 = 4;

/**
 * The kernels the wasm backend leaves to `ref` on purpose, without a notice: each runs once per step on at most a
 * batch of logits (N × 10 values) or one parameter's gradient, a sliver of a step's time next to the convolutions,
 * GEMMs and pooling (STYLE: hand-write only the hot kernels; `convlab bench` shows the split). Any other kernel that
 * the backend lacked would fall back to `ref` with a one-line notice (see registerBackend).
 */
export const WASM_USES_REF = [
  "add",
  "mul",
  "reduceBroadcast",
  "sumAxis",
  "logSoftmax",
  "logSoftmaxBackward",
  "softmax",
  "softmaxBackward",
  "nllLoss",
  "nllLossBackward",
  "argmax",
] as const satisfies readonly KernelName[];

/** The kernels the wasm backend provides itself: all but {@link WASM_USES_REF}. */
export type WasmKernelName = Exclude<KernelName, (typeof WASM_USES_REF)[number]>;

function isF32(...arrays: (FloatStorage | null)[]): boolean {
  return arrays.every((a) => a === null || a instanceof Float32Array);
}

/** Columns per GEMM (images × positions) for images with few positions: enough to fill the SIMD blocks. */
const GEMM_COLUMNS = 1024;
/**
 * Ranges a batch of small images (conv3's, grouped by GEMM columns) is cut into at least, when it has that many
 * images: groups of images are made no larger, so that the threads have ranges to share.
 */
const MIN_RANGES = 8;
/** Elements each job must get before a memory-bound kernel is split into one job per thread. */
const MIN_SPLIT = 32_768;
/**
 * Multiply-adds each job must get before a matrix product (fc1's, forward and backward: 512k) is split into one job
 * per thread: a few microseconds of work against a dispatch of about one.
 */
const MIN_GEMM_SPLIT = 65_536;
/** Positions from which an image's GEMM goes alone, reading and writing NCHW in place (see assembly/conv.ts). */
const ALONE_POSITIONS = 64;
/**
 * Tiles per Winograd group (the columns of its 16 GEMMs): 8 images of the pooled conv2's 25 tiles, a multiple of the
 * GEMM's 8-column blocks (no zero columns), whose transformed inputs and products (16·(16 + 32)·200 floats, 614 KB)
 * stay in a 1 MB L2 cache. Against groups of 72 tiles (3 images, 80 columns), alternated in one process on the
 * 2-core machine: a training step 4–10% shorter, inference 2–8% faster; 100 and 150 came between.
 */
const WINOGRAD_TILES = 200;

let winogradEnabled = true;

/**
 * Whether 3×3 stride-1 convolutions go through Winograd F(2×2, 3×3) (assembly/winograd.ts; the default) or
 * through im2col + GEMM like the others. For comparisons (the bench, the tests); both give the convolution, rounded
 * differently.
 */
export function setWinograd(enabled: boolean): void {
  winogradEnabled = enabled;
}

/**
 * The path a convolution takes in one call (see convPath in wasmKernels): Winograd, with its tiles per image, or
 * im2col + GEMM (tiles 0); the weights its kernels read, made once a call (Winograd's transformed ones, or
 * im2colWeights' packed ones; 0 where none are needed); and its scratch buffers' floats for a group of images.
 */
interface ConvPath {
  tiles: number;
  weights: number;
  scratch: (group: number) => number[];
  /** Floats of a job's partial weight gradient: dw's, or Winograd's sums dU (see weightGradient). */
  weightGradFloats: number;
  /** The convolution's geometry in wasm memory. */
  geometry: number;
}

/**
 * The rows and columns of a convolution's output that `pool` reads, as the geometries the fused kernels run on. A
 * pool without ceil mode drops the last rows and columns that no window reaches (conv2's 11×11 output: its 2×2 pool
 * reads 10×10; conv3's 3×3: 2×2), so the fused kernels neither compute them nor, backward, take gradient from them
 * (it is 0 there): the same values and gradients for less work. The winners' indices are then those of the cropped
 * output, which only the fused backward reads, cropping the same way.
 */
export function pooledRegion(g: Conv2dGeometry, pool: Window2d): { conv: Conv2dGeometry; pool: Window2d } {
  const read = (out: number, stride: number, pad: number, kernel: number, size: number) =>
    Math.min(size, (out - 1) * stride - pad + kernel);
  const rows = read(pool.outHeight, pool.strideHeight, pool.padHeight, pool.kernelHeight, g.outHeight);
  const cols = read(pool.outWidth, pool.strideWidth, pool.padWidth, pool.kernelWidth, g.outWidth);
  if (rows === g.outHeight && cols === g.outWidth) return { conv: g, pool };
  return { conv: { ...g, outHeight: rows, outWidth: cols }, pool: { ...pool, inHeight: rows, inWidth: cols } };
}

/**
 * The `wasm` backend's kernels: float32 SIMD in WebAssembly. Each reads its inputs in place if they are views of the
 * arena (results of earlier kernels in a tidy() scope), else copies them in, and returns its result as such a view
 * in a scope, else as a heap copy (see {@link WasmArena}). Float64 inputs (gradient checks) go to the reference
 * kernels, which are the oracle anyway.
 *
 * With worker threads, a kernel call is cut into jobs, contiguous ranges of the batch's images, and posted to
 * {@link KernelThreads}, which deals each thread, the calling one included, a block of consecutive jobs of about
 * equal images (the same images from one call to the next, still in that thread's cache); a thread whose block is
 * done takes the others' from their far ends, so a thread that runs slower simply takes fewer. The convolutions are
 * cut into guided ranges (guidedRanges: large first, then smaller), the same for any number of threads; the
 * memory-bound kernels (max-pool, relu, whose ranges are of elements) into one range per thread, and only when each
 * range gets MIN_SPLIT elements, and the matrix products likewise at MIN_GEMM_SPLIT multiply-adds. Each job gets its
 * own geometry (batch = its range's size), pointers offset to its first image, and its own scratch, sized for the
 * group of images that one GEMM takes, since any thread may run it. The weight and bias gradients sum over the
 * batch, so each job fills a partial buffer of its own, and the partials are added at the end in range order: the
 * result depends neither on which thread ran which job nor on how many threads there are.
 *
 * Kernels in {@link WASM_USES_REF} are not here: they are `ref`'s, on purpose. The return type lists every other
 * kernel, so leaving one out is a compile error, not a silent fallback.
 */
export function wasmKernels(
  wasm: WasmExports,
  arena: WasmArena,
  threads: KernelThreads | null,
): Pick<KernelTable, WasmKernelName> {
  const taps = (g: Conv2dGeometry) => g.inChannels * g.kernelHeight * g.kernelWidth;
  const positions = (g: Conv2dGeometry) => g.outHeight * g.outWidth;
  const inSize = (g: Conv2dGeometry) => g.inChannels * g.inHeight * g.inWidth;
  const outSize = (g: Conv2dGeometry) => g.outChannels * positions(g);

  /**
   * Runs the jobs: in order on the calling thread when there are no workers (or one job), else through
   * {@link KernelThreads.run}, where all threads take them (their own block first) until none is left.
   */
  const run = (jobs: Job[]): void => {
    if (threads === null || jobs.length === 1) {
      for (const { fn, args } of jobs) (wasm[fn] as (...a: number[]) => void)(...args);
    } else {
      threads.run(jobs);
    }
  };

  /** Splits [0, count) into `parts` contiguous ranges and runs `job(start, end)` for each. */
  const runSplit = (count: number, parts: number, job: (start: number, end: number) => Job): void => {
    run(splitRange(count, Math.max(1, parts)).map(([start, end]) => job(start, end)));
  };

  /**
   * As many ranges as threads for a memory-bound kernel over `count` items (fewer when a range would get fewer than
   * `minPerThread`, down to a single one): smaller work does not repay the dispatch.
   */
  const threadParts = (count: number, minPerThread: number) =>
    Math.min(threads?.size ?? 1, Math.floor(count / minPerThread));

  /** Images a job's kernel takes at a time for convolution g (`tiles` an image on Winograd's path, else 0). */
  const groupOf = (g: Conv2dGeometry, tiles: number): number => {
    const P = positions(g);
    const [columns, perImage] = tiles > 0 ? [WINOGRAD_TILES, tiles] : [GEMM_COLUMNS, P];
    return tiles === 0 && P >= ALONE_POSITIONS
      ? 1
      : Math.max(1, Math.min(Math.ceil(g.batch / MIN_RANGES), Math.round(columns / perImage)));
  };

  /**
   * Runs a convolution over guided ranges of whole groups of images (guidedRanges, at most KernelThreads.maxJobs),
   * which the threads take as they come free, so a slower thread takes fewer. A Winograd convolution (`tiles` an
   * image) groups images by tiles (WINOGRAD_TILES), the others by GEMM columns. `scratch(group)` lists the floats of
   * each scratch buffer for a group of that many images: every thread gets a set of its own (see Job.perThread),
   * which stays warm in its cache from one job to the next. `outputs` lists the floats of each buffer a job fills for
   * itself (partial gradients, summed in range order after). `job` builds a job from its range's geometry (g with the
   * range as its batch, in wasm memory), first image, thread 0's scratch, its outputs and the group size.
   */
  const runOverImages = (
    g: Conv2dGeometry,
    scratch: (group: number) => number[],
    outputs: number[],
    job: (geometry: number, first: number, scratch: number[], outputs: number[], group: number) => Job,
    tiles = 0,
  ): void => {
    const group = groupOf(g, tiles);
    // Each thread's scratch set is allocated after the one before, with the same sizes, so all lie `stride` apart.
    const sizes = scratch(group);
    const sets = Array.from({ length: threads?.size ?? 1 }, () => sizes.map((floats) => arena.alloc(floats * F32)));
    const stride = sets.length > 1 && sizes.length > 0 ? sets[1][0] - sets[0][0] : 0;
    const ownScratch = new Set(sets[0]);
    // A range's geometry is g with the range's images as its batch; ranges of the same size share one.
    const geometries = new Map<number, number>();
    const geometryOf = (images: number) => {
      let geometry = geometries.get(images);
      if (geometry === undefined) geometries.set(images, (geometry = arena.putGeometry(g, images)));
      return geometry;
    };
    run(
      guidedRanges(g.batch, group, KernelThreads.maxJobs).map(([n0, n1]) => {
        const own = outputs.map((floats) => arena.alloc(floats * F32));
        const built = job(geometryOf(n1 - n0), n0, sets[0], own, group);
        // The arguments that are thread 0's scratch pointers (no other argument can equal one: they are addresses
        // of this call's allocations, and the sizes and counts are far smaller).
        const perThread = built.args.reduce((mask, arg, i) => (ownScratch.has(arg) ? mask | (1 << i) : mask), 0);
        // Spelled out: an object spread ({ ...built, … }) cost 1.6 µs a job here.
        return { fn: built.fn, args: built.args, perThread, threadStride: stride, weight: n1 - n0 };
      }),
    );
  };

  /**
   * How convolution `g` runs in this call: through Winograd (assembly/winograd.ts) where it applies and
   * {@link setWinograd} allows, with its weights transformed once for all jobs and one workspace per thread; else
   * through im2col + GEMM (or the direct kernels), with its weights prepared once for all jobs (im2colWeights:
   * packed, and transposed for the input gradient) and `im2colScratch`. `use` says what the weights `wp` serve: the
   * forward, the input gradient, or nothing (the weight gradient). `pool`, the fused backward's pool geometry: where
   * Winograd's tiles are its windows, that backward takes the input gradient from the windows' alone, through the
   * weights' TAPS (see pooledInputGradient in assembly/winograd.ts) rather than their transposed transforms.
   */
  const convPath = (
    g: Conv2dGeometry,
    wp: number,
    im2colScratch: (group: number) => number[],
    use: "forward" | "inputGradient" | "none",
    pool = 0,
  ): ConvPath => {
    const geometry = arena.putGeometry(g);
    if (!winogradEnabled || wasm.winogradApplies(geometry) === 0) {
      let weights = 0;
      if (use !== "none") {
        weights = arena.alloc(wasm.im2colWeightsFloats(geometry) * F32);
        wasm.im2colWeights(geometry, wp, weights, Number(use === "forward"), Number(use === "inputGradient"));
      }
      return {
        tiles: 0,
        weights,
        scratch: im2colScratch,
        weightGradFloats: g.outChannels * taps(g),
        geometry,
      };
    }
    let weights = 0;
    if (use !== "none") {
      // U (forward) or its transpose per position (input gradient), packed for the GEMM, or the TAPS, once for all jobs.
      weights = arena.alloc(wasm.winogradWeightsFloats(geometry) * F32);
      const taps = use === "inputGradient" && pool !== 0 && wasm.winogradPoolsWindows(geometry, pool) !== 0;
      const inputGradientWeights = use !== "inputGradient" ? 0 : taps ? 2 : 1;
      wasm.winogradWeights(geometry, wp, weights, Number(use === "forward"), inputGradientWeights);
    }
    return {
      tiles: wasm.winogradTiles(geometry),
      weights,
      scratch: (group) => [wasm.winogradWorkspaceFloats(geometry, group)],
      weightGradFloats: 16 * g.outChannels * g.inChannels,
      geometry,
    };
  };

  /**
   * Runs a convolution kernel over ranges of images (see runOverImages) on its path: `fns` names its im2col and its
   * Winograd export, `scratch(group)` the scratch both need after the path's own (thread 0's set comes to `args`
   * after the path's), `outputs` the buffers each job fills, and `args` builds a job's arguments from its range's
   * geometry, first image, scratch, outputs and the group size. The two exports of a kernel take the same arguments,
   * but for the weights and the path's scratch.
   */
  const runConvolution = (
    g: Conv2dGeometry,
    path: ConvPath,
    fns: [im2col: ThreadFunction, winograd: ThreadFunction],
    scratch: (group: number) => number[],
    outputs: number[],
    args: (geometry: number, first: number, scratch: number[], outputs: number[], group: number) => number[],
  ): void => {
    runOverImages(
      g,
      (group) => [...path.scratch(group), ...scratch(group)],
      outputs,
      (geometry, first, buffers, own, group) => ({
        fn: fns[path.tiles > 0 ? 1 : 0],
        args: args(geometry, first, buffers, own, group),
      }),
      path.tiles,
    );
  };

  /** Floats of a bias-gradient buffer: C_out for db, then the lanes that assembly/conv.ts sums into. */
  const biasFloats = (g: Conv2dGeometry) => 6 * g.outChannels + 4;

  /**
   * The sum of the jobs' partial results (`n` floats of scratch at each address), in range order, whichever thread
   * filled each one.
   */
  const sumPartials = (partials: number[], n: number): Float32Array => arena.readF32(sumParts(partials, n), n);

  /** The sum of the jobs' partials, as sumPartials, left in wasm memory: its address. */
  const sumParts = (partials: number[], n: number): number => {
    const total = arena.alloc(n * F32);
    wasm.sumParts(arena.put(Int32Array.from(partials)), partials.length, n, total);
    return total;
  };

  /**
   * The weight gradient (`n` floats) from the jobs' partials on `path`: their sum, and on Winograd's path, where the
   * jobs leave the sums dU of the transformed space, Gᵀ dU G of that sum (winogradWeightGradient), once per call.
   */
  const weightGradient = (path: ConvPath, partials: number[], n: number): Float32Array => {
    if (path.tiles === 0) return sumPartials(partials, n);
    const dw = arena.alloc(n * F32);
    wasm.winogradWeightGradient(path.geometry, sumParts(partials, path.weightGradFloats), dw);
    return arena.readF32(dw, n);
  };

  /**
   * Room for the input tiles that a Winograd forward of convolution g keeps for its backward (winogradSavedTilesFloats
   * a group, see groupOf), as an arena result, and its floats; none (0, 0) off Winograd's path, or where results are
   * not lent but copied out (outside a tidy() scope), since copying them out and back would cost more than the
   * transform they spare.
   */
  const savedTiles = (g: Conv2dGeometry): { at: number; floats: number } => {
    if (!winogradEnabled || !arena.lendsResults()) return { at: 0, floats: 0 };
    const geometry = arena.putGeometry(g);
    if (wasm.winogradApplies(geometry) === 0) return { at: 0, floats: 0 };
    const group = groupOf(g, wasm.winogradTiles(geometry));
    const floats = Math.ceil(g.batch / group) * wasm.winogradSavedTilesFloats(geometry, group);
    return { at: arena.result(floats * F32), floats };
  };

  /**
   * maxPool2d(relu(conv2d(x, w, b))) into arena results: y, and the winners' indices when `indices` (else argmax is
   * 0 and the kernels pool with plain maxima), with the input tiles kept for the backward (savedTiles) then too.
   * Returns their addresses and y's length.
   */
  const convReluPool = (
    x: Float32Array,
    w: Float32Array,
    b: Float32Array | null,
    whole: Conv2dGeometry,
    wholePool: Window2d,
    indices: boolean,
  ): { y: number; argmax: number; n: number; saved: { at: number; floats: number } } => {
    const { conv: g, pool } = pooledRegion(whole, wholePool);
    arena.beginCall();
    const pooledPerImage = pool.inChannels * pool.outHeight * pool.outWidth;
    const n = g.batch * pooledPerImage;
    const y = arena.result(n * F32);
    const argmax = indices ? arena.result(n * 4) : 0;
    const saved = indices ? savedTiles(g) : { at: 0, floats: 0 };
    const xp = arena.input(x);
    const wp = arena.input(w);
    const bp = b === null ? 0 : arena.input(b);
    const pg = arena.putGeometry(pool, 1);
    const path = convPath(g, wp, (group) => [taps(g) * group * positions(g), outSize(g) * group], "forward");
    runConvolution(
      g,
      path,
      ["conv2dReluMaxPool2dForward", "winogradConv2dReluMaxPool2dForward"],
      // The convolution's output, for the kernels that pool it after.
      (group) => [outSize(g) * group],
      [],
      (geometry, first, scratch, _, group) => [
        geometry,
        pg,
        xp + first * inSize(g) * F32,
        path.weights,
        bp,
        ...scratch,
        y + first * pooledPerImage * F32,
        indices ? argmax + first * pooledPerImage * 4 : 0,
        group,
        first,
        savedSlot(path, saved.at, first, group),
      ],
    );
    return { y, argmax, n, saved };
  };

  /**
   * The address of the saved input tiles of the group that starts at image `first` (a job's first, a whole number of
   * groups in), or 0 when there are none. The im2col kernels ignore this last argument.
   */
  const savedSlot = (path: ConvPath, saved: number, first: number, group: number): number =>
    saved === 0 || path.tiles === 0
      ? 0
      : saved + (first / group) * wasm.winogradSavedTilesFloats(path.geometry, group) * F32;

  return {
    conv2dForward(x, w, b, g) {
      if (!isF32(x, w, b)) return refKernels.conv2dForward(x, w, b, g);
      arena.beginCall();
      const n = g.batch * outSize(g);
      const y = arena.result(n * F32);
      const xp = arena.input(x as Float32Array);
      const wp = arena.input(w as Float32Array);
      const bp = b === null ? 0 : arena.input(b as Float32Array);
      const path = convPath(g, wp, (group) => [taps(g) * group * positions(g), outSize(g) * group], "forward");
      runConvolution(
        g,
        path,
        ["conv2dForward", "winogradConv2dForward"],
        () => [],
        [],
        (geometry, first, scratch, _, group) => [
          geometry,
          xp + first * inSize(g) * F32,
          path.weights,
          bp,
          ...scratch,
          y + first * outSize(g) * F32,
          group,
        ],
      );
      return arena.readF32(y, n);
    },
    conv2dBackwardInput(dy, w, g) {
      if (!isF32(dy, w)) return refKernels.conv2dBackwardInput(dy, w, g);
      arena.beginCall();
      const n = g.batch * inSize(g);
      const dx = arena.result(n * F32);
      const dyp = arena.input(dy as Float32Array);
      const wp = arena.input(w as Float32Array);
      const path = convPath(g, wp, (group) => [outSize(g) * group, taps(g) * group * positions(g)], "inputGradient");
      runConvolution(
        g,
        path,
        ["conv2dBackwardInput", "winogradConv2dBackwardInput"],
        () => [],
        [],
        (geometry, first, scratch, _, group) => [
          geometry,
          dyp + first * outSize(g) * F32,
          path.weights,
          ...scratch,
          dx + first * inSize(g) * F32,
          group,
        ],
      );
      return arena.readF32(dx, n);
    },
    conv2dBackwardWeight(dy, x, g) {
      if (!isF32(dy, x)) return refKernels.conv2dBackwardWeight(dy, x, g);
      arena.beginCall();
      const dyp = arena.input(dy as Float32Array);
      const xp = arena.input(x as Float32Array);
      const n = g.outChannels * taps(g);
      const partials: number[] = [];
      // The weight gradient needs no weights: none transformed.
      const path = convPath(g, 0, (group) => [taps(g) * group * positions(g), outSize(g) * group], "none");
      runConvolution(
        g,
        path,
        ["conv2dBackwardWeight", "winogradConv2dBackwardWeight"],
        () => [],
        [path.weightGradFloats],
        (geometry, first, scratch, [dw], group) => {
          partials.push(dw);
          return [geometry, dyp + first * outSize(g) * F32, xp + first * inSize(g) * F32, ...scratch, dw, group];
        },
      );
      return weightGradient(path, partials, n);
    },
    conv2dBackwardBias(dy, g) {
      if (!isF32(dy)) return refKernels.conv2dBackwardBias(dy, g);
      arena.beginCall();
      const dyp = arena.input(dy as Float32Array);
      const partials: number[] = [];
      runOverImages(
        g,
        () => [],
        [biasFloats(g)],
        (geometry, first, _, [db]) => {
          partials.push(db);
          return { fn: "conv2dBackwardBias", args: [geometry, dyp + first * outSize(g) * F32, db] };
        },
      );
      return sumPartials(partials, g.outChannels);
    },
    maxPool2dForward(x, g: Window2d) {
      if (!isF32(x)) return refKernels.maxPool2dForward(x, g);
      arena.beginCall();
      const n = g.batch * g.inChannels * g.outHeight * g.outWidth;
      const y = arena.result(n * F32);
      const argmax = arena.result(n * 4);
      const xp = arena.input(x as Float32Array);
      const inPerImage = g.inChannels * g.inHeight * g.inWidth;
      const outPerImage = g.inChannels * g.outHeight * g.outWidth;
      runSplit(g.batch, threadParts(g.batch, Math.ceil(MIN_SPLIT / inPerImage)), (n0, n1) => ({
        fn: "maxPool2dForward",
        args: [
          arena.putGeometry(g, n1 - n0),
          xp + n0 * inPerImage * F32,
          y + n0 * outPerImage * F32,
          argmax + n0 * outPerImage * 4,
          n0 * inPerImage,
        ],
      }));
      return { y: arena.readF32(y, n), argmax: arena.readI32(argmax, n) };
    },
    maxPool2dBackward(dy, argmax, g) {
      if (!isF32(dy)) return refKernels.maxPool2dBackward(dy, argmax, g);
      arena.beginCall();
      const n = g.batch * g.inChannels * g.inHeight * g.inWidth;
      const dx = arena.result(n * F32);
      const dyp = arena.input(dy as Float32Array);
      const ap = arena.input(argmax);
      const inPerImage = g.inChannels * g.inHeight * g.inWidth;
      const outPerImage = g.inChannels * g.outHeight * g.outWidth;
      // Each range zeroes and fills only its own images' part of dx.
      runSplit(g.batch, threadParts(g.batch, Math.ceil(MIN_SPLIT / inPerImage)), (n0, n1) => ({
        fn: "maxPool2dBackward",
        args: [
          dyp + n0 * outPerImage * F32,
          ap + n0 * outPerImage * 4,
          (n1 - n0) * outPerImage,
          dx,
          n0 * inPerImage,
          (n1 - n0) * inPerImage,
        ],
      }));
      return arena.readF32(dx, n);
    },
    conv2dReluMaxPool2dForward(x, w, b, g, pool) {
      if (!isF32(x, w, b)) return refKernels.conv2dReluMaxPool2dForward(x, w, b, g, pool);
      const { y, argmax, n, saved } = convReluPool(
        x as Float32Array,
        w as Float32Array,
        b as Float32Array | null,
        g,
        pool,
        true,
      );
      return {
        y: arena.readF32(y, n),
        argmax: arena.readI32(argmax, n),
        ...(saved.at !== 0 ? { saved: arena.readF32(saved.at, saved.floats) } : {}),
      };
    },
    conv2dReluMaxPool2dValues(x, w, b, g, pool) {
      if (!isF32(x, w, b)) return refKernels.conv2dReluMaxPool2dValues(x, w, b, g, pool);
      const { y, n } = convReluPool(x as Float32Array, w as Float32Array, b as Float32Array | null, g, pool, false);
      return arena.readF32(y, n);
    },
    conv2dReluMaxPool2dBackward(dy, argmax, pooled, x, w, whole, wholePool, need, saved) {
      if (!isF32(dy, pooled, x, w)) {
        return refKernels.conv2dReluMaxPool2dBackward(dy, argmax, pooled, x, w, whole, wholePool, need);
      }
      const { conv: g, pool } = pooledRegion(whole, wholePool);
      const [needInput, needWeight, needBias] = need;
      arena.beginCall();
      const dx = needInput ? arena.result(g.batch * inSize(g) * F32) : 0;
      const dyp = arena.input(dy as Float32Array);
      const ap = arena.input(argmax);
      const pp = arena.input(pooled as Float32Array);
      const xp = arena.input(x as Float32Array);
      const wp = arena.input(w as Float32Array);
      const sp = saved === undefined ? 0 : arena.input(saved as Float32Array);
      const pg = arena.putGeometry(pool, 1);
      const pooledPerImage = pool.inChannels * pool.outHeight * pool.outWidth;
      const dwParts: number[] = [];
      const dbParts: number[] = [];
      const path = convPath(
        g,
        wp,
        (group) => {
          const columns = taps(g) * group * positions(g);
          return [columns, outSize(g) * group, columns];
        },
        needInput ? "inputGradient" : "none",
        pg,
      );
      runConvolution(
        g,
        path,
        ["conv2dReluMaxPool2dBackward", "winogradConv2dReluMaxPool2dBackward"],
        // The convolution's output gradient (dconv); each job's partial weight and bias gradients.
        (group) => [outSize(g) * group],
        [path.weightGradFloats, biasFloats(g)],
        (geometry, first, scratch, [dw, db], group) => {
          dwParts.push(dw);
          dbParts.push(db);
          return [
            geometry,
            pg,
            dyp + first * pooledPerImage * F32,
            ap + first * pooledPerImage * 4,
            pp + first * pooledPerImage * F32,
            xp + first * inSize(g) * F32,
            path.weights,
            ...scratch,
            needInput ? dx + first * inSize(g) * F32 : 0,
            needWeight ? dw : 0,
            needBias ? db : 0,
            group,
            first,
            savedSlot(path, sp, first, group),
          ];
        },
      );
      return [
        needInput ? arena.readF32(dx, g.batch * inSize(g)) : null,
        needWeight ? weightGradient(path, dwParts, w.length) : null,
        needBias ? sumPartials(dbParts, g.outChannels) : null,
      ];
    },
    gemm(a, b, s: GemmShape) {
      if (!isF32(a, b)) return refKernels.gemm(a, b, s);
      arena.beginCall();
      const { m, k, n } = s;
      const c = arena.result(m * n * F32);
      let ap = arena.input(a as Float32Array);
      const bp = arena.input(b as Float32Array);
      // The kernels take A as [M,K]: a transposed A is laid out that way first. B may come either way:
      // sgemm takes B [K,N], sgemmNT takes B [N,K] (dot products along K).
      if (s.transA) {
        const t = arena.alloc(m * k * F32);
        wasm.transpose(ap, k, m, t);
        ap = t;
      }
      // Split across the threads along the longer of C's sides, at whole blocks of the kernel (4 rows; 8 columns,
      // or sgemmNT's 2), so that every element is the same sum, in the same order, as in one call.
      const fn = s.transB ? "sgemmNT" : "sgemm";
      const ldb = s.transB ? k : n;
      const parts = threadParts(m * n * k, MIN_GEMM_SPLIT);
      const alongRows = m >= n;
      const unit = alongRows ? 4 : s.transB ? 2 : 8;
      const extent = alongRows ? m : n;
      runSplit(Math.ceil(extent / unit), parts, (u0, u1) => {
        const [i0, i1] = [u0 * unit, Math.min(extent, u1 * unit)];
        if (alongRows) return { fn, args: [i1 - i0, n, k, ap + i0 * k * F32, k, bp, ldb, c + i0 * n * F32, n, 0] };
        // Columns j of C are columns j of B [K,N], or rows j of B [N,K] (sgemmNT).
        const b0 = bp + (s.transB ? i0 * k : i0) * F32;
        return { fn, args: [m, i1 - i0, k, ap, k, b0, ldb, c + i0 * F32, n, 0] };
      });
      return arena.readF32(c, m * n);
    },
    relu(x) {
      if (!isF32(x)) return refKernels.relu(x);
      arena.beginCall();
      const y = arena.result(x.length * F32);
      const xp = arena.input(x as Float32Array);
      runSplit(x.length, threadParts(x.length, MIN_SPLIT), (i0, i1) => ({
        fn: "relu",
        args: [xp + i0 * F32, y + i0 * F32, i1 - i0],
      }));
      return arena.readF32(y, x.length);
    },
    reluBackward(dy, x) {
      if (!isF32(dy, x)) return refKernels.reluBackward(dy, x);
      arena.beginCall();
      const dx = arena.result(dy.length * F32);
      const dyp = arena.input(dy as Float32Array);
      const xp = arena.input(x as Float32Array);
      runSplit(dy.length, threadParts(dy.length, MIN_SPLIT), (i0, i1) => ({
        fn: "reluBackward",
        args: [dyp + i0 * F32, xp + i0 * F32, dx + i0 * F32, i1 - i0],
      }));
      return arena.readF32(dx, dy.length);
    },
    bytesToUnit(bytes, starts, size) {
      checkRuns(bytes, starts, size);
      const n = starts.length * size;
      arena.beginCall();
      const y = arena.result(n * F32);
      const x = arena.alloc(n);
      const gathered = new Uint8Array(arena.memory.buffer, x, n);
      for (let k = 0; k < starts.length; k++) gathered.set(bytes.subarray(starts[k], starts[k] + size), k * size);
      runSplit(n, threadParts(n, MIN_SPLIT), (i0, i1) => ({
        fn: "bytesToUnit",
        args: [x + i0, y + i0 * F32, i1 - i0],
      }));
      return arena.readF32(y, n);
    },
  };
}
