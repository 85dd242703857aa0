/**
 * Balanced Softmax (Ren et al., NeurIPS 2020): L_i = CE(z_i + log n).
 * Adding the log class count during training lets the logits z learn the class-balanced
 * posterior; at test time the plain argmax of z is used, with no adjustment.
 */
import * as tf from '@tensorflow/tfjs';
import { requireOptions } from '../validate.js';
import { crossEntropyPerSample, named, prepare, validateCounts, type LossFunction } from './shared.js';

/** Options of `balancedSoftmaxLoss`. */
export interface BalancedSoftmaxOptions {
  /** Training samples per class, n_j > 0 (one entry per class). */
  counts: ArrayLike<number>;
}

/** Balanced Softmax loss on logits: mean_i -log softmax(z_i + log n)_{y_i}. */
export function balancedSoftmaxLoss(options: BalancedSoftmaxOptions): LossFunction {
  requireOptions('balancedSoftmaxLoss', options, '{ counts }');
  const logCounts = validateCounts(options.counts).map(Math.log);
  return named('balancedSoftmaxLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: logits, target } = prepare('balancedSoftmaxLoss', yTrue, yPred, { counts: logCounts });
      return tf.mean(crossEntropyPerSample(target, tf.add(logits, tf.tensor1d(logCounts)) as tf.Tensor2D)) as tf.Scalar;
    }),
  );
}
