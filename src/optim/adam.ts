import type { FloatStorage, Parameter } from "../tensor/tensor.js";
import { Optimizer } from "./optimizer.js";

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
 */
export class Adam extends Optimizer {
  readonly lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
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
}
