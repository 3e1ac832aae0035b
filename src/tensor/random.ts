import { ConvlabError } from "../errors.js";
/**
 * A seeded pseudo-random generator: the 32-bit Mersenne Twister (MT19937), the engine behind PyTorch's CPU
 * generator, seeded the same way (`torch.manual_seed`). `uniform` follows ATen's float32 transform (24 random bits,
 * scaled in double precision), so `manualSeed(s)` followed by the same sequence of uniform fills draws the same
 * numbers as PyTorch does on the CPU.
 */
export class Generator {
  private readonly state = new Uint32Array(624);
  private index = 624;
  private seedValue = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Re-seeds the generator; the seed is taken modulo 2³². */
  manualSeed(seed: number): this {
    if (!Number.isInteger(seed) || seed < 0)
      throw new ConvlabError("E_GENERATOR_SEED", `manualSeed: seed must be a non-negative integer, got ${seed}`);
    this.seedValue = seed;
    const mt = this.state;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      // 1812433253 · prev + i mod 2³², split in 16-bit halves so no product exceeds 2⁵³.
      mt[i] = ((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i;
    }
    this.index = 624;
    return this;
  }

  initialSeed(): number {
    return this.seedValue;
  }

  /**
   * The generator's exact state: the 624 words of the MT19937 state vector, the position of the next word to
   * temper, and the seed it started from. {@link setState} with it continues the very same stream, so a training
   * run saved after an epoch draws the same shuffles when it resumes (PyTorch's `get_rng_state`, as plain numbers).
   */
  getState(): GeneratorState {
    return { state: Array.from(this.state), index: this.index, seed: this.seedValue };
  }

  /** Restores a state from {@link getState}; a state that could not have come from it is refused, not repaired. */
  setState(saved: GeneratorState): this {
    const { state, index, seed } = saved;
    if (
      !Array.isArray(state) ||
      state.length !== 624 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)
    ) {
      throw new ConvlabError("E_GENERATOR_STATE", "Generator.setState: state must hold 624 unsigned 32-bit integers");
    }
    if (!Number.isInteger(index) || index < 0 || index > 624) {
      throw new ConvlabError(
        "E_GENERATOR_STATE",
        `Generator.setState: index must be an integer in [0, 624], got ${index}`,
      );
    }
    if (!Number.isInteger(seed) || seed < 0)
      throw new ConvlabError("E_GENERATOR_STATE", `Generator.setState: invalid seed ${seed}`);
    this.state.set(state);
    this.index = index;
    this.seedValue = seed;
    return this;
  }

  /** The next 32-bit unsigned integer of the MT19937 stream. */
  random(): number {
    const mt = this.state;
    if (this.index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A float32 drawn uniformly from [from, to), as ATen's `uniform_real_distribution<float>`. */
  uniform(from: number, to: number): number {
    const f = Math.fround(from);
    const range = Math.fround(Math.fround(to) - f);
    const x = (this.random() & 0xffffff) * 2 ** -24;
    return Math.fround(x * range + f);
  }

  /** A uniformly random integer in [0, n), for shuffling. */
  randomInt(n: number): number {
    return this.random() % n;
  }
}

/** A {@link Generator}'s exact state, as plain JSON-friendly numbers. */
export interface GeneratorState {
  /** The MT19937 state vector: 624 unsigned 32-bit words. */
  state: number[];
  /** Index of the next word to temper; 624 means the vector is regenerated before the next draw. */
  index: number;
  /** The seed the stream started from ({@link Generator.initialSeed}). */
  seed: number;
}

/** The default generator, like PyTorch's global CPU generator. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
