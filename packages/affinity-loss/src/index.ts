/**
 * affinity-loss: the browser-safe entry. Everything here runs wherever TensorFlow.js runs;
 * Node-only code (fast backend, file readers, data-parallel training) lives in `affinity-loss-node`, the experiment runner in `affinity-loss-cli`.
 *
 * The entry lists its names one by one, and each is in the README's API section (a test holds
 * the two together, as imbalanced-learn's `__all__` does): what a user writes is here; helpers,
 * row stores, seed streams, spec parsers and the data-parallel plumbing stay behind
 * `affinity-loss/internal/*`, for the sibling packages only. Types that a public function's
 * signature names are exported too, so that a user can name them.
 */

// Errors: every error the library throws on purpose extends AffinityLossError.
export {
  AffinityLossError,
  AffinityConfigError,
  ShapeError,
  LabelError,
  NonFiniteError,
  DatasetFormatError,
  DatasetNotFoundError,
  ModelFileError,
  FolderLockedError,
  FileSystemError,
  TrainingDivergedError,
} from './errors.js';

// The affinity head of Hayat et al. (ICCV 2019): the layer, its loss and regularizer, the
// functional forms for custom loops, and prediction with the prior correction.
export { GaussianAffinity, type GaussianAffinityArgs } from './affinity/layer.js';
export { affinityLoss, maxMarginLoss, type MaxMarginOptions } from './affinity/loss.js';
export { DiversityRegularizer, diversity, type DiversityOptions, type ResolvedDiversityOptions } from './affinity/regularizer.js';
export { gaussianAffinity, gaussianLogAffinity, type AffinityOutput } from './affinity/affinity.js';
export { squaredDistances } from './affinity/distance.js';
export { predictClasses, priorCorrectedScores, type PriorCorrection } from './affinity/predict.js';
export { affinityDiagnostics, type AffinityDiagnostics } from './affinity/diagnostics.js';
export { checkLabels } from './labels.js';

// The baselines the head is compared against, one factory per method (docs/METHOD.md).
export { type LossFunction, type ClassWeights, type WeightedReduction, type ClassWeightingOptions } from './losses/shared.js';
export { crossEntropyLoss, type CrossEntropyOptions } from './losses/crossEntropy.js';
export { weightedCrossEntropyLoss, type WeightedCrossEntropyOptions } from './losses/weightedCrossEntropy.js';
export { focalLoss, type FocalOptions } from './losses/focal.js';
export { classBalancedLoss, type ClassBalancedOptions } from './losses/classBalanced.js';
export { ldamLoss, ldamMargins, type LdamOptions } from './losses/ldam.js';
export { CosineHead, type CosineHeadArgs } from './losses/cosineHead.js';
export { DeferredReweighting, type DeferredReweightingOptions } from './losses/drw.js';
export { balancedSoftmaxLoss, type BalancedSoftmaxOptions } from './losses/balancedSoftmax.js';
export { logitAdjustedLoss, adjustLogits, type LogitAdjustedOptions } from './losses/logitAdjusted.js';
export { centerLoss, CenterLossHead, type CenterLossOptions, type CenterLossHeadArgs } from './losses/centerLoss.js';

// Imbalance-aware metrics: plain arrays in, plain numbers out.
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
} from './metrics/classification.js';
export { rocCurve, rocAuc, equalErrorRate, tprAtFpr, type BinaryLabels, type RocCurve, type TprAtFprOptions } from './metrics/verification.js';
export {
  makeVerificationPairs,
  scorePairs,
  type VerificationPairOptions,
  type VerificationPairs,
  type PairScore,
  type ScorePairsOptions,
} from './metrics/pairs.js';

// Data: the dataset types, seeded recipes (imbalance, label noise, validation split), a
// class-aware batch sampler, synthetic blobs and the seeded generator. Readers are in affinity-loss-node.
export { countPerClass, standardize, type Split, type Dataset } from './data/dataset.js';
export type { Features, RowStore } from './data/rowStore.js';
export { prepareDataset, type PreparedDataset } from './data/prepare.js';
export { parseRecipe, describeRecipe, type DataRecipe } from './data/spec.js';
export {
  applyImbalance,
  type ImbalanceSpec,
  type StepImbalance,
  type ExponentialImbalance,
  type EvenCapImbalance,
  type CountsImbalance,
} from './data/imbalance.js';
export { applyLabelNoise, addLabelNoise, type NoiseSpec, type SymmetricNoise, type AsymmetricNoise, type NoisyLabels } from './data/noise.js';
export { splitValidation } from './data/split.js';
export { ClassAwareSampler, type SamplingMode, type ClassAwareSamplerOptions } from './data/sampler.js';
export { makeGaussianBlobs, type GaussianBlobsOptions } from './data/gaussians.js';
export { Rng, deriveSeed, type Shuffleable } from './data/rng.js';

// Models and training: a classifier for a method name, the seeded loop, its optimizers,
// prediction, the report, and the callbacks that watch the head and choose its prior correction.
export { buildClassifier, type ClassifierOptions, type Classifier, type EpochStartHook } from './models/build.js';
export { BATCHNORM_MOMENTUM, type BackboneName } from './models/backbones.js';
export type { MethodName } from './models/methods.js';
export {
  trainModel,
  DIVERGENCE_FACTOR,
  type TrainerOptions,
  type TrainResult,
  type EpochLog,
  type StepReport,
  type TrainingCallback,
} from './train/trainer.js';
export { makeOptimizer, setLearningRate, type OptimizerName, type OptimizerOptions } from './train/optimizer.js';
export type { LearningRateSchedule } from './train/schedule.js';
export type { ValidationScore } from './train/validationScore.js';
export { predictClassIds, type PredictOptions } from './train/predict.js';
export { classificationReport, type ClassificationReport } from './train/report.js';
export { AffinityMonitor, type AffinityMonitorOptions, type EpochAffinityDiagnostics } from './train/affinityMonitor.js';
export {
  PRIOR_CORRECTION_GRID,
  choosePriorCorrection,
  PriorCorrectionSelector,
  type ChoosePriorCorrectionOptions,
  type PriorCorrectionChoice,
} from './train/priorCorrection.js';
