import { TUTORIAL } from "./examples.js";
import { diffMatrices, sameNumber } from "./matrix.js";
import type { Check, ConvResult, FcResult, Matrix, OutputSize, PoolResult, ReluResult } from "./types.js";

/** Sets a printed value of the tutorial against the computed one; a string printed value (cut-off text) never agrees. */
export function check(
  id: string,
  section: string,
  printed: Matrix | number | string,
  computed: Matrix | number,
): Check {
  if (typeof printed === "string" || typeof computed === "number" || typeof printed === "number") {
    const agrees = typeof printed === "number" && typeof computed === "number" && sameNumber(printed, computed);
    return { id, section, printed, computed, agrees, mismatches: [] };
  }
  const mismatches = diffMatrices(printed, computed);
  const sameShape = printed.length === computed.length && printed[0]?.length === computed[0].length;
  return { id, section, printed, computed, agrees: sameShape && mismatches.length === 0, mismatches };
}

function windowAt(conv: ConvResult, i: number, j: number) {
  const found = conv.windows.find((w) => w.i === i && w.j === j);
  if (found === undefined) throw new Error(`checks: no window at (${i}, ${j})`);
  return found;
}

/** §2.1: the two worked windows, their products and sums, and the whole feature map, against the "7" computed. */
export function convChecks(conv: ConvResult): Check[] {
  const w00 = windowAt(conv, 0, 0);
  const w11 = windowAt(conv, 1, 1);
  const t = TUTORIAL;
  return [
    check("conv.window00", "2.1", t.printedWindow00, w00.window),
    check("conv.products00", "2.1", t.printedProducts00, w00.products),
    check("conv.sum00", "2.1", t.printedS00, w00.sum),
    check("conv.window11", "2.1", t.printedWindow11, w11.window),
    check("conv.products11", "2.1", t.printedProducts11, w11.products),
    check("conv.sum11", "2.1", t.printedS11, w11.sum),
    check("conv.featureMap", "2.1", t.printedFeatureMap, conv.featureMap),
  ];
}

/** §2.1 Padding và Stride: the size 3 of the example. */
export function paddingChecks(tutorialSize: OutputSize): Check[] {
  return [check("padding.outputSize", "2.1", TUTORIAL.outputSize.printed, tutorialSize.floored)];
}

/**
 * §2.2: ReLU of the feature map (printed unchanged, because the printed S has no negative number; the computed S
 * has one) and of the example with negatives.
 */
export function reluChecks(ofFeatureMap: ReluResult, ofNegatives: ReluResult): Check[] {
  return [
    {
      ...check("relu.featureMap", "2.2", TUTORIAL.printedReluOfFeatureMap, ofFeatureMap.output),
      cells: ofFeatureMap.zeroed,
    },
    check("relu.negatives", "2.2", TUTORIAL.printedReluOfNegativeMap, ofNegatives.output),
  ];
}

/** §2.3: the four window maxima and the pooled map. */
export function poolChecks(pool: PoolResult): Check[] {
  return [
    check("pool.maxima", "2.3", [[...TUTORIAL.printedPoolMaxima]], [pool.windows.map((w) => w.max)]),
    check("pool.output", "2.3", TUTORIAL.printedPooled, pool.output),
  ];
}

/** §2.4: the y₀ line, the cut-off y₁ line, the result y and the decision. */
export function fcChecks(fc: FcResult): Check[] {
  return [
    check("fc.y0", "2.4", TUTORIAL.printedY0, fc.y[0]),
    check("fc.y1Line", "2.4", TUTORIAL.printedY1Line, fc.y[1]),
    check("fc.y", "2.4", [[...TUTORIAL.printedY]], [fc.y]),
    check("fc.decision", "2.4", TUTORIAL.printedDecision, fc.decision),
  ];
}

/** §3 "Sau ReLU: Giữ nguyên vì không có số âm": whether the computed feature map of the "7" has no negative number. */
export function pipelineChecks(reluOfFeatureMap: ReluResult): Check[] {
  const negatives = reluOfFeatureMap.zeroed.length;
  return [
    {
      ...check("pipeline.noNegatives", "3", TUTORIAL.printedNoNegatives ? 0 : 1, negatives),
      cells: reluOfFeatureMap.zeroed,
    },
  ];
}
