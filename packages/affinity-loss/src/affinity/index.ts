// The affinity head of Hayat et al. (ICCV 2019): layer, functional forms, loss, regularizer.
export { squaredDistances } from './distance.js';
export { gaussianAffinity, gaussianLogAffinity, type AffinityOutput } from './affinity.js';
export { maxMarginLoss, affinityLoss, type MaxMarginOptions } from './loss.js';
export {
  diversity,
  DiversityRegularizer,
  type DiversityOptions,
  type ResolvedDiversityOptions,
} from './regularizer.js';
export { GaussianAffinity, type GaussianAffinityArgs } from './layer.js';
export { predictClasses, priorCorrectedScores, type PriorCorrection } from './predict.js';
export { affinityDiagnostics, VANISHED_AFFINITY, type AffinityDiagnostics } from './diagnostics.js';
