import type { Matrix } from "./types.js";

/**
 * The numbers of the tutorial's theory part (sections 2.1–3), exactly as it prints them. The inputs (I, K, the
 * ReLU and pooling examples, x, W, b) are what the explanations compute from; the `printed…` values are the
 * tutorial's own results, kept only to be checked against the computation (see checks.ts), never used to compute.
 */
export const TUTORIAL = {
  /** §2.1: a 5×5 piece of a "7": 1 is the stroke, 0 the white background. */
  image: [
    [1, 1, 1, 0, 0],
    [0, 0, 1, 0, 0],
    [0, 0, 1, 1, 0],
    [0, 0, 0, 1, 0],
    [0, 0, 0, 1, 1],
  ] as Matrix,
  /** §2.1: the 3×3 kernel that finds horizontal lines (top row +1, bottom row −1). */
  kernel: [
    [1, 1, 1],
    [0, 0, 0],
    [-1, -1, -1],
  ] as Matrix,
  /** §2.1 "Bước 1": the window at (0, 0), its products with K, and S(0, 0). */
  printedWindow00: [
    [1, 1, 1],
    [0, 0, 1],
    [0, 0, 1],
  ] as Matrix,
  printedProducts00: [
    [1, 1, 1],
    [0, 0, 0],
    [0, 0, -1],
  ] as Matrix,
  printedS00: 2,
  /** §2.1 "Bước 2": the window at (1, 1), its products with K, and S(1, 1). */
  printedWindow11: [
    [0, 1, 0],
    [0, 1, 1],
    [0, 1, 0],
  ] as Matrix,
  printedProducts11: [
    [0, 1, 0],
    [0, 0, 0],
    [0, -1, 0],
  ] as Matrix,
  printedS11: 0,
  /** §2.1 "Feature map hoàn chỉnh", reused unchanged by §2.2 as the input of ReLU. */
  printedFeatureMap: [
    [2, 1, 0],
    [1, 0, 0],
    [0, 0, 1],
  ] as Matrix,
  /** §2.1 Padding và Stride: H = W = 5, F = 3, P = 0, S = 1 → 3. */
  outputSize: { size: 5, kernel: 3, padding: 0, stride: 1, printed: 3 },
  /** §2.2: ReLU(S) of the feature map above, printed unchanged ("không có số âm nên không đổi"). */
  printedReluOfFeatureMap: [
    [2, 1, 0],
    [1, 0, 0],
    [0, 0, 1],
  ] as Matrix,
  /** §2.2 "Ví dụ khác với số âm" and its printed ReLU. */
  negativeMap: [
    [2, -1, 0],
    [1, -2, 0],
    [0, 0, 1],
  ] as Matrix,
  printedReluOfNegativeMap: [
    [2, 0, 0],
    [1, 0, 0],
    [0, 0, 1],
  ] as Matrix,
  /** §2.3: a 4×4 feature map assumed for pooling (not computed from I), its four window maxima and the result. */
  poolMap: [
    [2, 1, 0, 0],
    [1, 2, 1, 0],
    [0, 1, 2, 1],
    [0, 0, 1, 2],
  ] as Matrix,
  printedPoolMaxima: [2, 1, 1, 2],
  printedPooled: [
    [2, 1],
    [1, 2],
  ] as Matrix,
  /** §2.4: x (the pooled map flattened), W, b for the classes "7" and "not 7", and the printed y. */
  x: [2, 1, 1, 2],
  weight: [
    [0.5, 0.2, 0.3, 0.4],
    [-0.1, 0.3, 0.2, -0.5],
  ] as Matrix,
  bias: [0.1, 0.2],
  printedY0: 2.4,
  /** The y₁ line ends in "= -": the number is cut off. */
  printedY1Line: "-",
  printedY: [2.4, -0.5],
  /** The printed decision: class 0, "7". */
  printedDecision: 0,
  /** §3 "Sau ReLU: Giữ nguyên vì không có số âm trong ví dụ này": the claim that S has no negative value. */
  printedNoNegatives: true,
} as const;

/** The classes of the §2.4 example, in the order of W's rows (their names for display are in messages.ts). */
export const FC_CLASSES = ["7", "not 7"];
