import { ConvlabError } from "../errors.js";
import { MAX_ACTIVATION_BYTES_ENV, MAX_PARAMETERS_ENV, modelLimits, type ModelLimits } from "../models/limits.js";

/**
 * A limit from the environment: a positive number (`1e8`, `100000000` and `Infinity` all work), undefined when the
 * variable is unset or empty; anything else is a {@link ConvlabError} `E_LIMIT_INVALID` naming the variable.
 */
export function limitFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === "") return undefined;
  const value = Number(text);
  if (!(value > 0)) {
    throw new ConvlabError(
      "E_LIMIT_INVALID",
      `${name}=${text} is not a limit; set it to a positive number such as 1e8 (or Infinity), or unset it for the default`,
    );
  }
  return value;
}

/** The model limits set in the environment ({@link MAX_PARAMETERS_ENV}, {@link MAX_ACTIVATION_BYTES_ENV}). */
export function modelLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<ModelLimits> {
  const limits: Partial<ModelLimits> = {};
  const maxParameters = limitFromEnv(MAX_PARAMETERS_ENV, env);
  const maxActivationBytes = limitFromEnv(MAX_ACTIVATION_BYTES_ENV, env);
  if (maxParameters !== undefined) limits.maxParameters = maxParameters;
  if (maxActivationBytes !== undefined) limits.maxActivationBytes = maxActivationBytes;
  return limits;
}

/**
 * Copies the limits set in the environment into {@link modelLimits}, the defaults every build uses: what makes
 * `CONVLAB_MAX_PARAMETERS=2e8 convlab train --arch big.json` build a model the default limit refuses.
 */
export function applyModelLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  Object.assign(modelLimits, modelLimitsFromEnv(env));
}
