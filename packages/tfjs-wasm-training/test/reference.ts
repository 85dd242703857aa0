/**
 * Shared by the backend tests: seeded inputs identical on every backend, the relative error
 * used to compare gradients, and a way to run the same computation on a chosen backend.
 *
 * Why a stock reference needs care: `tf.registerGradient` is global, so a "stock" gradient is
 * only stock if it is computed before `installGradientFixes()` (or after `removeGradientFixes()`).
 * Each test file computes its references on the cpu backend first, then installs the fixes.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from 'affinity-loss/internal/data/rng.js';
import { normRelativeError } from '../../affinity-loss/test/helpers.js';

/** Seeded standard-normal values (the library's seeded Rng), the same on every backend. */
export function seededValues(size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: size }, () => rng.normal());
}

/** A tensor of seeded values on the active backend. */
export function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** max|actual - expected| / max|expected|: relative to the array's scale, robust to zeros. */
export const relativeError = normRelativeError;

/** Runs `f` on `backend` inside a tidy and returns its tensors' values as plain arrays. */
export async function valuesOn(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => f().map((t) => t.dataSync() as Float32Array));
}

/** The tolerance of every gradient comparison, relative to the gradient's largest entry. */
export const TOLERANCE = 1e-5;
