/**
 * Shared by the backend tests: seeded inputs identical on every backend, the relative error
 * used to compare gradients, and a way to run the same computation on a chosen backend.
 *
 * Why a stock reference needs care: `tf.registerGradient` is global, so a "stock" gradient is
 * only stock if it is computed before `installGradientFixes()` (or after `removeGradientFixes()`).
 * Each test file computes its references on the cpu backend first, then installs the fixes.
 */
import * as tf from '@tensorflow/tfjs';

/** Seeded standard-normal-ish values (mulberry32 + Box-Muller), the same on every backend. */
export function seededValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

/** A tensor of seeded values on the active backend. */
export function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** max|actual - expected| / max(1e-6, max|expected|): relative to the array's scale, robust to zeros. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(1e-6, scale);
}

/** Runs `f` on `backend` inside a tidy and returns its tensors' values as plain arrays. */
export async function valuesOn(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => f().map((t) => t.dataSync() as Float32Array));
}

/** The tolerance of every gradient comparison, relative to the gradient's largest entry. */
export const TOLERANCE = 1e-5;
