/**
 * Balanced Softmax (Ren et al., NeurIPS 2020): L_i = CE(z_i + log n).
 * Adding the log class count during training lets the logits z learn the class-balanced
 * posterior; at test time the plain argmax of z is used, with no adjustment.
 */
import { requireOptions } from '../validate.js';
import { shiftedCrossEntropyLoss, validateCounts, type ClassWeightingOptions, type LossFunction } from './shared.js';

/** Options of `balancedSoftmaxLoss`. */
export interface BalancedSoftmaxOptions extends ClassWeightingOptions {
  /** Training samples per class, n_j > 0 (one entry per class). */
  counts: ArrayLike<number>;
}

/** Balanced Softmax loss on logits: mean_i -log softmax(z_i + log n)_{y_i}. */
export function balancedSoftmaxLoss(options: BalancedSoftmaxOptions): LossFunction {
  requireOptions('balancedSoftmaxLoss', options, '{ counts, classWeights?, reduction? }');
  return shiftedCrossEntropyLoss('balancedSoftmaxLoss', validateCounts(options.counts).map(Math.log), options);
}
