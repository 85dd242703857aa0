/** Prediction with the affinity head (docs/METHOD.md section 4). */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';

/**
 * y_hat_i = argmax_j A_ij: the class of the nearest prototype. Takes the affinities the head
 * outputs (never dot products with the prototypes, which rank classes differently).
 *
 * @param affinities shape (N, C).
 * @returns int32 class ids, shape (N).
 */
export function predictClasses(affinities: tf.Tensor): tf.Tensor1D {
  if (affinities.rank !== 2) {
    throw new ShapeError(`predictClasses needs scores of shape (N, classes), got (${affinities.shape})`);
  }
  return tf.argMax(affinities, 1) as tf.Tensor1D;
}
