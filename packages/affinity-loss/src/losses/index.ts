// The baselines users compare the affinity head against (docs/METHOD.md), one file per method.
export {
  type LossFunction,
  type ClassWeights,
  type WeightedReduction,
  type ClassWeightingOptions,
} from './shared.js';
export { inverseFrequencyWeights, classBalancedWeights } from './classWeights.js';
export { crossEntropyLoss, type CrossEntropyOptions } from './crossEntropy.js';
export { weightedCrossEntropyLoss, type WeightedCrossEntropyOptions } from './weightedCrossEntropy.js';
export { focalLoss, type FocalOptions } from './focal.js';
export { classBalancedLoss, type ClassBalancedOptions } from './classBalanced.js';
export { ldamLoss, ldamMargins, type LdamOptions } from './ldam.js';
export { CosineHead, cosineLogits, l2Normalize, type CosineHeadArgs } from './cosineHead.js';
export { DeferredReweighting, type DeferredReweightingOptions } from './drw.js';
export { balancedSoftmaxLoss, type BalancedSoftmaxOptions } from './balancedSoftmax.js';
export { logitAdjustedLoss, adjustLogits, type LogitAdjustedOptions } from './logitAdjusted.js';
export { centerLoss, CenterLossHead, type CenterLossOptions, type CenterLossHeadArgs } from './centerLoss.js';
