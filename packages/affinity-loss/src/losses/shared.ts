/**
 * What every baseline loss shares: the loss signature, argument checks, the numerically stable
 * cross-entropy core and the reduction over the batch. Kept in one place so each loss file reads
 * as its formula and nothing else.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, ShapeError } from '../errors.js';
import { toOneHot } from '../labels.js';
import { requireNonNegative, requireOneOf, requireOptions, requirePositive } from '../validate.js';

/**
 * A loss as `model.compile({ loss })` and custom training loops use it: labels and predictions
 * in, the mean over the batch out. Labels are one-hot (N, C) or integer ids (N) / (N, 1);
 * `model.fit` insists on targets shaped like the output, so give it one-hot labels.
 */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/**
 * Per-class weights w_j: a plain array (fixed for the life of the loss), or a rank-1 tensor of
 * length C that is read at every call, so changing a `tf.Variable` (as `DeferredReweighting`
 * does) changes the loss from the next step on.
 */
export type ClassWeights = ArrayLike<number> | tf.Tensor1D;

/**
 * How per-sample losses L_i with sample weights s_i = w_{y_i} become one number:
 * - 'mean' (default): (1/N) sum_i s_i L_i, as Cui et al.'s reference code does;
 * - 'weightedMean': sum_i s_i L_i / sum_i s_i, as PyTorch's `cross_entropy(weight=...)` does
 *   (the reduction in Cao et al.'s LDAM-DRW code). It keeps the loss scale when weights change.
 */
export type WeightedReduction = 'mean' | 'weightedMean';

/**
 * Validates class counts n_j: at least two entries, each a finite number > 0. A class with no
 * training sample has no defined weight, margin or prior (1/0, 0^(-1/4), log 0), so it is
 * refused here instead of turning into Infinity inside the loss.
 */
export function validateCounts(counts: unknown, name = 'counts'): number[] {
  return perClassNumbers(name, counts, 'per-class sample counts', requirePositive);
}

/**
 * The options object of a factory whose options are all optional: undefined means "all
 * defaults", but null or a non-object is refused, since it is a mistake rather than an omission
 * (and reading a field of null would be a bare TypeError).
 *
 * @param name the factory, named in the error.
 * @param needs the options it takes, e.g. `'{ gamma?, alpha? }'`, shown in the error.
 */
export function optionalOptions<T extends object>(name: string, options: T | null | undefined, needs: string): T {
  return options === undefined ? ({} as T) : requireOptions(name, options, needs);
}

/** Validates the reduction option; throws AffinityConfigError naming the bad value. */
export function validateReduction(reduction: unknown): WeightedReduction {
  return requireOneOf('reduction', reduction ?? 'mean', ['mean', 'weightedMean'] as const);
}

/**
 * Validates fixed class weights: finite numbers >= 0, at least two. Tensors are checked for
 * shape when the loss runs (their values may change between steps).
 */
export function validateClassWeights(weights: unknown, name = 'classWeights'): ClassWeights {
  if (weights instanceof tf.Tensor) {
    if (weights.rank !== 1) {
      throw new ShapeError(`${name} must be a rank-1 tensor with one weight per class, got shape (${weights.shape})`);
    }
    return weights as tf.Tensor1D;
  }
  return perClassNumbers(name, weights, 'per-class weights (or a rank-1 tensor)', requireNonNegative);
}

/**
 * An array of at least two finite numbers, one per class, each passing `check` (which names the
 * entry, e.g. `counts[2]`, in its error).
 */
function perClassNumbers(name: string, values: unknown, what: string, check: (name: string, value: unknown) => number): number[] {
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    throw new AffinityConfigError(`${name} must be an array of ${what}, got ${String(values)}`);
  }
  const list = Array.from(values as ArrayLike<number>);
  if (list.length < 2) {
    throw new AffinityConfigError(`${name} must have one entry per class and at least 2 classes, got ${list.length}`);
  }
  list.forEach((value, j) => check(`${name}[${j}]`, value));
  return list;
}

/**
 * Checks predictions (N, C) against labels and returns both as float32 tensors: the scores
 * unchanged, the labels one-hot. The scores are whatever the loss reads per class (logits,
 * cosine logits, squared distances to class centres), so each loss names them for itself.
 * Throws ShapeError for predictions that are not (N, C) with C >= 2, and LabelError (from
 * `toOneHot`) for labels of the wrong shape or range.
 *
 * @param perClass arrays that must have one entry per class (counts, weights), checked against C.
 */
export function prepare(
  lossName: string,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  perClass: Record<string, { length: number } | tf.Tensor | undefined> = {},
): { scores: tf.Tensor2D; target: tf.Tensor2D } {
  const [rows, classes] = yPred.shape;
  if (yPred.rank !== 2 || classes < 2) {
    throw new ShapeError(`${lossName}: predictions must have shape (N, classes) with classes >= 2, got (${yPred.shape})`);
  }
  for (const [name, values] of Object.entries(perClass)) {
    if (values === undefined) continue;
    const length = values instanceof tf.Tensor ? values.size : values.length;
    if (length !== classes) {
      throw new ShapeError(`${lossName}: ${name} has ${length} entries but predictions have ${classes} classes`);
    }
  }
  const target = toOneHot(yTrue, classes, rows);
  const scores = (yPred.dtype === 'float32' ? yPred : tf.cast(yPred, 'float32')) as tf.Tensor2D;
  return { scores, target };
}

/**
 * Per-sample cross-entropy from logits, -sum_j y_ij log softmax(z_i)_j, shape (N). Uses
 * `tf.logSoftmax` (max-shifted, with its own stable gradient), never log(softmax(z)), which
 * underflows to log 0 = -Infinity once one logit leads by ~100.
 */
export function crossEntropyPerSample(target: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

/**
 * Reduces per-sample losses L_i to a scalar, weighting sample i by w_{y_i}. The true class's
 * weight is picked by a one-hot mask product, sum_j y_ij w_j (tf.gather has no gradient on the
 * wasm backend, and this also covers soft labels).
 */
export function reduceLoss(
  perSample: tf.Tensor1D,
  target: tf.Tensor2D,
  classWeights?: ClassWeights,
  reduction: WeightedReduction = 'mean',
): tf.Scalar {
  return tf.tidy(() => {
    if (classWeights === undefined) return tf.mean(perSample) as tf.Scalar;
    const weights = classWeights instanceof tf.Tensor ? classWeights : tf.tensor1d(Array.from(classWeights));
    const sampleWeights = tf.sum(tf.mul(target, weights), 1);
    const total = tf.sum(tf.mul(sampleWeights, perSample));
    if (reduction === 'mean') return tf.div(total, perSample.shape[0]) as tf.Scalar;
    // A batch whose samples all weigh 0 contributes 0, not 0/0.
    return tf.div(total, tf.maximum(tf.sum(sampleWeights), 1e-12)) as tf.Scalar;
  });
}

/** Gives a loss function a readable `name` (tfjs and stack traces show it). */
export function named(name: string, loss: LossFunction): LossFunction {
  Object.defineProperty(loss, 'name', { value: name });
  return loss;
}

/** Per-class weighting of the per-sample losses, for losses that also accept DRW's weights. */
export interface ClassWeightingOptions {
  /**
   * Optional per-class weights w_j on each sample's loss (e.g. `DeferredReweighting.weights`,
   * for a DRW schedule on top of this loss).
   */
  classWeights?: ClassWeights;
  /** With classWeights: 'mean' (default) divides by N, 'weightedMean' by the batch's total weight. */
  reduction?: WeightedReduction;
}

/**
 * CE(z + offsets) on logits, offsets fixed per class, with optional class weights: the loss of
 * Balanced Softmax (offsets log n) and of logit adjustment (offsets tau log pi).
 */
export function shiftedCrossEntropyLoss(lossName: string, offsets: number[], options: ClassWeightingOptions): LossFunction {
  const classWeights = options.classWeights === undefined ? undefined : validateClassWeights(options.classWeights);
  const reduction = validateReduction(options.reduction);
  return named(lossName, (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: logits, target } = prepare(lossName, yTrue, yPred, { counts: offsets, classWeights });
      const perSample = crossEntropyPerSample(target, tf.add(logits, tf.tensor1d(offsets)) as tf.Tensor2D);
      return reduceLoss(perSample, target, classWeights, reduction);
    }),
  );
}
