/**
 * Per-class weights computed from training counts n_j. Both kinds are normalised to sum to C,
 * so that on balanced data every weight is 1 and the loss keeps the scale of plain CE.
 */
import { requireInRange } from '../validate.js';
import { validateCounts } from './shared.js';

/**
 * Inverse-frequency weights: w_j proportional to 1 / n_j, normalised to sum to C.
 *
 * @param counts training samples per class, n_j > 0.
 */
export function inverseFrequencyWeights(counts: ArrayLike<number>): number[] {
  const n = validateCounts(counts);
  return normaliseToClassCount(n.map((count) => 1 / count));
}

/**
 * Class-balanced weights of Cui et al. (CVPR 2019): one over the effective number of samples,
 *   E_j = (1 - beta^{n_j}) / (1 - beta),   w_j = (1 - beta) / (1 - beta^{n_j}),
 * normalised to sum to C. beta = 0 gives all ones (plain CE); beta -> 1 tends to inverse frequency.
 *
 * @param counts training samples per class, n_j > 0.
 * @param beta in [0, 1); the paper's default 0.9999.
 */
export function classBalancedWeights(counts: ArrayLike<number>, beta: number): number[] {
  const n = validateCounts(counts);
  // beta = 1 would make every E_j = 0/0; beta in [0, 1) spans plain CE (0) to inverse frequency (-> 1).
  requireInRange('beta', beta, 0, 1, true);
  // 1 - beta^n as -expm1(n log beta): at beta = 0.9999 and small n, 1 - beta^n is ~1e-4 * n and
  // the direct subtraction would lose four digits. beta = 0 gives log 0 = -Infinity and 1 - 0 = 1.
  const oneMinusPower = (count: number) => (beta === 0 ? 1 : -Math.expm1(count * Math.log(beta)));
  return normaliseToClassCount(n.map((count) => (1 - beta) / oneMinusPower(count)));
}

function normaliseToClassCount(raw: number[]): number[] {
  const total = raw.reduce((sum, value) => sum + value, 0);
  return raw.map((value) => (value * raw.length) / total);
}
