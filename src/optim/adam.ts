import { Tensor, type FloatStorage, type Parameter } from "../tensor/tensor.js";
import { Optimizer, hyper, type Hyperparameter, type ParamGroup } from "./optimizer.js";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam, as `torch.optim.Adam` with its defaults (lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay,
 * no amsgrad). At step t, for each parameter p with gradient g:
 *
 *   g ← g + λ·p;   m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²
 *   p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 *
 * `stateDict()` gives PyTorch's layout: `state[i]` holds `step` (a float32 scalar tensor, as PyTorch ≥ 1.12),
 * `exp_avg` (m) and `exp_avg_sq` (v); the group holds `lr`, `betas`, `eps`, `weight_decay`, `amsgrad: false` and
 * `maximize: false`.
 */
export class Adam extends Optimizer {
  // Writable, as a param group's entries in PyTorch: loadStateDict replaces them, and a schedule may change lr.
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  readonly state = new Map<Parameter, { step: number; expAvg: FloatStorage; expAvgSq: FloatStorage }>();

  constructor(params: Iterable<Parameter>, options: AdamOptions = {}) {
    super(params);
    const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = options;
    if (!(lr >= 0)) throw new Error(`Adam: invalid learning rate ${lr}`);
    if (!(eps >= 0)) throw new Error(`Adam: invalid epsilon value ${eps}`);
    for (const [i, beta] of betas.entries()) {
      if (!(beta >= 0 && beta < 1)) throw new Error(`Adam: invalid beta parameter at index ${i}: ${beta}`);
    }
    this.lr = lr;
    this.betas = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  step(): void {
    const [beta1, beta2] = this.betas;
    for (const p of this.params) {
      const grad = this.gradOf(p);
      if (grad === null) continue;
      const w = p.data as FloatStorage;
      let s = this.state.get(p);
      if (s === undefined) {
        const alloc = () => new (w.constructor as new (n: number) => FloatStorage)(w.length);
        s = { step: 0, expAvg: alloc(), expAvgSq: alloc() };
        this.state.set(p, s);
      }
      s.step++;
      const stepSize = this.lr / (1 - beta1 ** s.step);
      const bias2Sqrt = Math.sqrt(1 - beta2 ** s.step);
      for (let i = 0; i < w.length; i++) {
        const g = grad[i] + this.weightDecay * w[i];
        s.expAvg[i] = beta1 * s.expAvg[i] + (1 - beta1) * g;
        s.expAvgSq[i] = beta2 * s.expAvgSq[i] + (1 - beta2) * g * g;
        w[i] -= (stepSize * s.expAvg[i]) / (Math.sqrt(s.expAvgSq[i]) / bias2Sqrt + this.eps);
      }
    }
  }

  protected hyperparameters(): Record<string, Hyperparameter> {
    const { lr, betas, eps, weightDecay } = this;
    return { lr, betas: [...betas], eps, weight_decay: weightDecay, amsgrad: false, maximize: false };
  }

  protected setHyperparameters(group: ParamGroup): void {
    const betas = group.betas;
    if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === "number")) {
      throw new Error("Adam.loadStateDict: param_groups[0].betas should be two numbers");
    }
    this.lr = hyper(group, "Adam", "lr", "number");
    this.betas = [betas[0], betas[1]];
    this.eps = hyper(group, "Adam", "eps", "number");
    this.weightDecay = hyper(group, "Adam", "weight_decay", "number");
  }

  protected paramState(p: Parameter): Record<string, Tensor> | undefined {
    const s = this.state.get(p);
    if (s === undefined) return undefined;
    return {
      step: new Tensor(Float32Array.of(s.step), []),
      exp_avg: new Tensor(s.expAvg, p.shape),
      exp_avg_sq: new Tensor(s.expAvgSq, p.shape),
    };
  }

  protected setParamState(p: Parameter, state: Record<string, Tensor> | undefined): void {
    if (state === undefined) {
      this.state.delete(p);
      return;
    }
    const { step, exp_avg: expAvg, exp_avg_sq: expAvgSq } = state;
    if (step?.numel() !== 1 || expAvg === undefined || expAvgSq === undefined) {
      throw new Error("Adam.loadStateDict: each parameter's state needs step, exp_avg and exp_avg_sq");
    }
    this.state.set(p, { step: step.data[0], expAvg: this.copyLike(p, expAvg), expAvgSq: this.copyLike(p, expAvgSq) });
  }
}
