import { confusionStats, countInto, emptyConfusion } from "./confusion.js";
import { noGrad } from "../autograd/graph.js";
import type { Batch, DataLoader } from "../data/dataloader.js";
import type { Module } from "../nn/module.js";
import { crossEntropy } from "../ops/loss.js";
import { argmax } from "../ops/reduce.js";
import type { Optimizer } from "../optim/optimizer.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";

/** Raised when the loss stops being a finite number: training cannot recover, so it stops with advice. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
    readonly lr: number,
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
 * `use` of the loader's next batch inside one tidy() scope, which makes the batch too: a backend with memory of its
 * own (wasm) converts the batch's bytes straight into that memory, where the first layer reads them in place, and
 * takes them back with the step's activations. Done once the batches are; `use` must not keep the batch.
 */
export function withNextBatch<T>(batches: Iterator<Batch>, use: (batch: Batch) => T): IteratorResult<T, undefined> {
  return tidy(() => {
    const next = batches.next();
    return next.done === true ? { done: true, value: undefined } : { done: false, value: use(next.value) };
  });
}

/** What one training step reports: its batch's loss and its number of examples. */
export interface StepResult {
  loss: number;
  examples: number;
}

/** {@link trainStep} on the loader's next batch, made inside the step's scope (see withNextBatch). */
export function trainNextBatch(
  batches: Iterator<Batch>,
  model: Module,
  optimizer: Optimizer,
  onNonFinite: (loss: number) => Error,
): IteratorResult<StepResult, undefined> {
  return withNextBatch(batches, ({ inputs, labels }) => ({
    loss: trainStep(model, inputs, labels, optimizer, onNonFinite),
    examples: labels.length,
  }));
}

/**
 * One optimisation step on one batch: zero_grad, forward, cross-entropy, backward, step. Returns the batch's loss.
 * The step's activations and gradients live in a tidy() scope, so a backend with memory of its own reuses it every
 * step. A NaN or infinite loss throws before `optimizer.step()` would spread it into the weights.
 */
export function trainStep(
  model: Module,
  inputs: Tensor,
  labels: Int32Array,
  optimizer: Optimizer,
  onNonFinite: (loss: number) => Error,
): number {
  return tidy(() => {
    optimizer.zeroGrad();
    const loss = crossEntropy(model.forward(inputs), labels);
    const value = loss.item();
    if (!Number.isFinite(value)) throw onNonFinite(value);
    loss.backward();
    optimizer.step();
    return value;
  });
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
  const batches = loader[Symbol.iterator]();
  for (let b = 1; ; b++) {
    const step = trainNextBatch(batches, model, optimizer, (loss) => {
      return new NonFiniteLossError(epoch, b, loss, optimizer.lr);
    });
    if (step.done === true) break;
    batchLosses.push(step.value.loss);
    onBatch?.({ epoch, batch: b, batches: loader.length, loss: step.value.loss, examples: step.value.examples });
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
  const confusion = emptyConfusion(classes);
  let lossSum = 0;
  let total = 0;
  noGrad(() => {
    const batches = loader[Symbol.iterator]();
    const score = ({ inputs, labels }: Batch): void => {
      const logits = model.forward(inputs);
      lossSum += crossEntropy(logits, labels, "sum").item();
      countInto(confusion, argmax(logits, 1).data, labels);
      total += labels.length;
    };
    while (withNextBatch(batches, score).done !== true);
  });
  const { correct, perClassAccuracy } = confusionStats(confusion);
  return { loss: lossSum / total, accuracy: correct / total, correct, total, confusion, perClassAccuracy };
}
