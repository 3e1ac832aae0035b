import { crossEntropy, type Reduction, type Target } from "../ops/loss.js";
import type { Tensor } from "../tensor/tensor.js";
import { Module } from "./module.js";

/**
 * `nn.CrossEntropyLoss(reduction='mean')`: log-softmax of the logits, then the negative log-likelihood of the true
 * class, averaged over the batch. Shapes: input [N, C] logits, target [N] class indices → a scalar.
 * Call it as PyTorch's: `criterion(outputs, labels)`. See {@link crossEntropy}.
 */
export class CrossEntropyLoss extends Module<[Tensor, Target]> {
  constructor(readonly reduction: Reduction = "mean") {
    super();
  }

  forward(input: Tensor, target: Target): Tensor {
    return crossEntropy(input, target, this.reduction);
  }
}
