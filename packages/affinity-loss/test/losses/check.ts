/** Shared checks of the loss tests: value and logit gradient against a float64 reference. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { LossFunction } from '../../src/index.js';
import { assertClose, finiteDifferenceGradient, normRelativeError } from '../helpers.js';
import { rows } from './reference.js';

/** Seeded logits of shape (N, C) as nested arrays, spread enough that softmax is not flat. */
export function randomLogits(n: number, c: number, seed: number, scale = 1.5): number[][] {
  return tf.tidy(() => rows(tf.randomNormal([n, c], 0, scale, 'float32', seed).dataSync(), c));
}

/**
 * Asserts that `loss(labels, logits)` equals `reference(logits)` (1e-5 relative) and that its
 * gradient with respect to the logits matches central differences of the reference (1e-3 relative).
 */
export function checkAgainstReference(
  loss: LossFunction,
  labels: number[],
  logits: number[][],
  reference: (z: number[][]) => number,
  what: string,
): void {
  const width = logits[0].length;
  const z = tf.tensor2d(logits);
  const y = tf.tensor1d(labels, 'int32');
  const value = loss(y, z).dataSync()[0];
  assertClose([value], [reference(logits)], 1e-5, `${what}: loss`);
  const gradient = tf.grad((x: tf.Tensor) => loss(y, x))(z).dataSync();
  const fd = finiteDifferenceGradient((flat) => reference(rows(flat, width)), logits.flat());
  assert.ok(fd.some((g) => Math.abs(g) > 1e-3), `${what}: the case has a non-zero gradient`);
  const error = normRelativeError(gradient, fd);
  assert.ok(error < 1e-3, `${what}: gradient relative error ${error}`);
  tf.dispose([z, y]);
}
