/**
 * Choosing the affinity head's prior correction tau on a validation split: predictions rank
 * classes by log A_ij - tau log pi_j (docs/METHOD.md, prior-aware heads).
 *
 * The default score is balanced accuracy (each validation row weighted by 1 / its class's count):
 * the validation split is as imbalanced as training, and plain accuracy or macro-F1 on it picked
 * "no correction" in 4 of 9 seeds of an independent check, where the balanced score did not.
 */
import * as tf from '@tensorflow/tfjs';
import { GaussianAffinity } from '../affinity/layer.js';
import { priorCorrectedScores } from '../affinity/predict.js';
import type { Split } from '../data/dataset.js';
import type { Features } from '../data/rowStore.js';
import { AffinityConfigError } from '../errors.js';
import { requireNonNegative } from '../validate.js';
import { predictOutputs, type PredictOptions } from './predict.js';
import type { TrainingCallback } from './trainer.js';
import { validationScore, type ValidationScore } from './validationScore.js';

/**
 * The tau values tried by default: 0 (no correction) first, then from a twentieth of the prior
 * up to all of it. The hinge's log-affinity gaps (~0.5) against log pi's span (4.6 at 100:1) put
 * the useful values in 0.05-0.5.
 */
export const PRIOR_CORRECTION_GRID: readonly number[] = Object.freeze([0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1]);

/** Options of `choosePriorCorrection`. */
export interface ChoosePriorCorrectionOptions extends PredictOptions {
  /** tau values to try (>= 0). Default `PRIOR_CORRECTION_GRID`. */
  grid?: readonly number[];
  /** Which model output holds the affinity head's scores. Default 0. */
  scoreOutput?: number;
  /**
   * The score tau is chosen by (see `VALIDATION_SCORES`). Default 'balanced-accuracy'; give the
   * score the epochs are chosen by, so that both choices aim at the same test split.
   */
  score?: ValidationScore;
}

/** The outcome of `choosePriorCorrection`. */
export interface PriorCorrectionChoice {
  /** The chosen tau: the best score, the smallest tau on a tie. */
  tau: number;
  /** The score on the validation split for every tau tried, in grid order. */
  scores: { tau: number; score: number }[];
}

/**
 * Tries every tau of the grid on the validation split and sets the best (by `options.score`) on the model's affinity
 * head (`GaussianAffinity.setPriorCorrection`), which needs its `classCounts`. One forward pass
 * over the split; the test split is never read.
 *
 * @throws AffinityConfigError when output `scoreOutput` is not a GaussianAffinity with classCounts,
 *   or the split has no rows.
 */
export function choosePriorCorrection(model: tf.LayersModel, validation: Split<Features>, options: ChoosePriorCorrectionOptions): PriorCorrectionChoice {
  const head = model.outputs[options.scoreOutput ?? 0]?.sourceLayer;
  if (!(head instanceof GaussianAffinity) || head.priorCorrectionSettings === undefined) {
    throw new AffinityConfigError('choosePriorCorrection needs a model whose output is a GaussianAffinity layer with classCounts');
  }
  if (validation.count === 0) throw new AffinityConfigError('choosePriorCorrection needs a validation split with rows');
  const grid = options.grid ?? PRIOR_CORRECTION_GRID;
  if (grid.length === 0) throw new AffinityConfigError('choosePriorCorrection: the tau grid is empty');
  grid.forEach((tau, i) => requireNonNegative(`grid[${i}]`, tau));
  const settings = head.priorCorrectionSettings;
  const outputs = predictOutputs(model, validation, options);
  const scores: PriorCorrectionChoice['scores'] = [];
  try {
    const raw = outputs[options.scoreOutput ?? 0];
    for (const tau of grid) {
      const ids = tf.tidy(() => tf.argMax(priorCorrectedScores(raw, { ...settings, tau }), 1));
      const predicted = ids.dataSync();
      ids.dispose();
      scores.push({ tau, score: validationScore(options.score ?? 'balanced-accuracy', validation.labels, predicted, head.classes) });
    }
  } finally {
    tf.dispose(outputs);
  }
  const best = scores.reduce((a, b) => (b.score > a.score || (b.score === a.score && b.tau < a.tau) ? b : a));
  head.setPriorCorrection(best.tau);
  return { tau: best.tau, scores };
}

/**
 * A trainer callback that chooses tau on the validation split after every epoch, before the
 * trainer scores that epoch: the epoch chosen on validation is then the best corrected model, not
 * the best uncorrected one (uncorrected scores favour epochs the correction does not suit).
 * `tauOf(epoch)` gives an epoch's tau, to set with the weights restored from that epoch.
 */
export class PriorCorrectionSelector implements TrainingCallback {
  private readonly taus: number[] = [];

  constructor(
    private readonly model: tf.LayersModel,
    private readonly validation: Split<Features>,
    private readonly options: ChoosePriorCorrectionOptions,
  ) {}

  /** Chooses and sets the tau of the epoch just trained. */
  validationStart(epoch: number): void {
    this.taus[epoch] = choosePriorCorrection(this.model, this.validation, this.options).tau;
  }

  /** The tau chosen after 1-based epoch `epoch` (as `EpochLog.epoch` and `bestEpoch` count). */
  tauOf(epoch: number): number {
    const tau = this.taus[epoch - 1];
    if (tau === undefined) throw new AffinityConfigError(`no prior correction was chosen for epoch ${epoch}`);
    return tau;
  }
}
