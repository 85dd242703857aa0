/**
 * The browser-safe data toolkit: dataset types and helpers, a seeded RNG, imbalance and
 * label-noise builders, stratified splits, a class-aware batch sampler, synthetic Gaussian
 * blobs, and the spec strings that name them. File readers live in `affinity-loss-node`.
 *
 * Named exports, not `export *`: what a user needs is listed here; the builders' internals
 * (row selection, rounding, protocol constants) stay importable by relative path for the
 * library's own code and tests, and out of the public API.
 */
export {
  featureSize,
  countPerClass,
  classCounts,
  checkDataset,
  standardize,
  type Split,
  type Dataset,
  type ClassCounts,
} from './dataset.js';
export { isRowStore, SelectedRows, type RowStore, type Features } from './rowStore.js';
export { Rng, deriveSeed, type Shuffleable } from './rng.js';
export { SEED_STREAMS, type SeedStage } from './seedStreams.js';
export {
  imbalanceTrainCounts,
  imbalanceTestCounts,
  applyImbalance,
  type StepImbalance,
  type ExponentialImbalance,
  type EvenCapImbalance,
  type CountsImbalance,
  type ImbalanceSpec,
} from './imbalance.js';
export {
  MNIST_ASYMMETRIC_MAP,
  addLabelNoise,
  applyLabelNoise,
  type SymmetricNoise,
  type AsymmetricNoise,
  type NoiseSpec,
  type NoisyLabels,
} from './noise.js';
export { stratifiedSplit, splitValidation } from './split.js';
export { SAMPLING_MODES, ClassAwareSampler, type SamplingMode, type ClassAwareSamplerOptions } from './sampler.js';
export { makeGaussianBlobs, type GaussianBlobsOptions } from './gaussians.js';
export {
  parseImbalanceSpec,
  describeImbalance,
  parseNoiseSpec,
  describeNoise,
  parseRecipe,
  describeRecipe,
  parseSamplingMode,
  type DataRecipe,
} from './spec.js';
export { prepareDataset, type PreparedDataset } from './prepare.js';
