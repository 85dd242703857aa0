/**
 * Logit adjustment (Menon et al., ICLR 2021), with pi_j = n_j / sum_k n_k the class priors:
 * - the loss:     L_i = CE(z_i + tau log pi)
 * - post-hoc:     y_hat_i = argmax_j (z_ij - tau log pi_j), for a model trained with plain CE.
 * Both shift the decision towards rare classes by tau times the log prior; with tau = 1 the
 * loss equals Balanced Softmax (log n and log pi differ by a constant, which softmax ignores).
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { requireNonNegative, requireOptions } from '../validate.js';
import { shiftedCrossEntropyLoss, validateCounts, type ClassWeightingOptions, type LossFunction } from './shared.js';

/** Options of `logitAdjustedLoss`. */
export interface LogitAdjustedOptions extends ClassWeightingOptions {
  /** Training samples per class, n_j > 0 (one entry per class); only their ratios matter. */
  counts: ArrayLike<number>;
  /** tau >= 0, the strength of the adjustment. Default 1 (the paper's); 0 gives plain CE. */
  tau?: number;
}

/** log pi_j = log(n_j / sum n), after validating the counts. */
function logPriors(counts: ArrayLike<number>): number[] {
  const n = validateCounts(counts);
  const total = n.reduce((sum, count) => sum + count, 0);
  return n.map((count) => Math.log(count / total));
}

/** Logit-adjusted loss on logits: mean_i -log softmax(z_i + tau log pi)_{y_i}. */
export function logitAdjustedLoss(options: LogitAdjustedOptions): LossFunction {
  requireOptions('logitAdjustedLoss', options, '{ counts, tau?, classWeights?, reduction? }');
  const tau = requireNonNegative('tau', options.tau ?? 1);
  return shiftedCrossEntropyLoss('logitAdjustedLoss', logPriors(options.counts).map((value) => tau * value), options);
}

/**
 * Post-hoc logit adjustment of a trained model's logits: z_ij - tau log pi_j. The argmax of the
 * result is Menon et al.'s balanced prediction; rare classes (log pi very negative) gain.
 *
 * @param logits shape (N, C), the raw scores of a model trained with plain cross-entropy.
 * @param counts training samples per class, n_j > 0.
 * @param tau >= 0, default 1.
 * @returns the adjusted logits, shape (N, C).
 */
export function adjustLogits(logits: tf.Tensor, counts: ArrayLike<number>, tau = 1): tf.Tensor2D {
  const logPi = logPriors(counts);
  requireNonNegative('tau', tau);
  if (logits.rank !== 2 || logits.shape[1] !== logPi.length) {
    throw new ShapeError(`adjustLogits: logits must have shape (N, ${logPi.length}) to match counts, got (${logits.shape})`);
  }
  return tf.tidy(() => tf.sub(logits, tf.tensor1d(logPi.map((value) => tau * value))) as tf.Tensor2D);
}
