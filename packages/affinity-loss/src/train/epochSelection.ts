/**
 * Which epoch's weights a training run keeps: the best on the validation score (the last epoch
 * without validation), and, for a run that diverges before any epoch was scored, the last
 * epoch that ended with finite weights. Holds copies of the weights it may need to give back.
 */
import * as tf from '@tensorflow/tfjs';

function cloneWeights(model: tf.LayersModel): tf.Tensor[] {
  return model.getWeights().map((weight) => weight.clone());
}

/** The snapshots of a run's weights. `dispose` (or `takeBest`) when done. */
export class EpochSelection {
  /** 1-based epoch of `bestWeights`; 0 before the first epoch ended. */
  bestEpoch = 0;
  private bestScore = -Infinity;
  private bestWeights: tf.Tensor[] = [];
  /** 1-based epoch of the last finite weights; 0: the initial weights. */
  lastFiniteEpoch = 0;
  private lastFinite: tf.Tensor[];

  constructor(private readonly model: tf.LayersModel) {
    this.lastFinite = cloneWeights(model);
  }

  /**
   * After an epoch whose weights are finite: remembers them as the last finite ones, and as the
   * best when `score` beats every earlier epoch's.
   *
   * @param epoch 1-based.
   */
  epochEnded(epoch: number, score: number): void {
    tf.dispose(this.lastFinite);
    this.lastFinite = cloneWeights(this.model);
    this.lastFiniteEpoch = epoch;
    if (score > this.bestScore) {
      this.bestScore = score;
      this.bestEpoch = epoch;
      tf.dispose(this.bestWeights);
      this.bestWeights = cloneWeights(this.model);
    }
  }

  /** After a divergence: puts the best weights so far back in the model (the last finite ones if none was scored); returns their epoch. */
  restore(): number {
    this.model.setWeights(this.bestEpoch > 0 ? this.bestWeights : this.lastFinite);
    return this.bestEpoch > 0 ? this.bestEpoch : this.lastFiniteEpoch;
  }

  /** The best epoch's weights, handed to the caller (who disposes them); frees the rest. */
  takeBest(): tf.Tensor[] {
    const best = this.bestWeights;
    this.bestWeights = [];
    this.dispose();
    return best;
  }

  /** Frees every snapshot held. */
  dispose(): void {
    tf.dispose([...this.bestWeights, ...this.lastFinite]);
    this.bestWeights = [];
    this.lastFinite = [];
  }
}
