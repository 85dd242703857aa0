/**
 * The max-margin loss of docs/METHOD.md section 2, a multi-class hinge on affinities:
 *   L_mm(i) = sum_{j != y_i} max(0, lambda + A_ij - A_{i,y_i}).
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, ShapeError } from '../errors.js';
import { toOneHot } from '../labels.js';

/** Options of the max-margin loss. */
export interface MaxMarginOptions {
  /**
   * lambda, the enforced margin between the true class's affinity and every other class's.
   * Affinities lie in (0, 1], so a margin above 1 can never be met and only makes the loss
   * a constant push; it is refused unless `allowMarginAboveOne` is set.
   */
  margin: number;
  /** Accept margin > 1 (for experiments that want it on purpose). Default false. */
  allowMarginAboveOne?: boolean;
}

/** Validates the margin; throws AffinityConfigError naming the bad value. */
export function validateMargin(margin: unknown, allowMarginAboveOne = false): number {
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin <= 0) {
    throw new AffinityConfigError(`margin must be a finite number in (0, 1], got ${String(margin)}`);
  }
  if (margin > 1 && !allowMarginAboveOne) {
    throw new AffinityConfigError(
      `margin must be in (0, 1] because affinities lie in (0, 1]; got ${margin}. ` +
        'Pass allowMarginAboveOne: true to use it anyway.',
    );
  }
  return margin;
}

/**
 * Mean over the batch of the max-margin hinge on affinities.
 *
 * @param yTrue labels: one-hot (N, C), or integer ids of shape (N) or (N, 1).
 * @param affinities A, shape (N, C), e.g. the output of `gaussianAffinity`.
 * @param margin lambda in (0, 1], or the options of `affinityLoss`.
 */
export function maxMarginLoss(yTrue: tf.Tensor, affinities: tf.Tensor, margin: number | MaxMarginOptions): tf.Scalar {
  const options = typeof margin === 'number' ? { margin } : margin;
  validateMargin(options?.margin, options?.allowMarginAboveOne);
  if (affinities.rank !== 2) {
    throw new ShapeError(`affinities must have shape (N, classes), got (${affinities.shape})`);
  }
  const [rows, classes] = affinities.shape;
  return tf.tidy(() => hingeWithGradient(toOneHot(yTrue, classes, rows), options.margin)(affinities));
}

/**
 * The hinge as one op with an analytic gradient (fewer kernels than autodiff, which matters on
 * wasm). With active_ij = [j != y_i and margin + A_ij - A_iy > 0]:
 *   L = (1/N) sum_ij active_ij (margin + A_ij - A_iy),
 *   dL/dA_ij = (1/N) (active_ij - [j = y_i] sum_k active_ik).
 * A_{i,y_i} is taken by a one-hot mask product: tf.gather has no gradient on the wasm backend.
 */
function hingeWithGradient(target: tf.Tensor2D, margin: number): (affinities: tf.Tensor) => tf.Scalar {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [affinities, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const rows = affinities.shape[0];
    const trueAffinity = tf.sum(tf.mul(affinities, target), 1, true);
    const otherClasses = tf.sub(1, target); // drops j = y_i, whose hinge is always the margin
    const violations = tf.mul(tf.relu(tf.add(tf.sub(affinities, trueAffinity), margin)), otherClasses);
    const active = tf.mul(tf.step(violations), otherClasses); // step(0) = 0: a met margin has no gradient
    // The labels are saved too: the caller's tidy frees them before the backward pass runs.
    save([active, target]);
    return {
      value: tf.div(tf.sum(violations), rows) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [activeMask, labels] = saved;
        const perRow = tf.sub(activeMask, tf.mul(labels, tf.sum(activeMask, 1, true)));
        return [tf.mul(perRow, tf.div(dy, rows))];
      },
    };
  }) as (affinities: tf.Tensor) => tf.Scalar;
}

/**
 * The affinity loss for `model.compile({ loss: affinityLoss({ margin }) })`, on a model whose
 * last layer is `GaussianAffinity`. The layer's diversity regularizer is added by tfjs itself,
 * so the total is the paper's L = mean_i L_mm(i) + R(w).
 *
 * Note: `model.fit` checks that targets have the output's shape, so give it one-hot labels;
 * integer labels work when the loss is called directly (custom training loops).
 */
export function affinityLoss(options: MaxMarginOptions): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  validateMargin(options?.margin, options?.allowMarginAboveOne);
  const checked = { margin: options.margin, allowMarginAboveOne: options.allowMarginAboveOne };
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor) => maxMarginLoss(yTrue, yPred, checked);
  Object.defineProperty(loss, 'name', { value: 'affinityLoss' });
  return loss;
}
