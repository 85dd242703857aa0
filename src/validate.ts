/**
 * Argument checks shared by every module. Each throws a typed error whose message names the
 * argument, the value received and what is allowed.
 */
import { AffinityConfigError } from './errors.js';

/** Throws unless `value` is a finite number strictly greater than 0. */
export function requirePositive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AffinityConfigError(`${name} must be a finite number > 0, got ${String(value)}`);
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
