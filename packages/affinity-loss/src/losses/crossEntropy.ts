/**
 * Softmax cross-entropy from logits (docs/METHOD.md): L_i = -log p_{y_i}, p = softmax(z).
 * Optionally weighted per class, which is how deferred re-weighting (DRW) applies its weights.
 */
import * as tf from '@tensorflow/tfjs';
import {
  crossEntropyPerSample,
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

/** Options of `crossEntropyLoss`. */
export interface CrossEntropyOptions {
  /**
   * w_j, multiplying the loss of samples of class j. Give a `tf.Variable` to change the weights
   * during training (see `DeferredReweighting`). Default: none (every w_j = 1).
   */
  classWeights?: ClassWeights;
  /** How weighted per-sample losses are averaged; see `WeightedReduction`. Default 'mean'. */
  reduction?: WeightedReduction;
}

/**
 * Cross-entropy on logits: mean_i w_{y_i} * (-log softmax(z_i)_{y_i}). Give it the raw scores of
 * a dense layer without softmax activation; the log-softmax inside is numerically stable.
 */
export function crossEntropyLoss(options?: CrossEntropyOptions): LossFunction {
  const given = optionalOptions('crossEntropyLoss', options, '{ classWeights?, reduction? }');
  const classWeights = given.classWeights === undefined ? undefined : validateClassWeights(given.classWeights);
  const reduction = validateReduction(given.reduction);
  return named('crossEntropyLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: logits, target } = prepare('crossEntropyLoss', yTrue, yPred, { classWeights });
      return reduceLoss(crossEntropyPerSample(target, logits), target, classWeights, reduction);
    }),
  );
}
