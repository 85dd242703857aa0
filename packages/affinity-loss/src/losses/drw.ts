/**
 * DRW, deferred re-weighting (Cao et al., NeurIPS 2019): train with unweighted loss first, then,
 * from a chosen epoch on, weight each class by its class-balanced weight. Learning features on
 * the natural distribution first and re-balancing only the late, small-learning-rate phase worked
 * better than re-weighting from the start (which hurts representation learning).
 */
import * as tf from '@tensorflow/tfjs';
import { requireInteger, requireOptions } from '../validate.js';
import { classBalancedWeights } from './classWeights.js';
import { validateCounts } from './shared.js';

/** Options of `DeferredReweighting`. */
export interface DeferredReweightingOptions {
  /** Training samples per class, n_j > 0 (one entry per class). */
  counts: ArrayLike<number>;
  /**
   * The first epoch (0-based, as tfjs counts them) trained with class-balanced weights; epochs
   * before it use weight 1 for every class. Cao et al.: 160 of 200 epochs.
   */
  startEpoch: number;
  /** beta of the class-balanced weights switched to, in [0, 1). Default 0.9999. */
  beta?: number;
}

/**
 * The DRW schedule as a tfjs callback that owns the class weights a loss reads.
 *
 * `weights` is a non-trainable `tf.Variable` of length C: all ones before `startEpoch`, the
 * class-balanced weights from the beginning of epoch `startEpoch` on. Give it to a loss that
 * takes `classWeights` (`ldamLoss`, `crossEntropyLoss`) and pass this object to `model.fit`.
 * LDAM-DRW as Cao et al.'s code runs it averages with the weighted mean
 * sum_i w_{y_i} L_i / sum_i w_{y_i} (reduction 'weightedMean'; the losses' default 'mean'
 * divides by N instead, so the loss scale jumps when the weights switch on):
 *
 * ```ts
 * const drw = new DeferredReweighting({ counts, startEpoch: 160 });
 * model.compile({ optimizer, loss: ldamLoss({ counts, classWeights: drw.weights, reduction: 'weightedMean' }) });
 * await model.fit(x, y, { epochs: 200, callbacks: [drw] });
 * drw.dispose();
 * ```
 *
 * In a custom loop, call `setEpoch(epoch)` at the start of each epoch instead. The weights
 * depend only on the epoch index (not on how many epochs were seen), so resuming with
 * `initialEpoch` or running `fit` again is exact.
 */
export class DeferredReweighting extends tf.Callback {
  /** The first epoch (0-based) with class-balanced weights. */
  readonly startEpoch: number;
  /** The class-balanced weights used from `startEpoch` on (sum to C). */
  readonly balancedWeights: readonly number[];
  /** The weights the loss reads: ones before `startEpoch`, `balancedWeights` after. */
  readonly weights: tf.Variable<tf.Rank.R1>;
  private reweighting = false;

  constructor(options: DeferredReweightingOptions) {
    super();
    requireOptions('DeferredReweighting', options, '{ counts, startEpoch, beta? }');
    const counts = validateCounts(options.counts);
    this.startEpoch = requireInteger('startEpoch', options.startEpoch, 0);
    this.balancedWeights = Object.freeze(classBalancedWeights(counts, options.beta ?? 0.9999));
    // Not trainable: an optimizer called without a variable list (custom loops) must not fit it.
    this.weights = tf.tidy(() => tf.variable(tf.ones([counts.length]), false) as tf.Variable<tf.Rank.R1>);
  }

  /** True once the class-balanced weights are in force. */
  get active(): boolean {
    return this.reweighting;
  }

  /** Sets the weights for `epoch` (0-based): ones before `startEpoch`, class-balanced from it on. */
  setEpoch(epoch: number): void {
    requireInteger('epoch', epoch, 0);
    const reweight = epoch >= this.startEpoch;
    if (reweight === this.reweighting) return;
    this.reweighting = reweight;
    tf.tidy(() => {
      const values = reweight ? Array.from(this.balancedWeights) : new Array<number>(this.balancedWeights.length).fill(1);
      this.weights.assign(tf.tensor1d(values));
    });
  }

  /** tfjs calls this before each epoch of `model.fit`. */
  override async onEpochBegin(epoch: number): Promise<void> {
    this.setEpoch(epoch);
  }

  /** Frees the weight variable; the losses that read it must not be called afterwards. */
  dispose(): void {
    this.weights.dispose();
  }
}
