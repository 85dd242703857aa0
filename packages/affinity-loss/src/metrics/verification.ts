/**
 * Verification metrics: given a score per pair of samples (higher = more likely the same class)
 * and whether the pair truly is, how well do scores separate same from different pairs.
 * Plain arrays in, plain numbers out.
 *
 * All of them read the ROC curve built as scikit-learn's `roc_curve` (with
 * `drop_intermediate=False`): one point per distinct score threshold, so tied scores move TPR
 * and FPR together and give a diagonal segment, never an order-dependent staircase.
 */
import { LabelError } from '../errors.js';
import { requireInRange, requireOneOf } from '../validate.js';
import { checkFinite, checkLengths, checkOptionsObject } from './checks.js';

/** Whether each pair is positive (same class): 1 / true, or 0 / false. */
export type BinaryLabels = ArrayLike<number | boolean>;

/** A ROC curve: points (fpr[k], tpr[k]) for thresholds in decreasing order. */
export interface RocCurve {
  /** False positive rates, non-decreasing from 0 to 1. */
  fpr: number[];
  /** True positive rates, non-decreasing from 0 to 1. */
  tpr: number[];
  /**
   * thresholds[k]: point k counts as positive every score >= thresholds[k]. The first is
   * +Infinity (nothing accepted, the point (0, 0)); scikit-learn writes max(score) + 1 there.
   */
  thresholds: number[];
}

function positives(what: string, labels: BinaryLabels): boolean[] {
  return Array.from(labels, (label, i) => {
    if (label === true || label === 1) return true;
    if (label === false || label === 0) return false;
    throw new LabelError(`${what}: labels[${i}] = ${String(label)} must be 1 / true (same) or 0 / false (different)`);
  });
}

/**
 * The ROC curve of `scores` for the binary `labels`. Throws LabelError unless both kinds of pair
 * occur (a rate over zero pairs is undefined, as in scikit-learn), NonFiniteError for a NaN or
 * infinite score.
 */
export function rocCurve(labels: BinaryLabels, scores: ArrayLike<number>): RocCurve {
  return curve('rocCurve', labels, scores);
}

function curve(what: string, labels: BinaryLabels, scores: ArrayLike<number>): RocCurve {
  checkLengths(what, labels, scores, 'labels', 'scores');
  const positive = positives(what, labels);
  checkFinite(what, 'scores', scores);
  const totalPositive = positive.filter(Boolean).length;
  const totalNegative = positive.length - totalPositive;
  if (totalPositive === 0 || totalNegative === 0) {
    throw new LabelError(
      `${what}: needs both positive and negative pairs, got ${totalPositive} positive and ${totalNegative} negative`,
    );
  }
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const roc: RocCurve = { fpr: [0], tpr: [0], thresholds: [Infinity] };
  let truePositives = 0;
  let falsePositives = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (positive[i]) truePositives += 1;
    else falsePositives += 1;
    // One point per distinct score: tied samples are accepted together by any threshold.
    if (k === order.length - 1 || scores[order[k + 1]] !== scores[i]) {
      roc.fpr.push(falsePositives / totalNegative);
      roc.tpr.push(truePositives / totalPositive);
      roc.thresholds.push(scores[i]);
    }
  }
  return roc;
}

/**
 * Area under the ROC curve by the trapezoidal rule over the distinct thresholds, as scikit-learn's
 * `roc_auc_score`: a positive and a negative with the same score count one half. Equals the
 * probability that a random positive scores above a random negative.
 */
export function rocAuc(labels: BinaryLabels, scores: ArrayLike<number>): number {
  const { fpr, tpr } = curve('rocAuc', labels, scores);
  let area = 0;
  for (let k = 1; k < fpr.length; k++) area += ((fpr[k] - fpr[k - 1]) * (tpr[k] + tpr[k - 1])) / 2;
  return area;
}

/**
 * Equal error rate: the rate at which false acceptances equal false rejections, FPR = 1 - TPR.
 * Read on the ROC curve with straight segments between its points (the rates a random choice
 * between two neighbouring thresholds achieves), so the crossing is exact, not the nearest
 * threshold's: on the segment where FPR + TPR - 1 changes sign, EER = the FPR at the zero.
 * Same result as scipy's `brentq(lambda x: 1 - x - interp(x, fpr, tpr), 0, 1)`.
 */
export function equalErrorRate(labels: BinaryLabels, scores: ArrayLike<number>): number {
  const { fpr, tpr } = curve('equalErrorRate', labels, scores);
  // FPR - FNR = FPR - (1 - TPR) runs from -1 at (0, 0) to +1 at (1, 1), never decreasing.
  // The first k where it is >= 0 has it < 0 at k - 1, so the division is safe.
  const fprMinusFnr = (k: number) => fpr[k] + tpr[k] - 1;
  for (let k = 1; k < fpr.length; k++) {
    if (fprMinusFnr(k) >= 0) {
      const share = -fprMinusFnr(k - 1) / (fprMinusFnr(k) - fprMinusFnr(k - 1));
      return fpr[k - 1] + share * (fpr[k] - fpr[k - 1]);
    }
  }
  return 1; // unreachable: the last point is (1, 1), where FPR - FNR = 1
}

/** Options of `tprAtFpr`. */
export interface TprAtFprOptions {
  /**
   * 'step' (default): the best TPR among thresholds whose FPR is <= the target, a rate some
   * threshold really achieves (the usual "TAR at FAR" of face verification). With fewer than
   * 1 / target negative pairs this is the TPR at FPR 0.
   * 'linear': the TPR of the straight-segment ROC curve at exactly the target FPR (where the curve
   * has a vertical segment at the target, its top).
   */
  interpolation?: 'step' | 'linear';
}

/**
 * True positive rate at a false positive rate, e.g. 1e-2 or 1e-3 (verification's TAR at FAR).
 *
 * @param targetFpr in [0, 1].
 */
export function tprAtFpr(
  labels: BinaryLabels,
  scores: ArrayLike<number>,
  targetFpr: number,
  options: TprAtFprOptions = {},
): number {
  requireInRange('targetFpr', targetFpr, 0, 1);
  checkOptionsObject('tprAtFpr', options, "{ interpolation: 'linear' }");
  const interpolation = requireOneOf('interpolation', options.interpolation ?? 'step', ['step', 'linear'] as const);
  const { fpr, tpr } = curve('tprAtFpr', labels, scores);
  // Points are ordered by FPR and TPR together, so the last point with FPR <= target has the best TPR.
  let last = 0;
  while (last + 1 < fpr.length && fpr[last + 1] <= targetFpr) last += 1;
  if (interpolation === 'step' || fpr[last] === targetFpr || last + 1 === fpr.length) return tpr[last];
  const share = (targetFpr - fpr[last]) / (fpr[last + 1] - fpr[last]);
  return tpr[last] + share * (tpr[last + 1] - tpr[last]);
}
