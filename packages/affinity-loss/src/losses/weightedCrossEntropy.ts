/**
 * Class-weighted cross-entropy (docs/METHOD.md): L_i = w_{y_i} * CE_i with w_j proportional to 1 / n_j,
 * normalised so that the weights sum to C.
 */
import * as tf from '@tensorflow/tfjs';
import { requireOptions } from '../validate.js';
import { inverseFrequencyWeights } from './classWeights.js';
import {
  crossEntropyPerSample,
  named,
  prepare,
  reduceLoss,
  validateReduction,
  type LossFunction,
  type WeightedReduction,
} from './shared.js';

/** Options of `weightedCrossEntropyLoss`. */
export interface WeightedCrossEntropyOptions {
  /** Training samples per class, n_j > 0 (one entry per class). */
  counts: ArrayLike<number>;
  /** How weighted per-sample losses are averaged; see `WeightedReduction`. Default 'mean'. */
  reduction?: WeightedReduction;
}

/**
 * Inverse-frequency weighted cross-entropy on logits: mean_i w_{y_i} * (-log p_{y_i}),
 * w = `inverseFrequencyWeights(counts)`.
 */
export function weightedCrossEntropyLoss(options: WeightedCrossEntropyOptions): LossFunction {
  requireOptions('weightedCrossEntropyLoss', options, '{ counts, reduction? }');
  const weights = inverseFrequencyWeights(options.counts);
  const reduction = validateReduction(options.reduction);
  return named('weightedCrossEntropyLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: logits, target } = prepare('weightedCrossEntropyLoss', yTrue, yPred, { counts: weights });
      return reduceLoss(crossEntropyPerSample(target, logits), target, weights, reduction);
    }),
  );
}
