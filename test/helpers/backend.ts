// Imported first by the suites that must pass on every backend. `npm test` runs them once per backend by setting
// CONVLAB_BACKEND (ref when unset), the way tfjs and jax-js run one suite over all their backends.
import { useBackend } from "../../src/node/backend.js";

export const backend = await useBackend(process.env.CONVLAB_BACKEND || "ref");
