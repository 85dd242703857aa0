/**
 * The max-margin loss of docs/METHOD.md section 2, a multi-class hinge on affinities:
 *   L_mm(i) = sum_{j != y_i} max(0, lambda_{y_i} + A_ij - A_{i,y_i}),
 * with one margin lambda for every class (the paper's), or, given the class counts, margins in
 * the LDAM form lambda_y = lambda (n_min / n_y)^(1/4): the rarest class keeps lambda.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, ShapeError } from '../errors.js';
import { requireFiniteTensor } from '../finite.js';
import { readsBackCheaply } from '../hostReads.js';
import { toOneHot } from '../labels.js';
import { ldamMargins } from '../losses/ldam.js';
import { validateCounts } from '../losses/shared.js';

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
  /**
   * Training samples per class n_j (> 0, one entry per class). When given, the margins depend on
   * the class: lambda_y = margin * (n_min / n_y)^(1/4), so the rarest class keeps `margin` and a
   * class 100x more frequent gets margin / 3.2 (Cao et al.'s LDAM form on affinities). A rare
   * class's samples must then sit further inside their own cluster than a frequent class's,
   * which moves the boundary towards the frequent classes, where the prior says it belongs.
   * Default: one margin for all (the paper's).
   */
  classCounts?: ArrayLike<number>;
}

/** Validates the margin; throws AffinityConfigError naming the bad value. */
export function validateMargin(margin: unknown, allowMarginAboveOne = false): number {
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin <= 0) {
    throw new AffinityConfigError(`margin must be a finite number in (0, 1], got ${String(margin)}`);
  }
  if (margin > 1 && !allowMarginAboveOne) {
    throw new AffinityConfigError(
      // The experiment config and the CLI check margins here too, so the way around names the functions that have it.
      `margin must be in (0, 1] because affinities lie in (0, 1]; got ${margin} ` +
        '(maxMarginLoss and affinityLoss accept it with allowMarginAboveOne: true)',
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
 * @throws ShapeError for an empty batch; NonFiniteError when an affinity is NaN or infinite (on
 *   the host backends; see hostReads.ts).
 */
export function maxMarginLoss(yTrue: tf.Tensor, affinities: tf.Tensor, margin: number | MaxMarginOptions): tf.Scalar {
  const options = typeof margin === 'number' ? { margin } : margin;
  validateMargin(options?.margin, options?.allowMarginAboveOne);
  if (affinities.rank !== 2) {
    throw new ShapeError(`affinities must have shape (N, classes), got (${affinities.shape})`);
  }
  const [rows, classes] = affinities.shape;
  if (rows === 0) throw new ShapeError('affinities are an empty batch (0 rows); the loss needs at least one sample');
  // One flag read: NaN features would otherwise come out as a NaN loss with no hint of the cause.
  // Not on a GPU, where it would stall every step; there the trainer stops on the NaN loss.
  if (readsBackCheaply()) requireFiniteTensor('maxMarginLoss: affinities', affinities);
  const margins = classMargins(options, classes);
  return tf.tidy(() => {
    const target = toOneHot(yTrue, classes, rows);
    // Each row's margin is its true class's: a (N, 1) column, or the one number.
    const margin = margins === undefined ? options.margin : tf.sum(tf.mul(target, tf.tensor1d(margins)), 1, true);
    return hingeWithGradient(target, margin)(affinities);
  });
}

/** The per-class margins of `options.classCounts`, checked against C; undefined for one margin. */
function classMargins(options: MaxMarginOptions, classes: number): number[] | undefined {
  if (options.classCounts === undefined) return undefined;
  const margins = ldamMargins(validateCounts(options.classCounts, 'classCounts'), options.margin);
  if (margins.length !== classes) {
    throw new ShapeError(`classCounts has ${margins.length} entries but the affinities have ${classes} classes`);
  }
  return margins;
}

/**
 * The hinge as one op with an analytic gradient (fewer kernels than autodiff, which matters on
 * wasm). The margin is one number or a (N, 1) column of each row's margin (it takes no gradient).
 * With active_ij = [j != y_i and margin + A_ij - A_iy > 0]:
 *   L = (1/N) sum_ij active_ij (margin + A_ij - A_iy),
 *   dL/dA_ij = (1/N) (active_ij - [j = y_i] sum_k active_ik).
 * A_{i,y_i} is taken by a one-hot mask product: tf.gather has no gradient on the wasm backend.
 */
function hingeWithGradient(target: tf.Tensor2D, margin: number | tf.Tensor): (affinities: tf.Tensor) => tf.Scalar {
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
 * so the total is the paper's L = mean_i L_mm(i) + R(w). With `classCounts` the margins depend on
 * the class (see `MaxMarginOptions.classCounts`).
 *
 * Note: `model.fit` checks that targets have the output's shape, so give it one-hot labels;
 * integer labels work when the loss is called directly (custom training loops).
 */
export function affinityLoss(options: MaxMarginOptions): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  validateMargin(options?.margin, options?.allowMarginAboveOne);
  if (options.classCounts !== undefined) validateCounts(options.classCounts, 'classCounts');
  const checked = { margin: options.margin, allowMarginAboveOne: options.allowMarginAboveOne, classCounts: options.classCounts };
  const loss = (yTrue: tf.Tensor, yPred: tf.Tensor) => maxMarginLoss(yTrue, yPred, checked);
  Object.defineProperty(loss, 'name', { value: 'affinityLoss' });
  return loss;
}
