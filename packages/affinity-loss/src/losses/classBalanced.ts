/**
 * Class-balanced loss (Cui et al., CVPR 2019): a base loss weighted per class by one over the
 * effective number of samples,
 *   CB_i = w_{y_i} * L_i,   w_j = (1 - beta) / (1 - beta^{n_j}),  normalised to sum to C,
 * with L the softmax cross-entropy or the focal loss.
 */
import * as tf from '@tensorflow/tfjs';
import { requireOneOf, requireOptions } from '../validate.js';
import { classBalancedWeights } from './classWeights.js';
import { focalPerSample, validateGamma } from './focal.js';
import {
  crossEntropyPerSample,
  named,
  prepare,
  reduceLoss,
  validateReduction,
  type LossFunction,
  type WeightedReduction,
} from './shared.js';

/** Options of `classBalancedLoss`. */
export interface ClassBalancedOptions {
  /** Training samples per class, n_j > 0 (one entry per class). */
  counts: ArrayLike<number>;
  /** beta in [0, 1). Default 0.9999 (the paper's); 0 means no re-weighting. */
  beta?: number;
  /** The loss that is re-weighted: 'crossEntropy' (default) or 'focal' (softmax focal). */
  base?: 'crossEntropy' | 'focal';
  /** gamma of the focal base (>= 0). Default 2; only used with base 'focal'. */
  gamma?: number;
  /** How weighted per-sample losses are averaged; see `WeightedReduction`. Default 'mean'. */
  reduction?: WeightedReduction;
}

/**
 * Class-balanced cross-entropy or focal loss on logits: mean_i w_{y_i} L_i with
 * w = `classBalancedWeights(counts, beta)`.
 */
export function classBalancedLoss(options: ClassBalancedOptions): LossFunction {
  requireOptions('classBalancedLoss', options, '{ counts, beta?, base?, gamma?, reduction? }');
  const weights = classBalancedWeights(options.counts, options.beta ?? 0.9999);
  const base = requireOneOf('base', options.base ?? 'crossEntropy', ['crossEntropy', 'focal'] as const);
  const gamma = validateGamma(options.gamma ?? 2);
  const reduction = validateReduction(options.reduction);
  return named('classBalancedLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: logits, target } = prepare('classBalancedLoss', yTrue, yPred, { counts: weights });
      const perSample = base === 'focal' ? focalPerSample(target, logits, gamma) : crossEntropyPerSample(target, logits);
      return reduceLoss(perSample, target, weights, reduction);
    }),
  );
}
