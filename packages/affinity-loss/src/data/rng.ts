/**
 * The seeded random number generator behind every random choice in the data toolkit:
 * xoshiro128** (Blackman and Vigna), its 128-bit state filled from the seed by SplitMix64, the
 * seeding its authors recommend. Same seed, same numbers, on every platform: the generator
 * uses only 32-bit integer arithmetic (`Math.imul`), never `Math.random`.
 */
import { AffinityConfigError } from '../errors.js';
import { requireSeed } from '../validate.js';

export { requireSeed };

const MASK64 = (1n << 64n) - 1n;
const MASK53 = (1n << 53n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;
const TWO_POW_32 = 4294967296;

/** SplitMix64's output function: a bijective 64-bit mix of `z`. */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/**
 * A seed for an independent stream derived from `seed` and a path of stream numbers, e.g.
 * `deriveSeed(seed, SEED_STREAMS.noise, classId)` (the table in seedStreams.ts). Stages of a pipeline each draw from their own
 * stream, so changing one stage (a noise rate) never changes what another one picks (which
 * samples an imbalance keeps).
 *
 * @returns an integer in [0, 2^53), usable as a seed.
 */
export function deriveSeed(seed: number, ...path: number[]): number {
  let z = BigInt(requireSeed(seed));
  for (const step of path) {
    z = mix64((z + GOLDEN_GAMMA * (BigInt(requireSeed(step, 'stream number')) + 1n)) & MASK64);
  }
  return Number(z & MASK53);
}

/** Arrays `Rng.shuffle` permutes in place. */
export type Shuffleable = { length: number; [index: number]: unknown };

/** A seeded generator of uniform integers, uniform floats, normal samples and permutations. */
export class Rng {
  /** The seed this generator started from. */
  readonly seed: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /** @param seed an integer in [0, 2^53). */
  constructor(seed: number) {
    this.seed = requireSeed(seed);
    // SplitMix64 from the seed, two outputs split into the four 32-bit state words.
    let state = BigInt(seed);
    state = (state + GOLDEN_GAMMA) & MASK64;
    const first = mix64(state);
    state = (state + GOLDEN_GAMMA) & MASK64;
    const second = mix64(state);
    this.s0 = Number(first & 0xffffffffn);
    this.s1 = Number(first >> 32n);
    this.s2 = Number(second & 0xffffffffn);
    this.s3 = Number(second >> 32n);
  }

  /** The next raw output, a uniform integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** A uniform float in [0, 1), with 32 random bits. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /**
   * A uniform integer in [0, n), without modulo bias: raw outputs from the incomplete last
   * block of n values are rejected and redrawn.
   *
   * @param n an integer in [1, 2^32].
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new AffinityConfigError(`Rng.int needs an integer n in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A normal sample N(mean, std^2) by the Box-Muller transform (the second value is cached). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  /** Permutes `array` in place by Fisher-Yates (every order equally likely) and returns it. */
  shuffle<T extends Shuffleable>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const held = array[i];
      array[i] = array[j];
      array[j] = held;
    }
    return array;
  }

  /** A uniformly random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return this.shuffle(order);
  }
}
