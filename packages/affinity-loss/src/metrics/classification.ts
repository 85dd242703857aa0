/**
 * Classification metrics that stay honest on imbalanced data. Plain arrays in (number[],
 * Int32Array, Float32Array, ...; class ids 0..C-1), plain numbers out, no tensors, so they run
 * anywhere (browser, worker, Node) and on predictions from any source.
 *
 * Empty classes follow scikit-learn's `zero_division=0`: a precision or recall that would be
 * 0/0 (no sample predicted as, or truly of, that class) counts as 0, and so does an F1 whose
 * precision and recall are both 0. Where scikit-learn instead leaves such a class out of an
 * average (balanced accuracy, G-mean's class set), each function says so.
 */
import { AffinityConfigError } from '../errors.js';
import { requireInteger, requireNonNegative } from '../validate.js';
import { checkLengths, checkOptionsObject, inferredClassCount, largestClassId } from './checks.js';

/** Class ids, one per sample: integers in [0, C). */
export type ClassLabels = ArrayLike<number>;

/** Options shared by the per-class metrics. */
export interface ClassOptions {
  /**
   * C, the number of classes. Default: the largest id in yTrue or yPred, plus one. Give it when
   * a class may be missing from both (it then gets a row of zeros and, in macro averages, a 0).
   */
  classes?: number;
}

/** The classes a metric works over, from the labels or the `classes` option. */
interface ClassSet {
  /** C: `options.classes`, or the largest id in yTrue or yPred plus one. */
  classes: number;
  /** Which class ids occur in yTrue or yPred (scikit-learn's `unique_labels`). */
  present: boolean[];
}

/** Checks a metric's two label arrays and finds the classes it works over. */
function classSetOf(what: string, yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): ClassSet {
  checkLengths(what, yTrue, yPred, 'yTrue', 'yPred');
  checkOptionsObject(what, options, '{ classes: 10 }');
  const classes = options.classes === undefined ? undefined : requireInteger('classes', options.classes, 1);
  const largest = Math.max(largestClassId(what, 'yTrue', yTrue, classes), largestClassId(what, 'yPred', yPred, classes));
  const count = classes ?? inferredClassCount(what, largest, [yTrue, yPred]);
  const present = new Array<boolean>(count).fill(false);
  for (let i = 0; i < yTrue.length; i++) {
    present[yTrue[i]] = true;
    present[yPred[i]] = true;
  }
  return { classes: count, present };
}

/** Counts of (true class, predicted class): the confusion matrix, unchecked. */
function confusionCounts(yTrue: ClassLabels, yPred: ClassLabels, classes: number): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i]][yPred[i]] += 1;
  return counts;
}

/** a / b, or 0 when b is 0 (scikit-learn's zero_division=0). */
function divide(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * The confusion matrix M (C x C): M[i][j] counts samples of true class i predicted as class j
 * (rows true, columns predicted, as scikit-learn).
 */
export function confusionMatrix(yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): number[][] {
  const { classes } = classSetOf('confusionMatrix', yTrue, yPred, options);
  return confusionCounts(yTrue, yPred, classes);
}

/** The fraction of samples whose prediction equals the label. */
export function accuracy(yTrue: ClassLabels, yPred: ClassLabels): number {
  classSetOf('accuracy', yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct += 1;
  return correct / yTrue.length;
}

/** Per-class precision TP_j / (TP_j + FP_j), length C; 0 for a class never predicted. */
export function perClassPrecision(yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): number[] {
  const { classes } = classSetOf('perClassPrecision', yTrue, yPred, options);
  const confusion = confusionCounts(yTrue, yPred, classes);
  return confusion.map((_, j) => divide(confusion[j][j], columnSum(confusion, j)));
}

/** Per-class recall TP_j / (TP_j + FN_j), length C; 0 for a class with no true sample. */
export function perClassRecall(yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): number[] {
  const { classes } = classSetOf('perClassRecall', yTrue, yPred, options);
  return recalls(confusionCounts(yTrue, yPred, classes));
}

/**
 * Per-class F1 = 2 TP_j / (2 TP_j + FP_j + FN_j) (the harmonic mean of precision and recall),
 * length C; 0 for a class neither present nor predicted.
 */
export function perClassF1(yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): number[] {
  const { classes } = classSetOf('perClassF1', yTrue, yPred, options);
  return f1Scores(confusionCounts(yTrue, yPred, classes));
}

/**
 * Macro-F1: the unweighted mean of per-class F1, so a rare class counts as much as a frequent one.
 * Averages over the classes that occur in yTrue or yPred (scikit-learn's default), or over all
 * of 0..C-1 when `classes` is given (scikit-learn's `labels=range(C)`: an absent class adds a 0).
 */
export function macroF1(yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): number {
  const { classes, present } = classSetOf('macroF1', yTrue, yPred, options);
  const f1 = f1Scores(confusionCounts(yTrue, yPred, classes));
  return mean(options.classes === undefined ? f1.filter((_, j) => present[j]) : f1);
}

/**
 * Class-balanced macro-F1: macro-F1 of the confusion matrix with each true class's row divided by
 * its count, i.e. with every row weighted by 1 / its class's count. It estimates the macro-F1 the
 * same predictions would get on a split with equal class counts, from an imbalanced one (a
 * validation split held out from imbalanced training, for a balanced test split): rare classes'
 * precision is no longer swamped by the frequent classes' count. Classes absent from yTrue are
 * left out, as in `balancedAccuracy`.
 */
export function balancedMacroF1(yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): number {
  const { classes } = classSetOf('balancedMacroF1', yTrue, yPred, options);
  const confusion = confusionCounts(yTrue, yPred, classes);
  const rates = confusion.map((row, i) => row.map((count) => divide(count, rowSum(confusion, i))));
  return mean(f1Scores(rates).filter((_, j) => rowSum(confusion, j) > 0));
}

/**
 * Balanced accuracy: the mean of per-class recalls over the classes that have at least one true
 * sample (as scikit-learn, which leaves out classes absent from yTrue instead of counting a 0).
 */
export function balancedAccuracy(yTrue: ClassLabels, yPred: ClassLabels, options: ClassOptions = {}): number {
  const { classes } = classSetOf('balancedAccuracy', yTrue, yPred, options);
  const confusion = confusionCounts(yTrue, yPred, classes);
  return mean(recalls(confusion).filter((_, j) => rowSum(confusion, j) > 0));
}

/** Options of `gMean`. */
export interface GMeanOptions extends ClassOptions {
  /**
   * The recall substituted for a class with recall 0 (imbalanced-learn's `correction`). Default 0:
   * one unrecognised class makes the G-mean 0.
   */
  correction?: number;
}

/**
 * G-mean as imbalanced-learn's `geometric_mean_score` (average 'multiclass') defines it: the
 * geometric mean of per-class recalls, (prod_j recall_j)^(1/K). The K classes are those that occur
 * in yTrue or yPred, or all of 0..C-1 when `classes` is given; a class predicted but absent from
 * yTrue has recall 0/0 = 0. Recalls of 0 are replaced by `correction`. For two classes this is
 * sqrt(sensitivity * specificity).
 */
export function gMean(yTrue: ClassLabels, yPred: ClassLabels, options: GMeanOptions = {}): number {
  const { classes, present } = classSetOf('gMean', yTrue, yPred, options);
  const correction = requireNonNegative('correction', options.correction ?? 0);
  const selected = recalls(confusionCounts(yTrue, yPred, classes)).filter((_, j) => options.classes !== undefined || present[j]);
  const corrected = selected.map((recall) => (recall === 0 ? correction : recall));
  if (corrected.some((recall) => recall === 0)) return 0;
  // Through logs: a product of many recalls < 1 underflows long before its root does.
  return Math.exp(mean(corrected.map(Math.log)));
}

/** Options of `shotGroupAccuracy`: the training-count thresholds of the groups. */
export interface ShotGroupOptions {
  /** A class with more than this many training samples is many-shot. Default 100. */
  manyAbove?: number;
  /** A class with fewer than this many training samples is few-shot. Default 20. */
  fewBelow?: number;
}

/** One group of `shotGroupAccuracy`. */
export interface ShotGroup {
  /**
   * Mean of per-class accuracies (recalls) over the group's classes that have test samples;
   * NaN when none has. On a balanced test set this equals the group's sample accuracy.
   */
  accuracy: number;
  /** Class ids in the group, by training count. */
  classes: number[];
  /** Test samples whose true class is in the group. */
  samples: number;
}

/** Accuracy on the many-, medium- and few-shot class groups. */
export interface ShotGroupAccuracy {
  /** Classes with n_j > manyAbove. */
  many: ShotGroup;
  /** Classes with fewBelow <= n_j <= manyAbove. */
  medium: ShotGroup;
  /** Classes with n_j < fewBelow. */
  few: ShotGroup;
}

/**
 * Accuracy on class groups by training count, the long-tail protocol of Liu et al. (OLTR, 2019)
 * used by Cao et al.: many-shot (n_j > 100), medium (20 <= n_j <= 100), few-shot (n_j < 20).
 * Each group's accuracy is the mean of its classes' recalls, as OLTR's `shot_acc` computes it;
 * classes without test samples are left out rather than counted as 0.
 *
 * @param trainCounts training samples per class; its length is C.
 */
export function shotGroupAccuracy(
  yTrue: ClassLabels,
  yPred: ClassLabels,
  trainCounts: ArrayLike<number>,
  options: ShotGroupOptions = {},
): ShotGroupAccuracy {
  if (trainCounts === null || typeof trainCounts !== 'object' || typeof trainCounts.length !== 'number' || trainCounts.length < 1) {
    throw new AffinityConfigError(`shotGroupAccuracy: trainCounts must be a non-empty array of per-class counts`);
  }
  const counts = Array.from(trainCounts, (count, j) => requireNonNegative(`trainCounts[${j}]`, count));
  checkOptionsObject('shotGroupAccuracy', options, '{ manyAbove: 100, fewBelow: 20 }');
  const manyAbove = requireNonNegative('manyAbove', options.manyAbove ?? 100);
  const fewBelow = requireNonNegative('fewBelow', options.fewBelow ?? 20);
  if (fewBelow > manyAbove) {
    throw new AffinityConfigError(`fewBelow (${fewBelow}) must not exceed manyAbove (${manyAbove})`);
  }
  const { classes } = classSetOf('shotGroupAccuracy', yTrue, yPred, { classes: counts.length });
  const confusion = confusionCounts(yTrue, yPred, classes);
  const classRecall = recalls(confusion);
  const group = (member: (count: number) => boolean): ShotGroup => {
    const ids = counts.flatMap((count, j) => (member(count) ? [j] : []));
    const tested = ids.filter((j) => rowSum(confusion, j) > 0);
    return {
      accuracy: tested.length === 0 ? NaN : mean(tested.map((j) => classRecall[j])),
      classes: ids,
      samples: ids.reduce((sum, j) => sum + rowSum(confusion, j), 0),
    };
  };
  return {
    many: group((count) => count > manyAbove),
    medium: group((count) => count >= fewBelow && count <= manyAbove),
    few: group((count) => count < fewBelow),
  };
}

function rowSum(confusion: number[][], i: number): number {
  return confusion[i].reduce((sum, value) => sum + value, 0);
}

function columnSum(confusion: number[][], j: number): number {
  return confusion.reduce((sum, row) => sum + row[j], 0);
}

function recalls(confusion: number[][]): number[] {
  return confusion.map((row, j) => divide(row[j], rowSum(confusion, j)));
}

function f1Scores(confusion: number[][]): number[] {
  return confusion.map((row, j) => divide(2 * row[j], rowSum(confusion, j) + columnSum(confusion, j)));
}
