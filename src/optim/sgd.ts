import { Tensor, type FloatStorage, type Parameter } from "../tensor/tensor.js";
import { Optimizer, hyper, type Hyperparameter, type ParamGroup } from "./optimizer.js";

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
 *
 * `stateDict()` gives PyTorch's layout: `state[i].momentum_buffer` for each stepped parameter i, and the group's
 * `lr`, `momentum`, `dampening`, `weight_decay`, `nesterov` (and `maximize: false`, which convlab does not support).
 */
export class SGD extends Optimizer {
  // Writable, as a param group's entries in PyTorch: loadStateDict replaces them, and a schedule may change lr.
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
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
      if (buf !== undefined && !first && weightDecay === 0 && !nesterov) {
        momentumStep(w, grad, buf, lr, momentum, 1 - dampening);
        continue;
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

  protected hyperparameters(): Record<string, Hyperparameter> {
    const { lr, momentum, dampening, weightDecay, nesterov } = this;
    return { lr, momentum, dampening, weight_decay: weightDecay, nesterov, maximize: false };
  }

  protected setHyperparameters(group: ParamGroup): void {
    this.lr = hyper(group, "SGD", "lr", "number");
    this.momentum = hyper(group, "SGD", "momentum", "number");
    this.dampening = hyper(group, "SGD", "dampening", "number");
    this.weightDecay = hyper(group, "SGD", "weight_decay", "number");
    this.nesterov = hyper(group, "SGD", "nesterov", "boolean");
  }

  protected paramState(p: Parameter): Record<string, Tensor> | undefined {
    const buf = this.momentumBuffers.get(p);
    return buf === undefined ? undefined : { momentum_buffer: new Tensor(buf, p.shape) };
  }

  protected setParamState(p: Parameter, state: Record<string, Tensor> | undefined): void {
    const buf = state?.momentum_buffer;
    if (buf === undefined) this.momentumBuffers.delete(p);
    else this.momentumBuffers.set(p, this.copyLike(p, buf));
  }
}

/**
 * The tutorial's update after the first step (momentum, no weight decay, no Nesterov): b ← μ·b + (1 − τ)·g,
 * p ← p − lr·b, with `undamped` = 1 − τ. The general loop's arithmetic without its per-element branches, which took
 * half of its time.
 */
function momentumStep(
  w: FloatStorage,
  grad: FloatStorage,
  buf: FloatStorage,
  lr: number,
  momentum: number,
  undamped: number,
): void {
  for (let i = 0; i < w.length; i++) {
    buf[i] = momentum * buf[i] + undamped * grad[i];
    // buf[i] read back, rounded to its storage's precision, as the general loop reads it.
    w[i] -= lr * buf[i];
  }
}
