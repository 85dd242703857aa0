/**
 * Prediction with the affinity head (docs/METHOD.md section 4), optionally corrected for the
 * training prior: y_hat_i = argmax_j (log A_ij - tau log pi_j), pi_j = n_j / sum n.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { adjustLogits } from '../losses/logitAdjusted.js';
import { requireNonNegative } from '../validate.js';
import type { AffinityOutput } from './affinity.js';

/** A prior correction at prediction: the class prior and how strongly to divide it out. */
export interface PriorCorrection {
  /** Training samples per class n_j > 0; only their ratios matter. */
  classCounts: ArrayLike<number>;
  /**
   * tau >= 0. 0 is the plain nearest-prototype rule. The hinge leaves log-affinity gaps of ~0.5
   * between classes while log pi spans 4.6 at 100:1, so tau = 1 over-corrects: choose tau on a
   * validation split (`choosePriorCorrection`).
   */
  tau: number;
  /** What the scores are: affinities A (default) or log A (`GaussianAffinity`'s `outputForm`). */
  outputForm?: AffinityOutput;
}

/**
 * The prior-corrected scores log A_ij - tau log pi_j, shape (N, C). Affinities that underflowed
 * to 0 score -Infinity, as they rank last uncorrected too.
 *
 * @param scores the head's output, affinities or log-affinities (see `correction.outputForm`).
 */
export function priorCorrectedScores(scores: tf.Tensor, correction: PriorCorrection): tf.Tensor2D {
  requireNonNegative('tau', correction.tau);
  return tf.tidy(() => adjustLogits((correction.outputForm ?? 'affinity') === 'affinity' ? tf.log(scores) : scores, correction.classCounts, correction.tau));
}

/**
 * y_hat_i = argmax_j A_ij: the class of the nearest prototype; with a `correction` of tau > 0,
 * argmax_j (log A_ij - tau log pi_j). Takes the scores the head outputs (never dot products with
 * the prototypes, which rank classes differently).
 *
 * @param affinities shape (N, C).
 * @param correction the prior correction, e.g. `head.priorCorrectionSettings` of a trained head.
 * @returns int32 class ids, shape (N).
 */
export function predictClasses(affinities: tf.Tensor, correction?: PriorCorrection): tf.Tensor1D {
  if (affinities.rank !== 2) {
    throw new ShapeError(`predictClasses needs scores of shape (N, classes), got (${affinities.shape})`);
  }
  if (correction === undefined || correction.tau === 0) return tf.argMax(affinities, 1) as tf.Tensor1D;
  return tf.tidy(() => tf.argMax(priorCorrectedScores(affinities, correction), 1) as tf.Tensor1D);
}
