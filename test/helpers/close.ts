import assert from "node:assert/strict";

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance, a fraction of |expected|. */
  rtol: number;
}

/**
 * Asserts |actual[i] − expected[i]| ≤ atol + rtol·|expected[i]| for every i, as `torch.allclose(actual, expected)`
 * (NaN only matches NaN, ±Infinity only itself). On failure it reports the worst index (the largest error measured
 * in units of its allowed tolerance), both values there, the tolerance and how many elements failed.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol }: Tolerance,
  label: string,
): void {
  assert.equal(actual.length, expected.length, `${label}: length ${actual.length}, expected ${expected.length}`);
  let worst = -1;
  let worstRatio = 0;
  let failures = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ratio: number;
    if (Number.isNaN(e) || Number.isNaN(a)) ratio = Number.isNaN(e) && Number.isNaN(a) ? 0 : Infinity;
    else if (!Number.isFinite(e) || !Number.isFinite(a)) ratio = a === e ? 0 : Infinity;
    else {
      const allowed = atol + rtol * Math.abs(e);
      const error = Math.abs(a - e);
      ratio = error === 0 ? 0 : allowed === 0 ? Infinity : error / allowed;
    }
    if (ratio > 1) failures++;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (failures > 0) {
    const a = actual[worst];
    const e = expected[worst];
    assert.fail(
      `${label}: ${failures} of ${expected.length} values differ beyond atol ${atol} + rtol ${rtol}·|expected|; ` +
        `worst at index ${worst}: actual ${a}, expected ${e}, |diff| ${Math.abs(a - e)} > allowed ` +
        `${atol + rtol * Math.abs(e)}`,
    );
  }
}
