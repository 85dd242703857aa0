/**
 * The gradient of tfjs' `FusedBatchNorm` kernel (every batch normalisation, also BatchNorm
 * layers while training), for per-channel parameters, with the shared terms computed once.
 *
 * Why: the stock gradient builds each of its five outputs on its own and broadcasts 1/sqrt(var)
 * with `tile`, ~25 kernels per layer. wasm runs `Tile` slowly (1-2 ms for a (128, 128) output,
 * as much as the rest of the BatchNorm backward together), and every kernel costs ~10 us of
 * engine time on top. With y = (x - mean) * s * scale + offset, s = 1/sqrt(var + eps) and sums
 * over every axis but the channels:
 *   dx = dy * scale * s,             dmean = -scale * s * sum(dy),     doffset = sum(dy),
 *   dscale = s * sum(dy * (x - mean)),   dvar = -scale * s^3 / 2 * sum(dy * (x - mean)),
 * ~12 kernels, broadcasting along the channel axis instead of tiling. Same formulas as stock.
 */
import * as tf from '@tensorflow/tfjs';
import { onRewrittenBackend } from './fastPath.js';

/**
 * Builds the replacement gradient config of `FusedBatchNorm`. `stock` is tfjs' own config, used
 * on backends other than wasm and cpu and where mean, variance or scale are not one value per
 * channel (the last axis of x).
 */
export function batchNormGradConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
      const channels = x.shape[x.rank - 1];
      const perChannel = (t: tf.Tensor | undefined): boolean => t === undefined || (t.rank === 1 && t.shape[0] === channels);
      if (!onRewrittenBackend() || x.rank < 2 || !perChannel(mean) || !perChannel(variance) || !perChannel(scale)) {
        return stock.gradFunc(dy, saved, attrs);
      }
      const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
      const grad = dy as tf.Tensor;
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      // The shared terms are computed here, not inside the thunks: the tape runs each thunk in a
      // tidy of its own, which would free a term the next thunk reuses. While training, every
      // thunk runs (mean and variance are the batch's, and lead back to x).
      const inverseStd = tf.rsqrt(tf.add(variance, varianceEpsilon)); // s
      const gain = scale === undefined ? inverseStd : tf.mul(scale, inverseStd); // scale * s
      const gradSum = tf.sum(grad, axes); // sum(dy)
      const centredGradSum = tf.sum(tf.mul(grad, tf.sub(x, mean)), axes); // sum(dy * (x - mean))
      return {
        x: () => tf.mul(grad, gain),
        mean: () => tf.neg(tf.mul(gain, gradSum)),
        variance: () => tf.mul(centredGradSum, tf.mul(tf.mul(gain, tf.square(inverseStd)), -0.5)),
        scale: () => tf.mul(centredGradSum, inverseStd),
        offset: () => gradSum,
      };
    },
  };
}
