// The public entries are the documented surface (imbalanced-learn's `__all__`): each package's
// entry exports exactly the names listed here, and each of them is named in the package's
// README. A helper exported by mistake, or an `export *` that brings in a folder's internals,
// fails the first check; a public name nobody documented fails the second. Sibling packages
// reach the rest through `<package>/internal/*`. (Runtime names only: types are erased.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const LIBRARY = [
  // Errors
  'AffinityLossError', 'AffinityConfigError', 'ShapeError', 'LabelError', 'NonFiniteError', 'DatasetFormatError',
  'DatasetNotFoundError', 'ModelFileError', 'FolderLockedError', 'FileSystemError', 'TrainingDivergedError',
  // The affinity head
  'GaussianAffinity', 'affinityLoss', 'maxMarginLoss', 'DiversityRegularizer', 'diversity', 'gaussianAffinity',
  'gaussianLogAffinity', 'squaredDistances', 'predictClasses', 'priorCorrectedScores', 'affinityDiagnostics', 'checkLabels',
  // Baselines
  'crossEntropyLoss', 'weightedCrossEntropyLoss', 'focalLoss', 'classBalancedLoss', 'ldamLoss', 'ldamMargins', 'CosineHead',
  'DeferredReweighting', 'balancedSoftmaxLoss', 'logitAdjustedLoss', 'adjustLogits', 'centerLoss', 'CenterLossHead',
  // Metrics
  'confusionMatrix', 'accuracy', 'perClassPrecision', 'perClassRecall', 'perClassF1', 'macroF1', 'balancedMacroF1',
  'balancedAccuracy', 'gMean', 'shotGroupAccuracy', 'rocCurve', 'rocAuc', 'equalErrorRate', 'tprAtFpr',
  'makeVerificationPairs', 'scorePairs',
  // Data
  'countPerClass', 'standardize', 'prepareDataset', 'parseRecipe', 'describeRecipe', 'applyImbalance', 'applyLabelNoise',
  'addLabelNoise', 'splitValidation', 'ClassAwareSampler', 'makeGaussianBlobs', 'Rng', 'deriveSeed',
  // Models and training
  'buildClassifier', 'BATCHNORM_MOMENTUM', 'trainModel', 'DIVERGENCE_FACTOR', 'makeOptimizer', 'setLearningRate',
  'predictClassIds', 'classificationReport', 'AffinityMonitor', 'PRIOR_CORRECTION_GRID', 'choosePriorCorrection',
  'PriorCorrectionSelector',
];

const NODE_TOOLKIT = [
  // Backend
  'useNodeBackend', 'preferredBackend', 'installGradientFixes', 'removeGradientFixes', 'gradientFixesInstalled',
  // Files
  'fileSystemHandler',
  // Datasets
  'readIdxImages', 'readIdxLabels', 'readCsv', 'readCifar10', 'readImageFolder', 'loadDataset', 'loadPreparedDataset',
  // Data-parallel training
  'trainDataParallel', 'classifierRecipe', 'defaultWorkers', 'ReplicaFailedError',
];

const APP = [
  // One experiment
  'runExperiment', 'resolveExperimentConfig', 'EXPERIMENT_SETTINGS', 'EXPERIMENT_DEFAULTS',
  // Benchmarks and the runner
  'runBench', 'planBench', 'getProtocol', 'PROTOCOL_NAMES', 'runPlans', 'localExecutor', 'queueExecutor',
  // Search
  'runTune', 'planTune', 'TUNE_STRATEGIES', 'DEFAULT_SEARCH_SPACE',
  // Reports
  'readRunResults', 'writeReport',
  // The Redis queue
  'parseQueueUrl', 'QUEUE_PASSWORD_ENV', 'checkQueueServer', 'QueueConnectionError', 'startQueueWorker', 'queueStatus',
  'formatQueueStatus',
];

const WASM_TRAINING = ['installGradientFixes', 'removeGradientFixes', 'gradientFixesInstalled', 'WasmTrainingError'];

/** The identifiers a README names in code: inside `inline code` or a fenced block. */
function namedInReadme(pkg: string): Set<string> {
  const text = readFileSync(new URL(`../../packages/${pkg}/README.md`, import.meta.url), 'utf8');
  const code = [...text.matchAll(/```[^\n]*\n([\s\S]*?)```|`([^`]+)`/g)].map((m) => m[1] ?? m[2]);
  return new Set(code.flatMap((snippet) => snippet.match(/[A-Za-z_$][\w$]*/g) ?? []));
}

async function checkEntry(pkg: string, expected: string[]): Promise<void> {
  assert.equal(new Set(expected).size, expected.length, `${pkg}: the list names something twice`);
  const entry = (await import(pkg)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(entry).sort(), [...expected].sort(), `${pkg}: the entry exports the documented surface, no more and no less`);
  const documented = namedInReadme(pkg);
  const missing = expected.filter((name) => !documented.has(name));
  assert.deepEqual(missing, [], `${pkg}: every export is named in packages/${pkg}/README.md`);
}

test('the library entry exports its documented surface', () => checkEntry('affinity-loss', LIBRARY));

test("the Node toolkit's entry exports its documented surface", () => checkEntry('affinity-loss-node', NODE_TOOLKIT));

test("tfjs-wasm-training's entry exports its documented surface", () => checkEntry('tfjs-wasm-training', WASM_TRAINING));

test("the app's entry exports its documented surface", () => checkEntry('affinity-loss-cli', APP));
