/**
 * BatchNorm with the statistics of the whole batch when each replica holds a shard of it.
 *
 * Why: BatchNorm couples the rows of a batch (each row is normalised by the batch's mean and
 * variance), so shards normalised on their own would train a different model from the one a
 * single replica trains. Here the replicas add up their per-channel sums in the forward pass
 * (mean, then the centred squares: two passes, as tf.moments, so no float32 cancellation) and
 * the two sums the gradient needs in the backward pass.
 *
 * Backward, with x^ the normalised input, g = 1/sqrt(var + eps), w_k = n_k / N the share of
 * replica k and dy its local upstream gradient (of its own mean loss), the gradient of the
 * batch's loss is w_k * gamma * g * (dy - (S1 + x^ S2) / n_k), where S1 = sum_k w_k sum dy and
 * S2 = sum_k w_k sum dy x^ over all replicas; the replica returns it divided by w_k, since the
 * trainer weights every replica's gradients by w_k when it adds them up. With one replica this
 * is the usual BatchNorm gradient.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import type { DataParallelGroup } from 'affinity-loss/internal/train/dataParallel.js';

/** The fields of tfjs-layers' BatchNormalization that the shared version reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor; write(value: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(value: tf.Tensor): void };
  name: string;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[];
}

/** The element-wise sum over replicas of per-channel values (and a few extra numbers), as a tensor. */
function channelSums(group: DataParallelGroup, local: tf.Tensor, extra: number[] = []): { sum: tf.Tensor1D; extra: number[] } {
  const values = local.dataSync();
  const total = group.allReduceSum(values.length + extra.length, (share) => {
    share.set(values);
    share.set(extra, values.length);
  });
  return { sum: tf.tensor1d(total.subarray(0, values.length)), extra: Array.from(total.subarray(values.length)) };
}

/**
 * Normalises `x` (channels last) with the whole batch's statistics; returns the output and the
 * batch mean and (biased) variance for the moving averages.
 */
function normalizeAcrossReplicas(
  group: DataParallelGroup,
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { output: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
  const count = x.size / x.shape[x.rank - 1];
  let mean: tf.Tensor | null = null;
  let variance: tf.Tensor | null = null;
  const normalize = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, scale, offset, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const sums = channelSums(group, tf.sum(input, axes), [count]);
    const total = sums.extra[0];
    const weight = count / total; // this replica's share of the batch
    const batchMean = tf.div(sums.sum, total);
    const centred = tf.sub(input, batchMean);
    const batchVariance = tf.div(channelSums(group, tf.sum(tf.square(centred), axes)).sum, total);
    const inverseStd = tf.rsqrt(tf.add(batchVariance, epsilon));
    const normalized = tf.mul(centred, inverseStd);
    mean = tf.keep(batchMean);
    variance = tf.keep(batchVariance);
    save([normalized, inverseStd, scale]);
    return {
      value: tf.add(tf.mul(normalized, scale), offset),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHat, invStd, gammaValue] = saved;
        const localSum = tf.sum(dy, axes);
        const localDot = tf.sum(tf.mul(dy, xHat), axes);
        const channels = localSum.size;
        const both = channelSums(group, tf.mul(tf.concat([localSum, localDot]), weight)).sum;
        const [s1, s2] = tf.split(both, [channels, channels]);
        const gradInput = tf.mul(tf.mul(gammaValue, invStd), tf.sub(dy, tf.div(tf.add(s1, tf.mul(xHat, s2)), count)));
        return [gradInput, localDot, localSum];
      },
    };
  });
  const output = normalize(x, gamma, beta);
  return { output, mean: mean!, variance: variance! };
}

/** tfjs-layers' moving-average update: v <- v - (v - value) * (1 - momentum). */
function updateMovingAverage(variable: BatchNormLayer['movingMean'], value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const old = variable.read();
    variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - momentum)));
  });
}

/**
 * Makes every BatchNormalization layer among `layers` use the group's whole-batch statistics in
 * training calls (inference calls are unchanged). Returns a function that restores the layers.
 *
 * @throws AffinityConfigError for a BatchNorm layer this cannot handle (axis other than the
 *   last, or without scale or centre).
 */
export function shareBatchNormStatistics(layers: readonly tf.layers.Layer[], group: DataParallelGroup): () => void {
  const restores: Array<() => void> = [];
  for (const layer of layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const batchNorm = layer as unknown as BatchNormLayer;
    const original = batchNorm.call;
    batchNorm.call = (inputs, kwargs) => {
      if (kwargs?.training !== true) return original.call(batchNorm, inputs, kwargs);
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        if (batchNorm.axis !== -1 && batchNorm.axis !== x.rank - 1) {
          throw new AffinityConfigError(`data-parallel training supports BatchNorm over the last axis only; layer '${batchNorm.name}' has axis ${batchNorm.axis}`);
        }
        if (batchNorm.gamma === null || batchNorm.beta === null) {
          throw new AffinityConfigError(`data-parallel training needs BatchNorm with scale and centre; layer '${batchNorm.name}' lacks one`);
        }
        const { output, mean, variance } = normalizeAcrossReplicas(group, x, batchNorm.gamma.read(), batchNorm.beta.read(), batchNorm.epsilon);
        updateMovingAverage(batchNorm.movingMean, mean, batchNorm.momentum);
        updateMovingAverage(batchNorm.movingVariance, variance, batchNorm.momentum);
        tf.dispose([mean, variance]);
        return output;
      });
    };
    restores.push(() => {
      batchNorm.call = original;
    });
  }
  return () => restores.forEach((restore) => restore());
}
