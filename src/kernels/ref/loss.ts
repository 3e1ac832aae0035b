import { allocLike, type FloatStorage } from "../../tensor/tensor.js";

/** loss[r] = −logp[r, target[r]]: the negative log-likelihood of each row's true class. */
export function nllLoss(logp: FloatStorage, target: Int32Array, classes: number): FloatStorage {
  const loss = allocLike(logp, target.length);
  for (let r = 0; r < target.length; r++) loss[r] = -logp[r * classes + target[r]];
  return loss;
}

/** d loss[r] / d logp[r, c] is −1 at c = target[r] and 0 elsewhere. */
export function nllLossBackward(dloss: FloatStorage, target: Int32Array, classes: number): FloatStorage {
  const dlogp = allocLike(dloss, target.length * classes);
  for (let r = 0; r < target.length; r++) dlogp[r * classes + target[r]] = -dloss[r];
  return dlogp;
}
