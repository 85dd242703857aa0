/**
 * Data-parallel training, the part the training loop needs: each replica computes the gradient
 * of its share of every batch, and the replicas add up their shares so that every one applies
 * the gradient of the whole batch. The replicas themselves (threads, shared memory) are made by
 * the Node toolkit; this file only knows the `DataParallelGroup` interface, so the loop stays
 * browser-safe.
 *
 * Why the result equals single-replica training up to float rounding: a loss that is a mean
 * over the batch is the shard-size-weighted mean of the shards' losses, so its gradient is the
 * weighted sum of the shards' gradients; terms that do not depend on the batch (the diversity
 * regularizer) appear in every shard with weights that add up to 1. Layers whose forward pass
 * couples the rows of a batch (BatchNorm, sigma 'auto') reduce their statistics through the
 * same group.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError } from '../errors.js';

/**
 * A fixed set of replicas training one model. Every replica runs the same program, so the
 * collective calls happen in the same order everywhere.
 */
export interface DataParallelGroup {
  /** This replica's index in [0, replicas); replica 0 validates and runs the caller's callbacks. */
  readonly replica: number;
  /** Number of replicas (>= 1). */
  readonly replicas: number;
  /**
   * Element-wise sum over all replicas of `length` values, which `fill` writes into this
   * replica's share (in place, to spare a copy of a model's worth of gradients). Every replica
   * receives the same result (the shares are added in replica order, so the rounding is the
   * same too). Blocks until every replica has called it.
   */
  allReduceSum(length: number, fill: (share: Float32Array) => void): Float32Array;
}

/** The rows of `rows` that `replica` computes: a contiguous share, sizes differing by at most one. */
export function shardOf(rows: Int32Array, replica: number, replicas: number): Int32Array {
  const start = Math.floor((replica * rows.length) / replicas);
  const end = Math.floor(((replica + 1) * rows.length) / replicas);
  return rows.subarray(start, end);
}

/** The rows of the smallest batch of an epoch: the most replicas that can share every batch. */
export function smallestBatch(rows: number, batchSize: number): number {
  const last = rows % batchSize;
  return Math.min(batchSize, rows, last === 0 ? batchSize : last);
}

/**
 * Checks that every batch gives every replica at least one row: a replica with nothing to
 * compute could not take part in BatchNorm's shared statistics.
 */
export function checkShardable(rows: number, batchSize: number, replicas: number): void {
  const smallest = smallestBatch(rows, batchSize);
  if (smallest < replicas) {
    throw new AffinityConfigError(
      `a batch of ${smallest} row${smallest === 1 ? '' : 's'} cannot be shared by ${replicas} replicas ` +
        `(${rows} training rows in batches of ${batchSize}); use fewer workers or another batch size`,
    );
  }
}

/** What one step of one replica contributes, and what the group's sum gives back. */
export interface StepShare {
  /** Gradients by variable name. */
  grads: tf.NamedTensorMap;
  /** The loss (already weighted by the shard's share of the batch when reduced). */
  loss: number;
  /** Correctly classified rows. */
  correct: number;
}

/**
 * Sums the replicas' gradients, losses and correct counts for one step. `weight` is this
 * replica's share of the batch (its rows / the batch's rows): each replica's loss is a mean over
 * its own rows, so the weighted sum is the whole batch's mean. Frees the given gradients and
 * returns new ones, in the order of `variables`.
 */
export function reduceStep(group: DataParallelGroup, variables: readonly tf.Variable[], share: StepShare, weight: number): StepShare {
  const sizes = variables.map((variable) => variable.size);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const sum = group.allReduceSum(total + 2, (buffer) => {
    let offset = 0;
    for (let v = 0; v < variables.length; v++) {
      const grad = share.grads[variables[v].name];
      // A variable that the loss does not reach gets no gradient from tfjs: it contributes zeros.
      if (grad === undefined) buffer.fill(0, offset, offset + sizes[v]);
      else {
        // Scaled by a kernel and copied whole: an element loop in JavaScript costs more.
        const scaled = tf.mul(grad, weight);
        buffer.set(scaled.dataSync(), offset);
        scaled.dispose();
      }
      offset += sizes[v];
    }
    buffer[total] = share.loss * weight;
    buffer[total + 1] = share.correct;
  });
  tf.dispose(Object.values(share.grads));
  const grads: tf.NamedTensorMap = {};
  let offset = 0;
  for (let v = 0; v < variables.length; v++) {
    // A view, not a copy: `sum` is this call's own array.
    grads[variables[v].name] = tf.tensor(sum.subarray(offset, offset + sizes[v]), variables[v].shape);
    offset += sizes[v];
  }
  return { grads, loss: sum[total], correct: sum[total + 1] };
}

/** Element-wise sum over the replicas of a few numbers (statistics, flags). */
export function sumOverReplicas(group: DataParallelGroup, values: ArrayLike<number>): Float32Array {
  return group.allReduceSum(values.length, (share) => share.set(values));
}

/** True on every replica when any replica passes true (replica 0 decides early stopping). */
export function anyReplica(group: DataParallelGroup, flag: boolean): boolean {
  return sumOverReplicas(group, [flag ? 1 : 0])[0] > 0;
}
