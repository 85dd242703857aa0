/**
 * Every classification metric of the metrics module for one set of predictions, in one plain
 * JSON-ready record: what the trainer logs, the CLI writes to metrics.json and the bench
 * aggregates.
 */
import {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  gMean,
  macroF1,
  perClassF1,
  perClassPrecision,
  perClassRecall,
  shotGroupAccuracy,
  type ShotGroupAccuracy,
} from '../metrics/classification.js';
import { AffinityConfigError } from '../errors.js';

/** All metrics of one evaluation; fractions in [0, 1]. */
export interface ClassificationReport {
  /** Samples evaluated. */
  samples: number;
  /** Fraction of samples classified correctly. */
  accuracy: number;
  /** Unweighted mean of the per-class F1 scores. */
  macroF1: number;
  /** Mean per-class recall. */
  balancedAccuracy: number;
  /** Geometric mean of the per-class recalls. */
  gMean: number;
  /** Recall (accuracy) of each class. */
  perClassRecall: number[];
  /** Precision of each class. */
  perClassPrecision: number[];
  /** F1 of each class. */
  perClassF1: number[];
  /** Rows true class, columns predicted class. */
  confusion: number[][];
  /** Many / medium / few-shot accuracy, when the training counts were given. */
  shotGroups?: ShotGroupAccuracy;
}

/**
 * Scores predictions against labels with every classification metric.
 *
 * @param classes C: classes missing from both arrays still get a row, a column and a 0.
 * @param trainCounts training samples per class; adds the many / medium / few-shot groups.
 */
export function classificationReport(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
  trainCounts?: ArrayLike<number>,
): ClassificationReport {
  const options = { classes };
  const report: ClassificationReport = {
    samples: labels.length,
    accuracy: accuracy(labels, predicted),
    macroF1: macroF1(labels, predicted, options),
    balancedAccuracy: balancedAccuracy(labels, predicted, options),
    gMean: gMean(labels, predicted, options),
    perClassRecall: perClassRecall(labels, predicted, options),
    perClassPrecision: perClassPrecision(labels, predicted, options),
    perClassF1: perClassF1(labels, predicted, options),
    confusion: confusionMatrix(labels, predicted, options),
  };
  if (trainCounts !== undefined && trainCounts.length !== classes) {
    throw new AffinityConfigError(`trainCounts must list ${classes} per-class training counts (one per class), got ${trainCounts.length}`);
  }
  if (trainCounts !== undefined) report.shotGroups = shotGroupAccuracy(labels, predicted, trainCounts);
  return report;
}
