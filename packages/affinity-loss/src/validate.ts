/**
 * Argument checks shared by every module. Each throws a typed error whose message names the
 * argument, the value received and what is allowed.
 */
import { AffinityConfigError, LabelError } from './errors.js';

/**
 * Integer labels may leave some class ids unused (a class missing from a subset), but at most
 * this many ids per distinct label where the class count is inferred from the largest id: more
 * gaps than labels means the labels are not class ids, and one stray id (100000 among 0-9) would
 * otherwise make a hundred thousand empty classes.
 */
export const MAX_CLASS_IDS_PER_DISTINCT_LABEL = 2;

/** Throws unless `value` is a finite number > 0, and still one in float32 (where tensors hold it). */
export function requirePositive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AffinityConfigError(`${name} must be a finite number > 0, got ${String(value)}`);
  }
  // Settings end up in float32 tensors: 1e-46 is 0 there and 1e39 Infinity, and either would
  // turn the loss to NaN steps later with nothing pointing back here.
  const float32 = Math.fround(value);
  if (float32 === 0 || !Number.isFinite(float32)) {
    throw new AffinityConfigError(`${name} must be a number > 0 that float32 can hold (about 1.4e-45 to 3.4e38), got ${value}, which is ${float32} in float32`);
  }
  return value;
}

/** Throws unless `value` is a finite number >= 0. */
export function requireNonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new AffinityConfigError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is an integer >= `min`. */
export function requireInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new AffinityConfigError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is one of `allowed`. */
export function requireOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new AffinityConfigError(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

/**
 * Throws unless `value` is a finite number in [min, max]; `maxExclusive` makes it [min, max),
 * `minExclusive` (min, max].
 */
export function requireInRange(name: string, value: unknown, min: number, max: number, maxExclusive = false, minExclusive = false): number {
  const above = maxExclusive ? (v: number) => v >= max : (v: number) => v > max;
  const below = minExclusive ? (v: number) => v <= min : (v: number) => v < min;
  if (typeof value !== 'number' || !Number.isFinite(value) || below(value) || above(value)) {
    throw new AffinityConfigError(`${name} must be a number in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `seed` is an integer in [0, 2^53): every random choice in the library takes one. */
export function requireSeed(seed: unknown, name = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new AffinityConfigError(`${name} must be an integer in [0, 2^53), got ${String(seed)}`);
  }
  return seed;
}

/**
 * Throws unless `options` is an object: factories called with no argument or null get an
 * error naming what they need, not a TypeError from reading a field of undefined.
 */
export function requireOptions<T extends object>(name: string, options: T | null | undefined, needs: string): T {
  if (options === null || typeof options !== 'object') {
    throw new AffinityConfigError(`${name} needs an options object ${needs}, got ${String(options)}`);
  }
  return options;
}

/**
 * Throws LabelError unless every entry of `labels` is an integer class id in [0, classes).
 *
 * @param what names the labels in the message (e.g. 'training labels', 'yTrue').
 */
export function checkClassIds(labels: ArrayLike<number>, classes: number, what = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i];
    if (!Number.isInteger(id) || id < 0 || id >= classes) {
      throw new LabelError(`${what}: label ${id} at row ${i} is not an integer class id in [0, ${classes - 1}]`);
    }
  }
}
