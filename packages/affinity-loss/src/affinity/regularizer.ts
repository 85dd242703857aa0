/**
 * The diversity regularizer of docs/METHOD.md section 3: the variance of the pairwise squared
 * distances between prototypes, which is 0 exactly when all prototypes are equidistant.
 *   D_jk = ||w_j - w_k||^2,  mu = mean_{j<k} D_jk,  R = mean_{j<k} (D_jk - mu)^2.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, ShapeError } from '../errors.js';
import { requireNonNegative, requireOneOf } from '../validate.js';
import { columnMean, columnSum } from './columns.js';
import { centredSquaredDistances } from './distance.js';

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
  return diversityInForm(prototypes, options);
}

/**
 * `diversity` in a given form instead of the one `chooseDiversityForm` picks (for tests that
 * hold the forms against each other). 'moments' needs squared distances over all pairs.
 */
export function diversityInForm(prototypes: tf.Tensor, options: DiversityOptions = {}, formOverride?: DiversityForm): tf.Scalar {
  const { reduction, squared, scope, weight } = resolveDiversityOptions(options);
  if (formOverride === 'moments' && !(scope === 'all' && squared)) {
    throw new AffinityConfigError("the 'moments' form of the diversity regularizer needs squared distances over all pairs");
  }
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
    // R = scale * (sum over ordered pairs j != k of (D_jk - mu)^2): ordered pairs count each
    // unordered pair twice, which leaves the mean and the variance unchanged.
    const scale = weight / (reduction === 'mean' ? pairs : 2);
    const form = formOverride ?? chooseDiversityForm(count, featureDim, scope, squared, tf.getBackend());
    const op =
      form === 'moments'
        ? diversityFromMoments(scale)
        : form === 'arrays'
          ? diversityFromArrays(scale, perClass, scope, squared, pairs)
          : diversityFromDistances(scale, classes, perClass, scope, squared, pairs);
    return op(flat);
  });
}

/** The ways R is computed (all give the same value and gradient). */
export type DiversityForm = 'distances' | 'moments' | 'arrays';

/** Backends whose tensors live in main memory, where reading a few values back costs nothing. */
const HOST_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

/**
 * Pairs times width up to which plain JavaScript beats kernels (see chooseDiversityForm).
 * Measured on wasm, value and gradient: 5.8k (10 prototypes of width 128) 0.15 ms against
 * 0.41; 157k (50 of width 128) 1.09 ms against 0.57. The two cross near 60k.
 */
const ARRAYS_MAX_WORK = 32_768;

/**
 * The form `diversity` uses: 'moments' for squared distances over all pairs when K > d (its
 * cost grows with K d^2, not K^2 d); 'arrays', plain JavaScript on the prototypes' values, when
 * the work is small and the backend keeps tensors in main memory; otherwise 'distances'.
 * Why 'arrays': for a usual head (10 prototypes of width 128) the distance form's 38 kernels
 * cost ~0.5 ms of a training step on wasm, most of the affinity head's extra cost over a
 * softmax head, for ~12k multiply-adds that JavaScript does in a few microseconds. A GPU
 * backend would stall to hand the values back, so it keeps the kernels.
 */
export function chooseDiversityForm(
  count: number,
  featureDim: number,
  scope: 'all' | 'acrossClasses',
  squared: boolean,
  backendName: string,
): DiversityForm {
  if (scope === 'all' && squared && count > featureDim) return 'moments';
  const work = ((count * (count - 1)) / 2) * featureDim;
  return HOST_BACKENDS.has(backendName) && work <= ARRAYS_MAX_WORK ? 'arrays' : 'distances';
}

/**
 * R and its gradient computed in JavaScript (float64) from the prototypes' values; the same
 * formulas as `diversityFromDistances`, pair by pair. The forward pass computes the gradient
 * too (it is as cheap as the value), so the backward pass is one multiply.
 */
function diversityFromArrays(
  scale: number,
  perClass: number,
  scope: 'all' | 'acrossClasses',
  squared: boolean,
  pairs: number,
): (flat: tf.Tensor2D) => tf.Scalar {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [flat, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const [count, width] = flat.shape;
    const w = flat.dataSync();
    // The pairs counted, j < k, and their distances D'_jk (squared or not).
    const counted = (j: number, k: number) => scope === 'all' || Math.floor(j / perClass) !== Math.floor(k / perClass);
    const squaredDistance = new Float64Array(count * count);
    let total = 0;
    for (let j = 0; j < count; j++) {
      for (let k = j + 1; k < count; k++) {
        if (!counted(j, k)) continue;
        let sum = 0;
        for (let t = 0; t < width; t++) {
          const difference = w[j * width + t] - w[k * width + t];
          sum += difference * difference;
        }
        squaredDistance[j * count + k] = sum;
        total += squared ? sum : Math.sqrt(Math.max(sum, 1e-12));
      }
    }
    // Ordered pairs: each unordered one twice, as in the tensor forms.
    const mean = (2 * total) / pairs;
    let value = 0;
    const gradient = new Float32Array(count * width);
    for (let j = 0; j < count; j++) {
      for (let k = j + 1; k < count; k++) {
        if (!counted(j, k)) continue;
        const d2 = squaredDistance[j * count + k];
        const d = squared ? d2 : Math.sqrt(Math.max(d2, 1e-12));
        value += 2 * (d - mean) ** 2;
        // dR/dD'_jk over both orders, chained to D = ||w_j - w_k||^2 when unsquared (0 below the clamp).
        let g = 4 * scale * (d - mean);
        if (!squared) g = d2 > 1e-12 ? g / (2 * d) : 0;
        // dD/dw_j = 2 (w_j - w_k) = -dD/dw_k.
        for (let t = 0; t < width; t++) {
          const step = 2 * g * (w[j * width + t] - w[k * width + t]);
          gradient[j * width + t] += step;
          gradient[k * width + t] -= step;
        }
      }
    }
    const gradientTensor = tf.tensor2d(gradient, [count, width]);
    save([gradientTensor]);
    return {
      value: tf.scalar(value * scale),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], dy)],
    };
  }) as (flat: tf.Tensor2D) => tf.Scalar;
}

/**
 * R from the (K, K) distance matrix, O(K^2 d), with an analytic gradient (one op instead of
 * ~50 autodiff kernels, which dominate on wasm at small K). With G_jk = dR/dD'_jk =
 * 2 scale (D'_jk - mu) on the pairs counted (mu's own gradient term sums to 0), chained
 * through D' = sqrt(D) when unsquared, and D_jk = ||w_j - w_k||^2 symmetric:
 *   dR/dw_j = 4 (w_j sum_k G_jk - sum_k G_jk w_k).
 * The pair mask leaves the diagonal j = k out (leaving it in pulls prototypes together).
 */
function diversityFromDistances(
  scale: number,
  classes: number,
  perClass: number,
  scope: 'all' | 'acrossClasses',
  squared: boolean,
  pairs: number,
): (flat: tf.Tensor2D) => tf.Scalar {
  const count = classes * perClass;
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [flat, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const mask = scope === 'all' ? tf.sub(1, tf.eye(count)) : differentClassMask(classes, perClass);
    const centred = tf.sub(flat, columnMean(flat)) as tf.Tensor2D;
    const squaredDistance = centredSquaredDistances(centred, centred);
    // Clamp before sqrt: the diagonal is 0 and sqrt has an infinite slope there.
    const distances = squared ? squaredDistance : tf.sqrt(tf.maximum(squaredDistance, 1e-12));
    const mean = tf.div(tf.sum(tf.mul(distances, mask)), pairs);
    const deviations = tf.mul(tf.sub(distances, mean), mask);
    save([centred, distances, deviations, squaredDistance]);
    return {
      value: tf.mul(tf.sum(tf.square(deviations)), scale) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [centred, d, dev, d2] = saved as tf.Tensor2D[];
        let gradD = tf.mul(dev, tf.mul(dy, 2 * scale)); // dR/dD'
        if (!squared) {
          // d sqrt(max(D, eps)) / dD = 1 / (2 sqrt(D)) above the clamp, 0 below it.
          gradD = tf.mul(tf.div(gradD, tf.mul(d, 2)), tf.step(tf.sub(d2, 1e-12)));
        }
        return [pairGradient(centred, gradD as tf.Tensor2D)];
      },
    };
  }) as (flat: tf.Tensor2D) => tf.Scalar;
}

/** dR/dw_j = 4 (w_j sum_k G_jk - sum_k G_jk w_k) for a symmetric G = dR/dD, on centred w. */
function pairGradient(centred: tf.Tensor2D, gradD: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.sub(tf.mul(centred, tf.sum(gradD, 1, true)), tf.matMul(gradD, centred)), 4) as tf.Tensor2D;
}

/**
 * R for squared distances over all pairs, from moments of the prototypes: O(K d^2), used when
 * K > d, where the (K, K) matrix costs more (1000 classes x 5 prototypes x 256: 75 ms instead
 * of 4.5 s per forward pass on wasm).
 *
 * With the prototypes p centred (sum p = 0), a_j = ||p_j||^2, mu = 2 sum(a) / (K - 1),
 * b_j = a_j - mu/2 and M = P^T P (d, d), every entry of D - mu is b_j + b_k - 2 p_j.p_k, so
 * over all K^2 entries
 *   sum (D_jk - mu)^2 = 2K sum(b^2) + 2 (sum b)^2 + 4 ||M||_F^2
 * (the cross term is a multiple of sum p = 0), and the K diagonal entries, (0 - mu)^2 each,
 * are taken off. Every term is a sum of squares, so little cancels: against float64, 1e-6
 * relative at K = 1000, d = 64, where the (K, K) form in float32 loses 5e-4 to its long sums.
 * The gradient, from dR/dw_j = 4 sum_k G_jk (p_j - p_k) with G = 2 scale (D - mu):
 *   dR/dp_j = 8 scale ((K b_j + sum b) p_j - P^T b + 2 M p_j),
 * whose rows sum to 0, so it is also the gradient with respect to the uncentred prototypes.
 */
function diversityFromMoments(scale: number): (flat: tf.Tensor2D) => tf.Scalar {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [flat, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const count = flat.shape[0];
    const centred = tf.sub(flat, columnMean(flat)) as tf.Tensor2D;
    const norms = tf.sum(tf.square(centred), 1, true); // (K, 1)
    const mean = tf.div(tf.mul(tf.sum(norms), 2), count - 1);
    const shifted = tf.sub(norms, tf.div(mean, 2)); // b, (K, 1)
    const moments = tf.matMul(tf.transpose(centred), centred); // M, (d, d)
    const allEntries = tf.addN([
      tf.mul(tf.sum(tf.square(shifted)), 2 * count),
      tf.mul(tf.square(tf.sum(shifted)), 2),
      tf.mul(tf.sum(tf.square(moments)), 4),
    ]);
    save([centred, shifted, moments]);
    return {
      value: tf.mul(tf.sub(allEntries, tf.mul(tf.square(mean), count)), scale) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [p, b, m] = saved as tf.Tensor2D[];
        const rowWeights = tf.add(tf.mul(b, count), tf.sum(b)); // K b_j + sum b, (K, 1)
        const weighted = tf.sub(tf.mul(p, rowWeights), columnSum(tf.mul(p, b))); // ... - P^T b
        const grad = tf.add(weighted, tf.mul(tf.matMul(p, m), 2));
        return [tf.mul(grad, tf.mul(dy, 8 * scale))];
      },
    };
  }) as (flat: tf.Tensor2D) => tf.Scalar;
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
