/**
 * The Gaussian affinity of docs/METHOD.md section 1:
 *   a(f, w) = exp(-||f - w||^2 / sigma),   A_ij = max_t a(f_i, w_{j,t}),
 * and its logarithm, the distance-space score s_ij = log A_ij = -min_t ||f_i - w_{j,t}||^2 / sigma.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import { requireFiniteTensor } from '../finite.js';
import { requirePositive } from '../validate.js';
import { columnSum } from './columns.js';
import { centreOn, centredSquaredDistances } from './distance.js';

/**
 * Class affinities of features to prototypes: a (N, C) tensor with values in (0, 1].
 *
 * @param features f, shape (N, d).
 * @param prototypes w, shape (C, m, d): m prototypes for each of C classes.
 * @param sigma the class spread (> 0): the squared distance at which affinity falls to 1/e.
 * @returns A with A_ij = exp(-min_t ||f_i - w_{j,t}||^2 / sigma), the affinity to the
 *   nearest prototype of class j (max over t of exp(-D/sigma) = exp(-min_t D / sigma), so the
 *   exp runs on N*C values instead of N*C*m).
 */
export function gaussianAffinity(features: tf.Tensor2D, prototypes: tf.Tensor3D, sigma: number): tf.Tensor2D {
  return affinityScores(features, prototypes, sigma, 'affinity');
}

/**
 * Distance-space class scores: log A, a (N, C) tensor of values <= 0. The same ranking as
 * `gaussianAffinity`, but without the exp, whose gradient vanishes for features far from every
 * prototype (exp(-150/10) = 3e-7): train these with cross-entropy (`logitAdjustedLoss` adds the
 * log prior) rather than the hinge, which is made for values in (0, 1].
 *
 * @returns s with s_ij = -min_t ||f_i - w_{j,t}||^2 / sigma.
 */
export function gaussianLogAffinity(features: tf.Tensor2D, prototypes: tf.Tensor3D, sigma: number): tf.Tensor2D {
  return affinityScores(features, prototypes, sigma, 'logAffinity');
}

/** What the head outputs: affinities in (0, 1], or their logarithms. */
export type AffinityOutput = 'affinity' | 'logAffinity';

/**
 * `gaussianAffinity` or `gaussianLogAffinity`, by `output`.
 *
 * @param checkFinite whether to read back a flag and throw NonFiniteError for NaN or infinite
 *   features (default true). The layer skips it on training steps, whose loss the trainer reads
 *   and checks anyway, so that a step costs no extra synchronous read.
 * @throws ShapeError for an empty batch or mismatched shapes; NonFiniteError for non-finite features.
 */
export function affinityScores(
  features: tf.Tensor2D,
  prototypes: tf.Tensor3D,
  sigma: number,
  output: AffinityOutput,
  checkFinite = true,
): tf.Tensor2D {
  checkAffinityInputs(features, prototypes, sigma);
  if (checkFinite) requireFiniteTensor('Gaussian affinity: features', features);
  return tf.tidy(() => affinityWithGradient(sigma, output)(features, prototypes));
}

function checkAffinityInputs(features: tf.Tensor, prototypes: tf.Tensor, sigma: number): void {
  requirePositive('sigma', sigma);
  if (features.rank !== 2) {
    throw new ShapeError(`features must have rank 2 (batch, featureDim), got shape (${features.shape})`);
  }
  if (prototypes.rank !== 3) {
    throw new ShapeError(`prototypes must have rank 3 (classes, prototypesPerClass, featureDim), got shape (${prototypes.shape})`);
  }
  if (features.shape[1] !== prototypes.shape[2]) {
    throw new ShapeError(`features have width ${features.shape[1]} but prototypes have featureDim ${prototypes.shape[2]}`);
  }
  if (features.shape[0] === 0) {
    throw new ShapeError('features are an empty batch (0 rows); the affinity needs at least one sample');
  }
}

/**
 * The affinity as one differentiable op with an analytic gradient. Autodiff through the
 * dozen small ops of the forward pass launches about twice as many backward kernels; on wasm,
 * where each kernel costs tens of microseconds, that made a small head cost 2-3x a dense
 * layer. With D_ik = ||f_i - w_k||^2, A = exp(-D_min / sigma) and G = dL/dD (nonzero only at
 * each class's nearest prototype):
 *   dL/df_i = 2 (f_i sum_k G_ik - sum_k G_ik w_k),   dL/dw_k = 2 (w_k sum_i G_ik - sum_i G_ik f_i),
 * two matrix products, on the centred inputs the forward pass saved. For the log form,
 * s = -D_min / sigma, so dL/dD_min = -dL/ds / sigma.
 */
function affinityWithGradient(sigma: number, output: AffinityOutput): (features: tf.Tensor, prototypes: tf.Tensor) => tf.Tensor2D {
  return tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [features, prototypes, save] = args as [tf.Tensor2D, tf.Tensor3D, tf.GradSaveFunc];
    const [classes, perClass, featureDim] = prototypes.shape;
    const flat = tf.reshape(prototypes, [classes * perClass, featureDim]) as tf.Tensor2D;
    const [fCentred, wCentred] = centreOn(features, flat);
    const distances = centredSquaredDistances(fCentred, wCentred); // (N, C*m)
    const nearest = perClass === 1 ? distances : tf.min(tf.reshape(distances, [-1, classes, perClass]), 2);
    const scores = tf.div(nearest, -sigma) as tf.Tensor2D;
    const value = output === 'affinity' ? (tf.exp(scores) as tf.Tensor2D) : scores;
    save([fCentred, wCentred, distances, nearest, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [fCentred, wCentred, d, dNearest, a] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        // dL/dD_min, (N, C): through exp for affinities, a constant factor for their logarithms.
        const gradNearest = (output === 'affinity' ? tf.mul(dy, tf.div(a, -sigma)) : tf.div(dy, -sigma)) as tf.Tensor2D;
        // Route each class's gradient to its nearest prototype (to every one of them on a tie, as
        // tf.min does). The mask is 1 - step(D - D_min), not equal(D, D_min): wasm runs
        // comparison kernels ~20x slower than arithmetic ones.
        const gradDistances: tf.Tensor2D =
          perClass === 1
            ? gradNearest
            : (tf.reshape(
                tf.mul(
                  tf.sub(1, tf.step(tf.sub(tf.reshape(d, [-1, classes, perClass]), tf.expandDims(dNearest, 2)))),
                  tf.expandDims(gradNearest, 2),
                ),
                [-1, classes * perClass],
              ) as tf.Tensor2D);
        const gradFeatures = tf.mul(
          tf.sub(tf.mul(fCentred, tf.sum(gradDistances, 1, true)), tf.matMul(gradDistances, wCentred)),
          2,
        );
        const gradPrototypes = tf.mul(
          tf.sub(
            tf.mul(wCentred, tf.transpose(columnSum(gradDistances))),
            tf.matMul(tf.transpose(gradDistances), fCentred),
          ),
          2,
        );
        return [gradFeatures, tf.reshape(gradPrototypes, [classes, perClass, featureDim])];
      },
    };
  }) as (features: tf.Tensor, prototypes: tf.Tensor) => tf.Tensor2D;
}
