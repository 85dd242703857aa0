/**
 * Pairwise squared Euclidean distances, computed as ||a||^2 + ||b||^2 - 2 a b^T.
 *
 * Why this form: it costs one matrix product and never builds the (N, K, d) broadcast tensor
 * that `(a[:, None] - b[None]) ** 2` would, which at 128 x 5000 x 256 is 650 MB.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { columnMean } from './columns.js';

/**
 * Squared distances between every row of `a` (N, d) and every row of `b` (K, d): a (N, K) tensor.
 * Rounding can make ||a||^2 + ||b||^2 - 2 a.b slightly negative for coincident points; the result
 * is clamped at 0 so that exp(-D / sigma) stays in (0, 1] and sqrt(D) is defined.
 */
export function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2) {
    throw new ShapeError(`squaredDistances needs two rank-2 tensors, got shapes (${a.shape}) and (${b.shape})`);
  }
  if (a.shape[1] !== b.shape[1]) {
    throw new ShapeError(`squaredDistances: feature widths differ, (${a.shape}) vs (${b.shape})`);
  }
  return tf.tidy(() => centredSquaredDistances(...centreOn(a, b)));
}

/**
 * Both sets moved by the mean of b. Distances do not change when both move by the same vector;
 * centring keeps the norms small, and with them the float32 rounding of ||a||^2 + ||b||^2 - 2a.b,
 * which is about 1e-7 * (||a||^2 + ||b||^2) however close the points are.
 */
export function centreOn(a: tf.Tensor2D, b: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const centre = columnMean(b);
  return [tf.sub(a, centre), tf.sub(b, centre)];
}

/** ||a||^2 + ||b||^2 - 2 a b^T, clamped at 0, for inputs already centred by `centreOn`. */
export function centredSquaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const aNorms = tf.sum(tf.square(a), 1, true); // (N, 1)
  const bNorms = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]); // (1, K)
  // An explicit transpose, not matMul(a, b, false, true): wasm runs transpose flags ~10x slower.
  const dots = tf.matMul(a, tf.transpose(b)); // (N, K)
  return tf.relu(tf.sub(tf.add(aNorms, bNorms), tf.mul(dots, 2))) as tf.Tensor2D;
}
