import type { FloatStorage, Parameter } from "../tensor/tensor.js";
import { Optimizer } from "./optimizer.js";

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent, exactly `torch.optim.SGD`. For each parameter p with gradient g:
 *
 *   g ← g + λ·p                                   (weight decay λ)
 *   b ← g on the first step, else μ·b + (1 − τ)·g  (momentum μ, dampening τ)
 *   g ← g + μ·b if nesterov, else b
 *   p ← p − lr·g
 *
 * Like PyTorch (and unlike Sutskever et al.), lr multiplies the velocity rather than being folded into it, so
 * changing lr mid-training rescales the whole step at once.
 */
export class SGD extends Optimizer {
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  /** The momentum buffer b of each parameter, created on its first step. */
  readonly momentumBuffers = new Map<Parameter, FloatStorage>();

  constructor(params: Iterable<Parameter>, options: SGDOptions) {
    super(params);
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = options;
    if (!(lr >= 0)) throw new Error(`SGD: invalid learning rate ${lr}`);
    if (!(momentum >= 0)) throw new Error(`SGD: invalid momentum value ${momentum}`);
    if (!(weightDecay >= 0)) throw new Error(`SGD: invalid weight_decay value ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new Error("SGD: nesterov momentum requires a momentum and zero dampening");
    }
    this.lr = lr;
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  step(): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = this;
    for (const p of this.params) {
      const grad = this.gradOf(p);
      if (grad === null) continue;
      const w = p.data as FloatStorage;
      let buf = this.momentumBuffers.get(p);
      const first = buf === undefined;
      if (momentum !== 0 && buf === undefined) {
        buf = new (w.constructor as new (n: number) => FloatStorage)(w.length);
        this.momentumBuffers.set(p, buf);
      }
      for (let i = 0; i < w.length; i++) {
        let g = grad[i] + weightDecay * w[i];
        if (buf !== undefined) {
          buf[i] = first ? g : momentum * buf[i] + (1 - dampening) * g;
          g = nesterov ? g + momentum * buf[i] : buf[i];
        }
        w[i] -= lr * g;
      }
    }
  }
}
