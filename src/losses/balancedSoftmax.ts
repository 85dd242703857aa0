/**
 * Balanced Softmax (Ren et al., NeurIPS 2020): L_i = CE(z_i + log n).
 * Adding the log class count during training lets the logits z learn the class-balanced
 * posterior; at test time the plain argmax of z is used, with no adjustment.
 */
import * as tf from '@tensorflow/tfjs';
import { requireOptions } from '../validate.js';
import {
  crossEntropyPerSample,
  named,
  prepare,
  reduceLoss,
  validateClassWeights,
  validateCounts,
  validateReduction,
  type ClassWeights,
  type LossFunction,
  type WeightedReduction,
} from './shared.js';

/** Options of `balancedSoftmaxLoss`. */
export interface BalancedSoftmaxOptions {
  /** Training samples per class, n_j > 0 (one entry per class). */
  counts: ArrayLike<number>;
  /**
   * Optional per-class weights w_j on each sample's loss (e.g. `DeferredReweighting.weights`,
   * for a DRW schedule on top of this loss).
   */
  classWeights?: ClassWeights;
  /** With classWeights: 'mean' (default) divides by N, 'weightedMean' by the batch's total weight. */
  reduction?: WeightedReduction;
}

/** Balanced Softmax loss on logits: mean_i -log softmax(z_i + log n)_{y_i}. */
export function balancedSoftmaxLoss(options: BalancedSoftmaxOptions): LossFunction {
  requireOptions('balancedSoftmaxLoss', options, '{ counts, classWeights?, reduction? }');
  const classWeights = options.classWeights === undefined ? undefined : validateClassWeights(options.classWeights);
  const reduction = validateReduction(options.reduction);
  const logCounts = validateCounts(options.counts).map(Math.log);
  return named('balancedSoftmaxLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: logits, target } = prepare('balancedSoftmaxLoss', yTrue, yPred, { counts: logCounts, classWeights });
      const perSample = crossEntropyPerSample(target, tf.add(logits, tf.tensor1d(logCounts)) as tf.Tensor2D);
      return reduceLoss(perSample, target, classWeights, reduction);
    }),
  );
}
