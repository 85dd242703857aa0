/**
 * Why an affinity head does not learn, in numbers: where the features sit against the
 * prototypes compared with sigma, and how many affinities have vanished (exp(-D / sigma) ~ 0
 * has no gradient, so the hinge cannot pull a sample whose every affinity is ~0).
 */
import * as tf from '@tensorflow/tfjs';
import { NonFiniteError } from '../errors.js';
import { requirePositive } from '../validate.js';
import { gaussianAffinity } from './affinity.js';
import { squaredDistances } from './distance.js';

/** An affinity below this counts as vanished: its gradient is below 1e-4 / sigma. */
export const VANISHED_AFFINITY = 1e-4;

/** The state of an affinity head on a batch of features. */
export interface AffinityDiagnostics {
  /** sigma in use. */
  sigma: number;
  /** Mean of ||f_i - w_k||^2 over the batch and every prototype (what sigma 'auto' takes). */
  meanSquaredDistance: number;
  /** Mean over the batch of the squared distance to the nearest prototype. */
  nearestSquaredDistance: number;
  /** Share of class affinities A_ij below `VANISHED_AFFINITY`. */
  vanishedFraction: number;
  /** Share of samples whose every class affinity is below `VANISHED_AFFINITY`: nothing trains them. */
  deadSampleFraction: number;
}

/**
 * Measures an affinity head on a batch.
 *
 * @param features f, shape (N, d): what the head sees.
 * @param prototypes w, shape (C, m, d).
 */
export function affinityDiagnostics(features: tf.Tensor2D, prototypes: tf.Tensor3D, sigma: number): AffinityDiagnostics {
  requirePositive('sigma', sigma);
  const [mean, nearest, vanished, dead] = tf.tidy(() => {
    const distances = distancesToPrototypes(features, prototypes);
    const gone = tf.less(gaussianAffinity(features, prototypes, sigma), VANISHED_AFFINITY).toFloat();
    return [tf.mean(distances), tf.mean(tf.min(distances, 1)), tf.mean(gone), tf.mean(tf.min(gone, 1))].map((t) => t.dataSync()[0]);
  });
  return { sigma, meanSquaredDistance: mean, nearestSquaredDistance: nearest, vanishedFraction: vanished, deadSampleFraction: dead };
}

/** ||f_i - w_k||^2 for every feature and every prototype, shape (N, C*m). */
function distancesToPrototypes(features: tf.Tensor2D, prototypes: tf.Tensor3D): tf.Tensor2D {
  const [classes, perClass, width] = prototypes.shape;
  return squaredDistances(features, tf.reshape(prototypes, [classes * perClass, width]) as tf.Tensor2D);
}

/**
 * Mean of ||f_i - w_k||^2 over a batch's features and every prototype: what sigma 'auto' takes.
 *
 * @throws NonFiniteError when the features hold NaN or infinity (no sigma can be made from them).
 */
export function meanSquaredDistance(features: tf.Tensor2D, prototypes: tf.Tensor3D): number {
  const value = tf.tidy(() => tf.mean(distancesToPrototypes(features, prototypes)).dataSync()[0]);
  if (!Number.isFinite(value)) throw new NonFiniteError(`sigma 'auto': the mean squared distance of the first batch's features to the prototypes is ${value}`);
  // Features that all sit on the prototypes (an all-zero batch) would give 0; sigma must stay > 0.
  return Math.max(value, 1e-6);
}
