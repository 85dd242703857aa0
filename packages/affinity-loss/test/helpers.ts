/** Small helpers shared by tests: closeness checks with messages that say where values differ. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

/** Asserts |actual - expected| <= tol * max(1, |expected|) element-wise. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * scale,
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`,
    );
  }
}

/** max|a - b| / max|b|: the error relative to the array's scale, robust to near-zero entries. */
export function normRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

/** Central finite differences of a float64 function at x. */
export function finiteDifferenceGradient(f: (x: number[]) => number, x: number[], step = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] += step;
    minus[i] -= step;
    return (f(plus) - f(minus)) / (2 * step);
  });
}

/**
 * Runs `run` once (warm-up: slots and caches are made there), then `repeats` more times, and
 * asserts that neither the engine's tensors nor the backend's buffers (which also count kernel
 * scratch the engine never sees) grew.
 */
export function assertNoGrowth(run: () => void, repeats: number): void {
  run();
  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  for (let i = 0; i < repeats; i++) run();
  assert.equal(tf.memory().numTensors, tensors, 'tensor count grew');
  assert.equal(tf.backend().numDataIds(), buffers, 'backend buffer count grew');
}
