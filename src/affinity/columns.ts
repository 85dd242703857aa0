/**
 * Reductions over the rows of a matrix, written as products with a row of ones. Why: the wasm
 * backend reduces only along the last axis, so tf.sum(x, 0) and tf.mean(x, 0) transpose first
 * and run ~20x slower than this matrix product on (128, 5000) or (5000, 256) inputs.
 */
import * as tf from '@tensorflow/tfjs';

/** The sum of the rows of x, (N, K) to (1, K). */
export function columnSum(x: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.ones([1, x.shape[0]]), x);
}

/** The mean of the rows of x, (N, K) to (1, K); see columnSum. */
export function columnMean(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(columnSum(x), x.shape[0]);
}
