/**
 * Imbalance-aware metrics: plain arrays in, plain numbers out, browser-safe. Named exports:
 * the argument checks in checks.ts are the module's own and stay out of the public API.
 */
export {
  confusionMatrix,
  accuracy,
  perClassPrecision,
  perClassRecall,
  perClassF1,
  macroF1,
  balancedMacroF1,
  balancedAccuracy,
  gMean,
  shotGroupAccuracy,
  type ClassLabels,
  type ClassOptions,
  type GMeanOptions,
  type ShotGroupOptions,
  type ShotGroup,
  type ShotGroupAccuracy,
} from './classification.js';
export {
  rocCurve,
  rocAuc,
  equalErrorRate,
  tprAtFpr,
  type BinaryLabels,
  type RocCurve,
  type TprAtFprOptions,
} from './verification.js';
export {
  makeVerificationPairs,
  countPairs,
  scorePairs,
  type VerificationPairOptions,
  type VerificationPairs,
  type PairScore,
  type ScorePairsOptions,
} from './pairs.js';
export { clusterRadii, radiusRatio, spacingVariation } from './clusters.js';
