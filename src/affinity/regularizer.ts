/**
 * The diversity regularizer of METHOD.md section 3: the variance of the pairwise squared
 * distances between prototypes, which is 0 exactly when all prototypes are equidistant.
 *   D_jk = ||w_j - w_k||^2,  mu = mean_{j<k} D_jk,  R = mean_{j<k} (D_jk - mu)^2.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, ShapeError } from '../errors.js';
import { requireNonNegative, requireOneOf } from '../validate.js';
import { columnMean } from './columns.js';
import { squaredDistances } from './distance.js';

/** Options of the diversity regularizer. The defaults are the paper's formulation. */
export interface DiversityOptions {
  /** 'mean' (default): R averages over pairs j<k; 'sum': R sums over them (grows with K^2). */
  reduction?: 'mean' | 'sum';
  /** true (default): D is the squared distance; false: the plain Euclidean distance. */
  squared?: boolean;
  /**
   * 'all' (default): every pair of the C*m prototypes; 'acrossClasses': only pairs whose
   * prototypes belong to different classes (prototypes of one class may then cluster).
   */
  scope?: 'all' | 'acrossClasses';
  /** Multiplies R (default 1: the paper adds R unweighted). */
  weight?: number;
}

/** Validated options with every default filled in. */
export type ResolvedDiversityOptions = Required<DiversityOptions>;

/** Fills defaults and validates; throws AffinityConfigError naming the bad option. */
export function resolveDiversityOptions(options: DiversityOptions = {}): ResolvedDiversityOptions {
  const squared = options.squared ?? true;
  if (typeof squared !== 'boolean') {
    throw new AffinityConfigError(`diversity option squared must be a boolean, got ${String(squared)}`);
  }
  return {
    reduction: requireOneOf('diversity reduction', options.reduction ?? 'mean', ['mean', 'sum'] as const),
    squared,
    scope: requireOneOf('diversity scope', options.scope ?? 'all', ['all', 'acrossClasses'] as const),
    weight: requireNonNegative('diversity weight', options.weight ?? 1),
  };
}

/**
 * R(w): the variance of pairwise prototype distances, times `weight`.
 *
 * @param prototypes shape (C, m, d), or (K, d) for K prototypes each its own class.
 * @returns a scalar; 0 (with a zero gradient, not NaN) when there is no pair to compare.
 */
export function diversity(prototypes: tf.Tensor, options: DiversityOptions = {}): tf.Scalar {
  const { reduction, squared, scope, weight } = resolveDiversityOptions(options);
  if (prototypes.rank !== 2 && prototypes.rank !== 3) {
    throw new ShapeError(`prototypes must have shape (C, m, d) or (K, d), got (${prototypes.shape})`);
  }
  const [classes, perClass] = prototypes.rank === 3 ? prototypes.shape : [prototypes.shape[0], 1];
  const count = classes * perClass;
  const featureDim = prototypes.shape[prototypes.rank - 1];
  const pairs = scope === 'all' ? count * (count - 1) : count * count - classes * perClass * perClass;
  return tf.tidy(() => {
    if (pairs === 0) {
      // 0 times the input, not tf.scalar(0): the result stays connected to the prototypes, so
      // tf.grad returns a zero gradient instead of throwing, and nothing divides by 0 pairs.
      return tf.mul(tf.sum(prototypes), 0) as tf.Scalar;
    }
    const flat = tf.reshape(prototypes, [count, featureDim]) as tf.Tensor2D;
    // Sum over ordered pairs j != k (each unordered pair twice) of (D_jk - mu)^2.
    const total =
      scope === 'all' && squared && count > featureDim
        ? squaredDeviationsFromMoments(flat)
        : squaredDeviationsFromDistances(flat, classes, perClass, scope, squared, pairs);
    const value = reduction === 'mean' ? tf.div(total, pairs) : tf.div(total, 2);
    return tf.mul(value, weight) as tf.Scalar;
  });
}

/**
 * Sum over ordered pairs j != k of (D_jk - mu)^2 from the (K, K) distance matrix: O(K^2 d).
 * Ordered pairs leave the mean and variance unchanged and keep the diagonal j = k out
 * (leaving it in pulls prototypes together).
 */
function squaredDeviationsFromDistances(
  flat: tf.Tensor2D,
  classes: number,
  perClass: number,
  scope: 'all' | 'acrossClasses',
  squared: boolean,
  pairs: number,
): tf.Scalar {
  const count = classes * perClass;
  let distances: tf.Tensor2D = squaredDistances(flat, flat);
  if (!squared) {
    // Clamp before sqrt: the diagonal is 0 and sqrt has an infinite slope there.
    distances = tf.sqrt(tf.maximum(distances, 1e-12)) as tf.Tensor2D;
  }
  const mask = scope === 'all' ? tf.sub(1, tf.eye(count)) : differentClassMask(classes, perClass);
  const mean = tf.div(tf.sum(tf.mul(distances, mask)), pairs);
  return tf.sum(tf.square(tf.mul(tf.sub(distances, mean), mask))) as tf.Scalar;
}

/**
 * The same sum for squared distances over all pairs, from moments of the prototypes: O(K d^2),
 * used when K > d, where the (K, K) matrix costs more (1000 classes x 5 prototypes x 256:
 * 75 ms instead of 4.5 s per step on wasm).
 *
 * With the prototypes p centred (sum p = 0), a_j = ||p_j||^2, mu = 2 sum(a) / (K - 1) and
 * b_j = a_j - mu/2, every entry of D - mu is b_j + b_k - 2 p_j.p_k, and over all K^2 entries
 *   sum (D_jk - mu)^2 = 2K sum(b^2) + 2 (sum b)^2 + 4 ||P^T P||_F^2
 * (the cross term is a multiple of sum p = 0). The K diagonal entries are (0 - mu)^2 each, so
 * the ordered pairs j != k sum to that minus K mu^2. Every term above is a sum of squares, so
 * little cancels: measured against float64, 1e-6 relative at K = 1000, d = 64, where the
 * (K, K) form in float32 loses 5e-4 to its long sums.
 */
function squaredDeviationsFromMoments(flat: tf.Tensor2D): tf.Scalar {
  const count = flat.shape[0];
  const centred = tf.sub(flat, columnMean(flat));
  const norms = tf.sum(tf.square(centred), 1);
  const mean = tf.div(tf.mul(tf.sum(norms), 2), count - 1);
  const shifted = tf.sub(norms, tf.div(mean, 2));
  const gram = tf.matMul(tf.transpose(centred), centred); // (d, d)
  const allEntries = tf.addN([
    tf.mul(tf.sum(tf.square(shifted)), 2 * count),
    tf.mul(tf.square(tf.sum(shifted)), 2),
    tf.mul(tf.sum(tf.square(gram)), 4),
  ]);
  return tf.sub(allEntries, tf.mul(tf.square(mean), count)) as tf.Scalar;
}

/** A (K, K) mask, 1 where prototypes j and k belong to different classes. */
function differentClassMask(classes: number, perClass: number): tf.Tensor2D {
  const owner = tf.oneHot(tf.div(tf.range(0, classes * perClass, 1, 'int32'), perClass).toInt(), classes).toFloat();
  return tf.sub(1, tf.matMul(owner, tf.transpose(owner))) as tf.Tensor2D;
}

type TfRegularizer = ReturnType<typeof tf.regularizers.l1l2>;
// tfjs-layers does not export its abstract Regularizer class, but layers accept a regularizer
// only if it is an instance of it (anything else is read as a config dict). L1L2 extends it
// directly, so its prototype chain gives the real base class.
const RegularizerBase = Object.getPrototypeOf(tf.regularizers.l1l2().constructor) as abstract new () => TfRegularizer;

/**
 * The diversity term as a tfjs Regularizer. Attached to a weight (GaussianAffinity does this
 * by default), `model.fit` adds R(w) to the loss by itself, once per step, not scaled by the
 * batch size and with no extra output column.
 *
 * Works on any weight whose last axis is the feature axis: (C, m, d) or (K, d).
 */
export class DiversityRegularizer extends RegularizerBase {
  /** Name under which the class is registered for serialization. */
  static className = 'DiversityRegularizer';
  /** The validated options. */
  readonly options: ResolvedDiversityOptions;

  constructor(options: DiversityOptions = {}) {
    super();
    this.options = resolveDiversityOptions(options);
  }

  /** R(w) for the weight `x`. */
  apply(x: tf.Tensor): tf.Scalar {
    return diversity(x, this.options);
  }

  /** The constructor options, so the regularizer round-trips through model.save. */
  getConfig(): tf.serialization.ConfigDict {
    return { ...this.options };
  }

  /** Rebuilds the regularizer from `getConfig()` output (used by tf.loadLayersModel). */
  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}
tf.serialization.registerClass(DiversityRegularizer);
