/**
 * The Gaussian affinity of METHOD.md section 1:
 *   a(f, w) = exp(-||f - w||^2 / sigma),   A_ij = max_t a(f_i, w_{j,t}).
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { requirePositive } from '../validate.js';
import { squaredDistances } from './distance.js';

/**
 * Class affinities of features to prototypes: a (N, C) tensor with values in (0, 1].
 *
 * @param features f, shape (N, d).
 * @param prototypes w, shape (C, m, d): m prototypes for each of C classes.
 * @param sigma the class spread (> 0): the squared distance at which affinity falls to 1/e.
 * @returns A with A_ij = exp(-min_t ||f_i - w_{j,t}||^2 / sigma), the affinity to the
 *   nearest prototype of class j (max over t of exp(-D/sigma) = exp(-min_t D / sigma), so the
 *   exp runs on N*C values instead of N*C*m).
 */
export function gaussianAffinity(features: tf.Tensor2D, prototypes: tf.Tensor3D, sigma: number): tf.Tensor2D {
  requirePositive('sigma', sigma);
  if (features.rank !== 2) {
    throw new ShapeError(`features must have rank 2 (batch, featureDim), got shape (${features.shape})`);
  }
  if (prototypes.rank !== 3) {
    throw new ShapeError(`prototypes must have rank 3 (classes, prototypesPerClass, featureDim), got shape (${prototypes.shape})`);
  }
  const [classes, perClass, featureDim] = prototypes.shape;
  if (features.shape[1] !== featureDim) {
    throw new ShapeError(`features have width ${features.shape[1]} but prototypes have featureDim ${featureDim}`);
  }
  return tf.tidy(() => {
    const distances = squaredDistances(features, tf.reshape(prototypes, [classes * perClass, featureDim]));
    const nearest = perClass === 1 ? distances : tf.min(tf.reshape(distances, [-1, classes, perClass]), 2);
    return tf.exp(tf.div(nearest, -sigma)) as tf.Tensor2D;
  });
}
