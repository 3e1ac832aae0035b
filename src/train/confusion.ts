/**
 * The confusion matrix of a classifier, `confusion[true][predicted]` counts, and what the evaluation and the
 * confusion picture read off it. One copy for `evaluate` (the CLI's test accuracy) and convlab/plot's
 * `confusionMatrix` (a learner's own predictions), so both count alike.
 */

/** A `classes` × `classes` matrix of zeros. */
export function emptyConfusion(classes: number): number[][] {
  return Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
}

/** Adds each (label, prediction) pair to `confusion`; the caller has checked that they are classes of it. */
export function countInto(confusion: number[][], predicted: ArrayLike<number>, labels: ArrayLike<number>): void {
  for (let i = 0; i < labels.length; i++) confusion[labels[i]][predicted[i]]++;
}

/**
 * The right answers (the diagonal), their share of all examples, and each true class's accuracy (its diagonal cell
 * over its row; 0 for a class with no example, drawn as an empty bar).
 */
export function confusionStats(confusion: number[][]): {
  correct: number;
  accuracy: number;
  perClassAccuracy: number[];
} {
  let correct = 0;
  let total = 0;
  const perClassAccuracy = confusion.map((row, c) => {
    const count = row.reduce((a, v) => a + v, 0);
    correct += row[c];
    total += count;
    return row[c] / Math.max(1, count);
  });
  return { correct, accuracy: total === 0 ? 0 : correct / total, perClassAccuracy };
}
