import { outputSize } from "../ops/window.js";
import { explainConv, type ConvOptions } from "./conv.js";
import { explainFc } from "./fc.js";
import { explainPool } from "./pool.js";
import { explainRelu } from "./relu.js";
import type { Matrix, PipelineResult } from "./types.js";

/** The fully connected layer at the end of a pipeline, used when the flattened map has as many numbers as W columns. */
export interface PipelineFc {
  weight: Matrix;
  bias: number[];
  classes: string[];
}

/**
 * Section 3's chain, conv → ReLU → 2×2 max pool (stride 2) → flatten ("duỗi") → fully connected, each step the
 * library's op on the previous step's output. The tutorial never runs the chain on its "7": with P = 0 the 3×3 feature
 * map pools to ⌊(3 − 2)/2⌋ + 1 = 1×1, one number where its W needs 4. Padding P = 1 keeps the map 5×5 (the use of
 * padding the tutorial gives), which pools to ⌊(5 − 2)/2⌋ + 1 = 2×2 = 4 numbers, so the tutorial's W and b apply.
 */
export function explainPipeline(
  image: Matrix,
  kernel: Matrix,
  conv: ConvOptions,
  fc: PipelineFc | null,
): PipelineResult {
  const convResult = explainConv(image, kernel, conv);
  const relu = explainRelu(convResult.featureMap);
  const pool = explainPool(relu.output);
  const flat = pool.output.flat();
  const fits = fc !== null && fc.weight[0].length === flat.length;
  const unpadded = outputSize("explain", "height", image.length, kernel.length, 1, 0);
  return {
    conv: convResult,
    relu,
    pool,
    flat,
    fc: fits ? explainFc(flat, fc.weight, fc.bias, fc.classes) : null,
    unpaddedPoolSize:
      (conv.padding ?? 0) > 0 && unpadded >= 2 ? outputSize("explain", "size", unpadded, 2, 2, 0) : null,
  };
}
