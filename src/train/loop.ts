import { noGrad } from "../autograd/graph.js";
import type { DataLoader } from "../data/dataloader.js";
import type { Module } from "../nn/module.js";
import { crossEntropy } from "../ops/loss.js";
import { argmax } from "../ops/reduce.js";
import type { Optimizer } from "../optim/optimizer.js";

/** Raised when the loss stops being a finite number: training cannot recover, so it stops with advice. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
    lr: number,
  ) {
    super(
      `the loss became ${loss} at epoch ${epoch}, batch ${batch}: training diverged. ` +
        `lr ${lr} is probably too large; try ${lr / 10} (the tutorial uses 0.01), or lower the momentum`,
    );
  }
}

export interface BatchReport {
  epoch: number;
  /** 1-based index of the batch within the epoch. */
  batch: number;
  batches: number;
  loss: number;
  examples: number;
}

export interface EpochResult {
  /** Mean of the per-batch losses, as the tutorial's `running_loss / len(train_loader)`. */
  loss: number;
  batchLosses: number[];
  seconds: number;
}

/**
 * One pass over the training data, the tutorial's inner loop: for each batch, zero_grad, forward, cross-entropy,
 * backward, step. A NaN or infinite loss stops it with a {@link NonFiniteLossError} before the step that would
 * spread the NaN into the weights.
 */
export function trainEpoch(
  model: Module,
  loader: DataLoader,
  optimizer: Optimizer & { lr: number },
  epoch: number,
  onBatch?: (report: BatchReport) => void,
): EpochResult {
  const start = performance.now();
  model.train();
  const batchLosses: number[] = [];
  let b = 0;
  for (const { inputs, labels } of loader) {
    b++;
    optimizer.zeroGrad();
    const loss = crossEntropy(model.forward(inputs), labels);
    const value = loss.item();
    if (!Number.isFinite(value)) throw new NonFiniteLossError(epoch, b, value, optimizer.lr);
    loss.backward();
    optimizer.step();
    batchLosses.push(value);
    onBatch?.({ epoch, batch: b, batches: loader.length, loss: value, examples: labels.length });
  }
  const loss = batchLosses.reduce((a, v) => a + v, 0) / batchLosses.length;
  return { loss, batchLosses, seconds: (performance.now() - start) / 1000 };
}

export interface EvalResult {
  /** Mean cross-entropy over all test examples. */
  loss: number;
  /** Fraction of examples whose argmax prediction equals the label, in [0, 1]. */
  accuracy: number;
  correct: number;
  total: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** Accuracy of each true class. */
  perClassAccuracy: number[];
}

/** Test-set evaluation under noGrad, as the tutorial's `with torch.no_grad()` loop, plus loss and a confusion matrix. */
export function evaluate(model: Module, loader: DataLoader, classes = 10): EvalResult {
  model.eval();
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let lossSum = 0;
  let total = 0;
  noGrad(() => {
    for (const { inputs, labels } of loader) {
      const logits = model.forward(inputs);
      lossSum += crossEntropy(logits, labels, "sum").item();
      const predicted = argmax(logits, 1).data;
      for (let i = 0; i < labels.length; i++) confusion[labels[i]][predicted[i]]++;
      total += labels.length;
    }
  });
  const correct = confusion.reduce((n, row, c) => n + row[c], 0);
  return {
    loss: lossSum / total,
    accuracy: correct / total,
    correct,
    total,
    confusion,
    perClassAccuracy: confusion.map(
      (row, c) =>
        row[c] /
        Math.max(
          1,
          row.reduce((a, v) => a + v, 0),
        ),
    ),
  };
}
