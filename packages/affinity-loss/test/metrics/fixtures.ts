/** The reference values of fixtures/metrics.json (written by fixtures/make_fixtures.py). */
import { readFileSync } from 'node:fs';

/** One classification case: labels, predictions and what scikit-learn computed for them. */
export interface ClassificationCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  classes: number;
  confusion: number[][];
  accuracy: number;
  precision: number[];
  recall: number[];
  f1: number[];
  macroF1Present: number;
  macroF1All: number;
  balancedAccuracy: number;
  gMeanPresent: number;
  gMeanAll: number;
  gMeanCorrected: number;
  trainCounts?: number[];
  shotGroups?: Record<'many' | 'medium' | 'few', number | null>;
}

/** One verification case: pair labels, scores and the ROC quantities scikit-learn / SciPy computed. */
export interface VerificationCase {
  name: string;
  labels: number[];
  scores: number[];
  auc: number;
  eer: number;
  tprStep: Record<string, number>;
  tprLinear: Record<string, number>;
  fpr?: number[];
  tpr?: number[];
}

/** The parsed fixture file. */
export const fixtures = JSON.parse(readFileSync(new URL('./fixtures/metrics.json', import.meta.url), 'utf8')) as {
  classification: ClassificationCase[];
  verification: VerificationCase[];
};
