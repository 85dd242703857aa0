/**
 * Focal loss (Lin et al., ICCV 2017), softmax form (docs/METHOD.md):
 *   FL_i = -alpha_{y_i} (1 - p_{y_i})^gamma log p_{y_i},   p = softmax(z).
 * The factor (1 - p_y)^gamma shrinks the loss of samples the model already gets right, so the
 * many easy majority-class samples stop dominating the gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { requireNonNegative } from '../validate.js';
import {
  named,
  optionalOptions,
  prepare,
  reduceLoss,
  validateClassWeights,
  validateReduction,
  type ClassWeights,
  type LossFunction,
  type WeightedReduction,
} from './shared.js';

/** Options of `focalLoss`. */
export interface FocalOptions {
  /** gamma >= 0, the focusing exponent. Default 2 (the paper's); 0 gives plain cross-entropy. */
  gamma?: number;
  /**
   * alpha: a number multiplies every sample's loss (Lin's alpha = 0.25 as multi-class ports use
   * it); an array (or rank-1 tensor) gives one weight alpha_j per class. Default: none (alpha = 1).
   */
  alpha?: number | ClassWeights;
  /**
   * With per-class alpha: 'mean' (default) divides the alpha-weighted sum by N; 'weightedMean'
   * by the sum of the weights of the batch's labels.
   */
  reduction?: WeightedReduction;
}

/** Throws unless gamma is a finite number >= 0. */
export function validateGamma(gamma: unknown): number {
  return requireNonNegative('gamma', gamma);
}

/**
 * Per-sample focal term -sum_j y_ij (1 - p_ij)^gamma log p_ij, shape (N); for one-hot labels
 * this is -(1 - p_y)^gamma log p_y, the true class picked by the mask product.
 */
export function focalPerSample(target: tf.Tensor2D, logits: tf.Tensor2D, gamma: number): tf.Tensor1D {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(logits);
    // 1 - p is clamped away from 0: when p rounds to 1 in float32, the gradient of x^gamma at
    // x = 0 is gamma * 0^(gamma - 1), which is Infinity for gamma < 1 and makes 0 * Infinity = NaN.
    // The clamp only acts where 1 - p < 1e-12, where |log p| < 1e-12 too, so the term is ~0 anyway.
    const modulating = tf.pow(tf.maximum(tf.sub(1, tf.exp(logP)), 1e-12), gamma);
    return tf.neg(tf.sum(tf.mul(target, tf.mul(modulating, logP)), 1)) as tf.Tensor1D;
  });
}

/**
 * Focal loss on logits: mean_i alpha_{y_i} (1 - p_{y_i})^gamma (-log p_{y_i}).
 */
export function focalLoss(options?: FocalOptions): LossFunction {
  const given = optionalOptions('focalLoss', options, '{ gamma?, alpha?, reduction? }');
  const reduction = validateReduction(given.reduction);
  const gamma = validateGamma(given.gamma ?? 2);
  const alpha = given.alpha;
  let scale = 1;
  let classWeights: ClassWeights | undefined;
  if (typeof alpha === 'number') {
    scale = requireNonNegative('alpha', alpha);
  } else if (alpha !== undefined) {
    classWeights = validateClassWeights(alpha, 'alpha');
  }
  return named('focalLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: logits, target } = prepare('focalLoss', yTrue, yPred, { alpha: classWeights });
      const loss = reduceLoss(focalPerSample(target, logits, gamma), target, classWeights, reduction);
      return (scale === 1 ? loss : tf.mul(loss, scale)) as tf.Scalar;
    }),
  );
}
