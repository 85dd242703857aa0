/**
 * The scores a validation split can choose by (the best epoch, the prior correction's tau):
 * - 'macro-f1': macro-F1 on the validation rows as they are. Right when the test split has the
 *   training split's class proportions (the step sweep caps test images as it caps training ones).
 * - 'balanced-macro-f1': macro-F1 with every validation row weighted by 1 / its class's count, an
 *   estimate of macro-F1 on a split with equal class counts. Right for a balanced test split (the
 *   long tail, label noise, verification): on the imbalanced validation split plain macro-F1
 *   punishes every prediction moved towards the rare classes, and picked "no correction" in 4 of 9
 *   seeds of an independent check.
 * - 'balanced-accuracy': the mean per-class recall, the same weighting for accuracy.
 */
import { balancedAccuracy, balancedMacroF1, macroF1 } from '../metrics/classification.js';
import { requireOneOf } from '../validate.js';

/** The names of the validation scores. */
export const VALIDATION_SCORES = ['macro-f1', 'balanced-macro-f1', 'balanced-accuracy'] as const;

/** One of `VALIDATION_SCORES`. */
export type ValidationScore = (typeof VALIDATION_SCORES)[number];

/** The named score of predictions on a validation split. */
export function validationScore(score: ValidationScore, labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number {
  switch (requireOneOf('validation score', score, VALIDATION_SCORES)) {
    case 'macro-f1':
      return macroF1(labels, predicted, { classes });
    case 'balanced-macro-f1':
      return balancedMacroF1(labels, predicted, { classes });
    case 'balanced-accuracy':
      return balancedAccuracy(labels, predicted, { classes });
  }
}
