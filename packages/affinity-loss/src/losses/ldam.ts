/**
 * LDAM, label-distribution-aware margin loss (Cao et al., NeurIPS 2019):
 *   Delta_j = C / n_j^(1/4)   (C chosen so the largest margin, that of the rarest class, is maxMargin)
 *   L_i = CE( s * (z_i - Delta_{y_i} e_{y_i}) )
 * on the cosine logits z of `CosineHead`. Rare classes must win by a larger margin, which
 * widens their decision region where few samples pin it down.
 */
import * as tf from '@tensorflow/tfjs';
import { requireOptions, requirePositive } from '../validate.js';
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

/** Options of `ldamLoss`. */
export interface LdamOptions {
  /** Training samples per class, n_j > 0 (one entry per class). */
  counts: ArrayLike<number>;
  /** The largest margin, given to the rarest class (> 0). Default 0.5 (the paper's). */
  maxMargin?: number;
  /** s, the scale applied to the margin-shifted cosine logits (> 0). Default 30 (the paper's). */
  scale?: number;
  /**
   * w_j, per-class weights of the per-sample losses; pass `DeferredReweighting.weights` (with
   * `reduction: 'weightedMean'`) for LDAM-DRW. Default: none.
   */
  classWeights?: ClassWeights;
  /**
   * How weighted per-sample losses are averaged; see `WeightedReduction`. Default 'mean', like
   * every loss here. Cao et al.'s LDAM-DRW code uses 'weightedMean' (PyTorch's
   * `cross_entropy(weight=...)`, sum_i w_{y_i} L_i / sum_i w_{y_i}); pass it to reproduce their
   * runs. Without class weights the two are the same.
   */
  reduction?: WeightedReduction;
}

/**
 * The per-class margins Delta_j = maxMargin * (min_k n_k / n_j)^(1/4), i.e. proportional to
 * n_j^(-1/4) with the rarest class at `maxMargin`.
 */
export function ldamMargins(counts: ArrayLike<number>, maxMargin = 0.5): number[] {
  const n = validateCounts(counts);
  requirePositive('maxMargin', maxMargin);
  const raw = n.map((count) => count ** -0.25);
  const largest = Math.max(...raw);
  return raw.map((value) => (value * maxMargin) / largest);
}

/**
 * LDAM loss: yPred are the cosine logits z in [-1, 1] of `CosineHead` (not softmax scores, not
 * the logits of a plain dense layer, whose scale would swamp margins of ~0.5). The true-class
 * margin is subtracted through a one-hot mask product, so no gather is on the gradient path.
 *
 * For LDAM-DRW as Cao et al. train it (their code averages with a weighted mean):
 *
 * ```ts
 * const drw = new DeferredReweighting({ counts, startEpoch: 160 });
 * const loss = ldamLoss({ counts, classWeights: drw.weights, reduction: 'weightedMean' });
 * ```
 */
export function ldamLoss(options: LdamOptions): LossFunction {
  requireOptions('ldamLoss', options, '{ counts, maxMargin?, scale?, classWeights?, reduction? }');
  const margins = ldamMargins(options.counts, options.maxMargin ?? 0.5);
  const scale = requirePositive('scale', options.scale ?? 30);
  const classWeights = options.classWeights === undefined ? undefined : validateClassWeights(options.classWeights);
  const reduction = validateReduction(options.reduction);
  return named('ldamLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: cosines, target } = prepare('ldamLoss', yTrue, yPred, { counts: margins, classWeights });
      const shifted = tf.sub(cosines, tf.mul(target, tf.tensor1d(margins))); // z - Delta_y e_y
      const perSample = crossEntropyPerSample(target, tf.mul(shifted, scale) as tf.Tensor2D);
      return reduceLoss(perSample, target, classWeights, reduction);
    }),
  );
}
