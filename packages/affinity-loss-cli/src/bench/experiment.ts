/**
 * One experiment from a plain config: load a named dataset, apply the recipe, build the
 * method's model, train it with validation-based selection, and score the last-epoch and the
 * best-on-validation models on the test split. `affinity train` runs one; `affinity bench` runs
 * many, each in a worker. Everything is checked before any data is read or any weight made.
 */
import { isDeepStrictEqual } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { countPerClass, featureSize, takeRows, type Dataset, type Split } from 'affinity-loss/internal/data/dataset.js';
import { deriveSeed, Rng } from 'affinity-loss/internal/data/rng.js';
import { prepareDataset } from 'affinity-loss/internal/data/prepare.js';
import { SEED_STREAMS } from 'affinity-loss/internal/data/seedStreams.js';
import type { SamplingMode } from 'affinity-loss/internal/data/sampler.js';
import type { Features } from 'affinity-loss/internal/data/rowStore.js';
import { stratifiedSplit } from 'affinity-loss/internal/data/split.js';
import { AffinityConfigError, TrainingDivergedError } from 'affinity-loss/internal/errors.js';
import { equalErrorRate, rocAuc } from 'affinity-loss/internal/metrics/verification.js';
import { countPairs, makeVerificationPairs, scorePairs } from 'affinity-loss/internal/metrics/pairs.js';
import { needsImages, type BackboneName } from 'affinity-loss/internal/models/backbones.js';
import { buildClassifier, headDefaults, type Classifier, type ClassifierOptions } from 'affinity-loss/internal/models/build.js';
import { requireMethodName, type MethodName } from 'affinity-loss/internal/models/methods.js';
import type { OptimizerName } from 'affinity-loss/internal/train/optimizer.js';
import { predictClassIds, predictOutputs } from 'affinity-loss/internal/train/predict.js';
import { PriorCorrectionSelector } from 'affinity-loss/internal/train/priorCorrection.js';
import { classificationReport, type ClassificationReport } from 'affinity-loss/internal/train/report.js';
import type { ValidationScore } from 'affinity-loss/internal/train/validationScore.js';
import { AffinityMonitor, type EpochAffinityDiagnostics } from 'affinity-loss/internal/train/affinityMonitor.js';
import { smallestBatch } from 'affinity-loss/internal/train/dataParallel.js';
import type { EpochLog, TrainingCallback, TrainResult } from 'affinity-loss/internal/train/trainer.js';
import { requireInteger } from 'affinity-loss/internal/validate.js';
import { loadDataset } from 'affinity-loss-node/internal/data/registry.js';
import { classifierRecipe } from 'affinity-loss-node/internal/parallel/replica.js';
import { trainDataParallel } from 'affinity-loss-node/internal/parallel/trainDataParallel.js';
import type { FeatureSnapshot, PriorCorrectionRecord, VerificationScores } from './results.js';
import { checkKnownFields, EXPERIMENT_FIELDS, HEAD_FIELDS, headFieldsNotOf, settingOf, upgradeConfigFields, type ExperimentField } from './settings.js';

/** Everything that defines one experiment; plain JSON, written beside every result. */
export interface ExperimentConfig {
  /** Registry name (`mnist`, `fashion-mnist`, ...). */
  dataset: string;
  /** Folder or file of the dataset when not at its standard location (image-folder: required). */
  datasetPath?: string;
  /** image-folder: side of the square images in pixels (default 28); other datasets: absent. */
  imageSize?: number;
  /** image-folder: 1 for grayscale, 3 for RGB (default 1); other datasets: absent. */
  imageChannels?: 1 | 3;
  /**
   * Imbalance and noise recipe (`step:0-4:0.1`, `exp:100+noise:sym:0.2`, `none`) without the
   * validation part, which `validationFraction` adds.
   */
  recipe: string;
  /** Share of each training class held out for model selection, in [0, 1). Default 0.1. */
  validationFraction: number;
  /**
   * Classes to train on (verification: the others are unseen); their ids are renumbered 0..n-1
   * in this order. Default: every class.
   */
  trainClasses?: number[];
  /** Share of the (prepared) training rows kept, stratified, in (0, 1]; quick runs use less. Default 1. */
  trainFraction: number;
  /** Seed of the recipe, the initialisation, the batch order and the sampler. */
  seed: number;
  /** Method name: the head and the loss that trains it (`METHODS`). */
  method: MethodName;
  /** Backbone name. */
  backbone: BackboneName;
  /** Width of the features the head sees. */
  featureWidth: number;
  /** Epochs. */
  epochs: number;
  /** Rows per step. */
  batchSize: number;
  /** Optimizer name. */
  optimizer: OptimizerName;
  /** Initial learning rate. */
  learningRate: number;
  /** L2 weight decay on kernels. */
  weightDecay: number;
  /** Learning-rate schedule after warm-up: constant, or cosine annealing to 0. */
  schedule: 'constant' | 'cosine';
  /** How batches weigh classes. */
  sampling: SamplingMode;
  /**
   * The validation score that chooses the best epoch and the prior correction's tau. Default
   * 'balanced-macro-f1' (every validation row weighted by 1 / its class count: the macro-F1 a
   * balanced test split would give); 'macro-f1' when the test split keeps the training
   * imbalance (the step sweep).
   */
  selection: ValidationScore;
  /** Affinity head: sigma, or 'auto' (from the first batch); default from the feature width, see `defaultSigma`. */
  sigma?: number | 'auto';
  /** Affinity head: margin lambda. */
  margin?: number;
  /** Affinity head: prototypes per class (default 1, or 5 for affinity-m5). */
  prototypesPerClass?: number;
  /** Affinity head: weight of the diversity regularizer (0: off). Default 1, the paper's. */
  diversityWeight?: number;
  /** Affinity head (hinge): margins in the LDAM form from the class counts (default: the method's, on for affinity-lt). */
  classMargins?: boolean;
  /**
   * Affinity head: tau of the prior correction at prediction, or 'auto' (chosen on the validation
   * split after every epoch, by `selection`; each scored model keeps its epoch's tau).
   * Default: the method's (0, or 'auto' for affinity-lt and affinity-ce).
   */
  priorCorrection?: number | 'auto';
  /** Center loss: weight of the centre term. */
  centerWeight?: number;
}

/** What `resolveExperimentConfig` takes: any subset of the fields, with the names as plain strings. */
export type ExperimentInput = Omit<Partial<ExperimentConfig>, 'dataset' | 'method'> & { dataset?: string; method?: string };

/** The defaults of the settings every config has (the head's depend on the method, the image settings belong to image-folder: see `EXPERIMENT_SETTINGS`). */
export const EXPERIMENT_DEFAULTS: Readonly<Partial<ExperimentConfig>> = Object.freeze(
  Object.fromEntries(
    EXPERIMENT_FIELDS.flatMap((field) => {
      const { default: value, appliesTo } = settingOf(field);
      return value === undefined || typeof value === 'function' || appliesTo !== undefined ? [] : [[field, value]];
    }),
  ),
);

/**
 * Fills the defaults and checks every field by its entry in `EXPERIMENT_SETTINGS`, so a bad
 * value fails before data is read or a weight is made. Every default is written into the
 * result, the head's too (sigma, margin, ... for the affinity heads), so a recorded config
 * says what ran; the recipe is written back in canonical form.
 *
 * @throws AffinityConfigError naming the bad field and what is allowed, an unknown field, or a
 *   field given where it does not apply (sigma for softmax, imageSize for mnist).
 */
export function resolveExperimentConfig(input: ExperimentInput): ExperimentConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AffinityConfigError(`an experiment config must be an object, got ${JSON.stringify(input)}`);
  }
  checkKnownFields(input, 'the config');
  const given = definedFields(input) as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  // Each default and applicability test sees the fields above it, already checked.
  const resolved = config as unknown as ExperimentConfig;
  const inapplicable: ExperimentField[] = [];
  for (const field of EXPERIMENT_FIELDS) {
    const setting = settingOf(field);
    if (setting.appliesTo !== undefined && !setting.appliesTo.test(resolved)) {
      if (field in given) inapplicable.push(field);
      continue;
    }
    const value = field in given ? given[field] : typeof setting.default === 'function' ? setting.default(resolved) : setting.default;
    if (value !== undefined) config[field] = setting.check(value);
  }
  if (inapplicable.length > 0) throw new AffinityConfigError(inapplicableMessage(inapplicable, resolved));
  checkAcrossFields(resolved, given);
  return resolved;
}

/** `sigma, margin do not apply to method softmax (sigma: affinity, affinity-m5, ...; margin: ...)`, one such part per field tested (method, dataset). */
function inapplicableMessage(fields: readonly ExperimentField[], config: ExperimentConfig): string {
  const parts = (['method', 'dataset'] as const).flatMap((by) => {
    const mine = fields.filter((field) => settingOf(field).appliesTo!.by === by);
    if (mine.length === 0) return [];
    const where = mine.map((field) => `${field}: ${settingOf(field).appliesTo!.describe}`).join('; ');
    return [`${mine.join(', ')} ${mine.length === 1 ? 'does' : 'do'} not apply to ${by} ${config[by]} (${where} only)`];
  });
  return parts.join('; ');
}

/** The checks that involve two fields; `given` says which values were defaults. */
function checkAcrossFields(config: ExperimentConfig, given: Record<string, unknown>): void {
  if (config.dataset === 'image-folder' && config.datasetPath === undefined) {
    throw new AffinityConfigError('image-folder needs datasetPath (--data-path): the folder holding one subfolder per class');
  }
  if (config.priorCorrection === 'auto' && config.validationFraction === 0) {
    const own = 'priorCorrection' in given ? '' : ` (${config.method}'s default)`;
    throw new AffinityConfigError(`priorCorrection 'auto'${own} chooses tau on the validation split: validationFraction (--validation) must be > 0, or give a number`);
  }
}

/**
 * Whether a recorded config (a result file's, a run folder's) is `config`, what lets a resumed
 * bench skip a run and a retrained run folder be overwritten. Configs of earlier versions lack
 * the head's defaults (sigma, margin, prototypes, ...) and may use older field names; they are
 * compared renamed, with those defaults filled in, which have not changed since the first
 * release.
 */
export function recordsConfig(recorded: Record<string, unknown>, config: ExperimentConfig): boolean {
  const expected = JSON.parse(JSON.stringify(config)) as unknown;
  if (isDeepStrictEqual(recorded, expected)) return true;
  try {
    return isDeepStrictEqual(JSON.parse(JSON.stringify(resolveExperimentConfig(upgradeConfigFields(recorded) as ExperimentInput))), expected);
  } catch (error) {
    if (error instanceof AffinityConfigError) return false;
    throw error;
  }
}

/**
 * The experiment to run from a recorded config (`--config`: a run folder's config.json, tune's
 * best-config.json) with `typed` settings on top. A recorded head setting that is its method's
 * default is read as a default, so it follows a method or feature width typed on top (a run of
 * affinity retrained with --method affinity-m5 gets 5 prototypes, not the 1 recorded); head
 * settings the typed method does not have are left out. Files of earlier versions are read
 * under today's field names.
 */
export function recordedInput(recorded: Record<string, unknown>, typed: Partial<ExperimentInput>): ExperimentInput {
  const file = upgradeConfigFields(recorded) as Partial<ExperimentInput>;
  const input: Record<string, unknown> = { ...file, ...typed };
  let fileDefaults: Record<string, unknown> = {};
  try {
    fileDefaults = headDefaults(file.method ?? EXPERIMENT_DEFAULTS.method!, file.featureWidth ?? EXPERIMENT_DEFAULTS.featureWidth!);
  } catch (error) {
    // An unknown method: resolving the input reports it.
    if (!(error instanceof AffinityConfigError)) throw error;
  }
  const notOfTyped = typed.method === undefined ? [] : headFieldsNotOf(requireMethodName(typed.method));
  for (const field of HEAD_FIELDS) {
    if (field in typed || !(field in file)) continue;
    if (isDeepStrictEqual(file[field], fileDefaults[field]) || notOfTyped.includes(field)) delete input[field];
  }
  return input as ExperimentInput;
}

/**
 * `a: 1 there, 2 now; b: ...` for every field that differs between a recorded config and the
 * one asked for now: what a refusal to overwrite a run says.
 */
export function configDifferences(there: object, now: object): string {
  const a = there as Record<string, unknown>;
  const b = now as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((key) => !isDeepStrictEqual(a[key], b[key]));
  return keys.map((key) => `${key}: ${JSON.stringify(a[key]) ?? 'unset'} there, ${JSON.stringify(b[key]) ?? 'unset'} now`).join('; ');
}

/** The fields of `value` that are set: an option left undefined must not replace a value with nothing. */
export function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}

/** The data of one experiment, ready for the trainer. */
export interface ExperimentData {
  /** The prepared dataset (train, validation, test), restricted to `trainClasses` when given. */
  dataset: Dataset<Features>;
  /** Test rows of the classes left out of training (verification), with their original ids. */
  unseenTest?: Split<Features>;
  /** Shape of one model input: flat for the MLP, the image shape for the CNNs. */
  inputShape: number[];
  /** Training rows per class, after the recipe. */
  trainCounts: number[];
  /** Classes made rare by the recipe (fewer training rows than half the largest class). */
  minorityClasses: number[];
}

// One process often runs many experiments on the same files: read each dataset once.
const datasetCache = new Map<string, Promise<Dataset<Features>>>();

/** How an experiment reads an image folder (see `ExperimentHooks.stream`); the values do not depend on it. */
export type ImageReading = Pick<ExperimentHooks, 'stream' | 'cacheDir'>;

function cachedDataset(config: ExperimentConfig, reading: ImageReading): Promise<Dataset<Features>> {
  const { dataset: name, datasetPath: path, imageSize, imageChannels: channels } = config;
  const { stream = 'auto', cacheDir } = reading;
  const key = [name, path ?? '', imageSize ?? '', channels ?? '', stream, cacheDir ?? ''].join('\u0000');
  let pending = datasetCache.get(key);
  if (pending === undefined) {
    pending = loadDataset(name, { path, imageSize, channels, stream, cacheDir });
    datasetCache.set(key, pending);
    pending.catch(() => datasetCache.delete(key));
  }
  return pending;
}

/** Loads the dataset and applies the recipe, the class restriction and the training fraction. */
export async function loadExperimentData(config: ExperimentConfig, reading: ImageReading = {}): Promise<ExperimentData> {
  const recipe = config.validationFraction > 0 ? `${config.recipe === 'none' ? '' : `${config.recipe}+`}val:${config.validationFraction}` : config.recipe;
  let dataset: Dataset<Features> = prepareDataset(await cachedDataset(config, reading), recipe, config.seed);
  const size = featureSize(dataset.featureShape);
  let unseenTest: Split<Features> | undefined;
  if (config.trainClasses !== undefined) {
    const known = dataset.classNames.length;
    const bad = config.trainClasses.find((id) => id >= known);
    if (bad !== undefined) throw new AffinityConfigError(`trainClasses: class ${bad} does not exist in ${dataset.name} (classes 0-${known - 1})`);
    const unseen = dataset.classNames.map((_, id) => id).filter((id) => !config.trainClasses!.includes(id));
    unseenTest = selectClasses(dataset.test, size, unseen, false);
    dataset = {
      ...dataset,
      classNames: config.trainClasses.map((id) => dataset.classNames[id]),
      train: selectClasses(dataset.train, size, config.trainClasses, true),
      validation: dataset.validation && selectClasses(dataset.validation, size, config.trainClasses, true),
      test: selectClasses(dataset.test, size, config.trainClasses, true),
    };
  }
  const classes = dataset.classNames.length;
  if (config.trainFraction < 1) {
    dataset = { ...dataset, train: stratifiedSplit(dataset.train, size, classes, 1 - config.trainFraction, deriveSeed(config.seed, SEED_STREAMS.trainFraction)).kept };
  }
  const trainCounts = countPerClass(dataset.train.labels, classes);
  checkNotDegenerate(dataset, trainCounts, config);
  const largest = Math.max(...trainCounts);
  const minorityClasses = trainCounts.flatMap((count, id) => (count < largest / 2 ? [id] : []));
  const inputShape = needsImages(config.backbone) ? [...dataset.featureShape] : [size];
  return { dataset, unseenTest, inputShape, trainCounts, minorityClasses };
}

/**
 * Refuses data no model can be trained or judged on: an empty split, or a class with no
 * training rows (it would be a class the model can never learn, silently scored as zero).
 *
 * @throws AffinityConfigError naming the split or the classes, and the recipe that emptied them.
 */
function checkNotDegenerate(dataset: Dataset<Features>, trainCounts: readonly number[], config: ExperimentConfig): void {
  const where = `${config.dataset} with recipe ${config.recipe}${config.trainFraction < 1 ? ` and train fraction ${config.trainFraction}` : ''}`;
  const splits: [string, Split<Features> | undefined][] = [['training', dataset.train], ['validation', dataset.validation], ['test', dataset.test]];
  for (const [name, split] of splits) {
    if (split !== undefined && split.count === 0) throw new AffinityConfigError(`the ${name} split of ${where} is empty: there is nothing to ${name === 'test' ? 'score' : 'train on'}`);
  }
  const empty = trainCounts.flatMap((count, id) => (count === 0 ? [dataset.classNames[id]] : []));
  if (empty.length > 0) {
    throw new AffinityConfigError(
      `${where} leaves class${empty.length === 1 ? '' : 'es'} ${empty.join(', ')} with no training rows, which no model can learn; ` +
        'keep at least one row per class, or leave such classes out with trainClasses (in a --config file)',
    );
  }
}

/** The rows of the given classes; `renumber` maps class ids[i] to i. */
export function selectClasses<F extends Features>(split: Split<F>, size: number, ids: readonly number[], renumber: boolean): Split<F> {
  const rows: number[] = [];
  for (let row = 0; row < split.count; row++) if (ids.includes(split.labels[row])) rows.push(row);
  const taken = takeRows(split, rows, size);
  if (!renumber) return taken;
  // A noisy label may come from a class left out; its clean label keeps the original id then.
  const renumbered = (id: number) => (ids.includes(id) ? ids.indexOf(id) : id);
  taken.labels = taken.labels.map(renumbered);
  if (taken.trueLabels) taken.trueLabels = taken.trueLabels.map(renumbered);
  return taken;
}

/** What to compute besides the classification metrics. */
export interface ExperimentExtras {
  /** Snapshot the 2-D test features and anchors (Figure 1); needs featureWidth 2. */
  features?: boolean;
  /** Verification AUC / EER on seen and unseen classes (needs `trainClasses`). */
  verification?: boolean;
  /**
   * Score the models on the test split. Default true; a hyper-parameter search sets false, so
   * its trials cannot be chosen by test numbers (they have none).
   */
  scoreTest?: boolean;
}

/** The outcome of one experiment. */
export interface ExperimentOutcome {
  /** The config as resolved (defaults filled). */
  config: ExperimentConfig;
  /** The prepared data. */
  data: ExperimentData;
  /** The model, holding the weights of `bestEpoch` (chosen on validation); the caller disposes it. */
  classifier: Classifier;
  /** Per-epoch log. */
  history: EpochLog[];
  /** 1-based epoch with the best validation score (`selection`; the last epoch without validation). */
  bestEpoch: number;
  /** Threads that trained the run (see `ExperimentHooks.workers`). */
  workers: number;
  /** Test metrics of the last-epoch model (absent with `scoreTest: false`, or after a kept divergence). */
  last?: ClassificationReport;
  /** Test metrics of the best-on-validation model (absent with `scoreTest: false`). */
  best?: ClassificationReport;
  /** Verification scores of the last-epoch model, when asked for. */
  verification?: VerificationScores;
  /** 2-D feature snapshot of the last-epoch model, when asked for. */
  features?: FeatureSnapshot;
  /** Affinity heads: the head's state after every epoch (distances against sigma, vanished affinities). */
  affinityDiagnostics?: EpochAffinityDiagnostics[];
  /** Affinity heads: the prior correction tau each scored model predicted with. */
  priorCorrection?: PriorCorrectionRecord;
  /** Set when training diverged and `keepDiverged` kept the best finite epoch (`bestEpoch`). */
  diverged?: DivergenceNote;
}

/** What a kept divergence records (see `ExperimentHooks.keepDiverged`). */
export interface DivergenceNote {
  /** The trainer's message: what diverged, where, and which weights were kept. */
  message: string;
  /** 1-based epoch and step at which training diverged. */
  epoch: number;
  step: number;
  /** The last epoch that ended finite (the kept one is `bestEpoch`, the best on validation among them). */
  lastGoodEpoch: number;
}

/** Options of `runExperiment` that are not part of the experiment. */
export interface ExperimentHooks {
  /** Extra trainer hooks (progress bars, logs). */
  callbacks?: TrainingCallback[];
  /** Called when the affinity head cannot learn (see `AffinityMonitor`); default: ignored. */
  onWarning?: (message: string) => void;
  /**
   * Threads that train this one run together (`trainDataParallel`); the result is the same up
   * to float rounding. Default 1: the bench's pool already gives each core a run of its own.
   */
  workers?: number;
  /**
   * image-folder: stream the images from a decoded-image cache on disk rather than hold them in
   * memory (see `readImageFolder`). Default 'auto': stream above `STREAM_ABOVE_BYTES`. The values
   * are the same either way, so it is not part of the config.
   */
  stream?: boolean | 'auto';
  /** image-folder, streaming: the folder of the decoded-image caches. Default `defaultImageCacheDir()`. */
  cacheDir?: string;
  /**
   * When training diverges after at least one finite epoch, return an outcome holding the best
   * of those epochs with `diverged` set (and no last-epoch metrics) instead of throwing the
   * `TrainingDivergedError`. Default false. `affinity train` sets it, so a divergence at epoch
   * 9 still saves epoch 8's model.
   */
  keepDiverged?: boolean;
}

/**
 * The test metrics of an outcome scored on the test split (the default); `last` is absent after
 * a kept divergence (there is no finite last epoch to score).
 */
export function testScores(outcome: ExperimentOutcome): { last?: ClassificationReport; best: ClassificationReport } {
  if (outcome.best === undefined || (outcome.last === undefined && outcome.diverged === undefined)) {
    throw new AffinityConfigError('this experiment ran with scoreTest: false, so it has no test metrics');
  }
  return { last: outcome.last, best: outcome.best };
}

/**
 * Checks that a config can give what `extras` asks for, before anything is read or trained.
 *
 * @throws AffinityConfigError naming the missing setting.
 */
export function checkExtras(config: ExperimentConfig, extras: ExperimentExtras): void {
  if (extras.features && config.featureWidth !== 2) {
    throw new AffinityConfigError(`a feature snapshot (Figure 1) needs featureWidth 2, got ${config.featureWidth}`);
  }
  if (extras.verification && config.trainClasses === undefined) {
    throw new AffinityConfigError('verification needs trainClasses: the classes left out are the unseen ones');
  }
}

/** Runs one experiment. The returned classifier holds the best-on-validation weights. */
export async function runExperiment(input: ExperimentInput, extras: ExperimentExtras = {}, hooks: ExperimentHooks = {}): Promise<ExperimentOutcome> {
  const config = resolveExperimentConfig(input);
  checkExtras(config, extras);
  const data = await loadExperimentData(config, hooks);
  const { dataset, inputShape, trainCounts } = data;
  const classes = dataset.classNames.length;
  const settings: ClassifierOptions = {
    method: config.method,
    backbone: config.backbone,
    inputShape,
    classes,
    classCounts: trainCounts,
    featureWidth: config.featureWidth,
    epochs: config.epochs,
    seed: config.seed,
    sigma: config.sigma,
    margin: config.margin,
    prototypesPerClass: config.prototypesPerClass,
    diversityWeight: config.diversityWeight,
    classMargins: config.classMargins,
    priorCorrection: config.priorCorrection,
    centerWeight: config.centerWeight,
  };
  const classifier = buildClassifier(settings);
  // A last batch of one row cannot be shared: such a run trains on fewer threads.
  const workers = Math.min(requireInteger('workers', hooks.workers ?? 1, 1), smallestBatch(dataset.train.labels.length, config.batchSize));
  // tau 'auto': chosen on the validation split after every epoch, before the epoch is scored.
  const selector =
    classifier.headSettings.priorCorrection === 'auto' ? new PriorCorrectionSelector(classifier.model, dataset.validation!, { featureShape: inputShape, score: config.selection }) : undefined;
  const monitor =
    classifier.affinityHead &&
    new AffinityMonitor(classifier.featureModel, classifier.affinityHead, { probe: dataset.train, featureShape: inputShape, onWarning: hooks.onWarning });
  try {
    let diverged: DivergenceNote | undefined;
    const result: TrainResult = await trainDataParallel(classifier.model, dataset.train, {
      workers,
      recipe: classifierRecipe(settings),
      classes,
      featureShape: inputShape,
      loss: classifier.loss,
      epochs: config.epochs,
      batchSize: config.batchSize,
      optimizer: config.optimizer,
      learningRate: config.learningRate,
      weightDecay: config.weightDecay,
      schedule: { type: config.schedule },
      sampling: config.sampling,
      validation: dataset.validation,
      selection: config.selection,
      seed: deriveSeed(config.seed, SEED_STREAMS.training),
      callbacks: [...classifier.callbacks, ...(monitor ? [monitor] : []), ...(selector ? [selector] : []), ...(hooks.callbacks ?? [])],
    }).catch((error: unknown) => {
      if (!(hooks.keepDiverged === true && error instanceof TrainingDivergedError && error.keptEpoch > 0)) throw error;
      // The model holds the kept epoch's weights; from here on they are both "best" and the
      // only model there is.
      diverged = { message: error.message, epoch: error.epoch, step: error.step, lastGoodEpoch: error.lastGoodEpoch };
      const bestWeights = classifier.model.getWeights().map((weight) => weight.clone());
      return { history: [...error.history], bestEpoch: error.keptEpoch, bestWeights, stoppedEarly: false };
    });
    let last: ClassificationReport | undefined;
    let best: ClassificationReport | undefined;
    let features: FeatureSnapshot | undefined;
    let verification: VerificationScores | undefined;
    let priorCorrection: PriorCorrectionRecord | undefined;
    try {
      const scoreTest = extras.scoreTest ?? true;
      const score = () => testReport(classifier, dataset.test, inputShape, classes, trainCounts);
      const head = classifier.affinityHead;
      // Each scored model predicts with the tau chosen for its epoch.
      const tauOf = (epoch: number) => (selector ? selector.tauOf(epoch) : (head?.priorCorrection ?? 0));
      const lastTau = tauOf(result.history.length);
      head?.setPriorCorrection(lastTau);
      if (scoreTest && diverged === undefined) last = score();
      if (extras.features) features = featureSnapshot(classifier, dataset.test, inputShape, data.minorityClasses, config.seed);
      if (extras.verification) verification = verificationScores(classifier, dataset.test, data.unseenTest!, inputShape, config.seed);
      classifier.model.setWeights(result.bestWeights);
      const lastIsBest = result.bestEpoch === result.history.length;
      const bestTau = tauOf(result.bestEpoch);
      head?.setPriorCorrection(bestTau);
      if (head !== undefined) priorCorrection = { selection: selector ? `validation ${config.selection}` : 'fixed', last: lastTau, best: bestTau };
      if (scoreTest) best = lastIsBest && last !== undefined ? last : score();
    } finally {
      tf.dispose(result.bestWeights);
    }
    return {
      config,
      data,
      classifier,
      history: result.history,
      bestEpoch: result.bestEpoch,
      workers,
      last,
      best,
      verification,
      features,
      ...(monitor ? { affinityDiagnostics: monitor.history } : {}),
      ...(priorCorrection ? { priorCorrection } : {}),
      ...(diverged ? { diverged } : {}),
    };
  } catch (error) {
    classifier.dispose();
    throw error;
  }
}

function testReport(classifier: Classifier, test: Split<Features>, inputShape: number[], classes: number, trainCounts: number[]): ClassificationReport {
  const predicted = predictClassIds(classifier.model, test, { featureShape: inputShape });
  return classificationReport(test.labels, predicted, classes, trainCounts);
}

/** Feature vectors of every row of a split, as plain arrays. */
function featureRows(classifier: Classifier, split: Split<Features>, inputShape: number[]): number[][] {
  const [features] = predictOutputs(classifier.featureModel, split, { featureShape: inputShape });
  const width = features.shape[1]!;
  const values = features.dataSync();
  features.dispose();
  const rows: number[][] = [];
  for (let row = 0; row < split.count; row++) rows.push(Array.from(values.subarray(row * width, (row + 1) * width)));
  return rows;
}

// Points per class in a Figure 1 panel: enough to see a cluster's shape, small enough for JSON.
const POINTS_PER_CLASS = 200;

function featureSnapshot(classifier: Classifier, test: Split<Features>, inputShape: number[], minorityClasses: number[], seed: number): FeatureSnapshot {
  const rows = featureRows(classifier, test, inputShape);
  const classes = Math.max(...test.labels) + 1;
  const sums = Array.from({ length: classes }, () => [0, 0, 0]);
  for (let row = 0; row < test.count; row++) {
    const sum = sums[test.labels[row]];
    sum[0] += rows[row][0];
    sum[1] += rows[row][1];
    sum[2] += 1;
  }
  // Every class keeps its first POINTS_PER_CLASS test rows in a seeded order, so panels of
  // different heads with the same seed show the same images.
  const order = new Rng(deriveSeed(seed, SEED_STREAMS.featureSnapshot)).permutation(test.count);
  const taken = new Array<number>(classes).fill(0);
  const points: [number, number][] = [];
  const labels: number[] = [];
  for (const row of order) {
    const label = test.labels[row];
    if (taken[label]++ >= POINTS_PER_CLASS) continue;
    points.push([rows[row][0], rows[row][1]]);
    labels.push(label);
  }
  const anchors = classifier.anchors().map(({ classId, point }) => ({ class: classId, point: [point[0], point[1]] as [number, number] }));
  return {
    points,
    labels,
    ...(anchors.length > 0 ? { anchors } : {}),
    classMeans: sums.map(([x, y, n]) => [n > 0 ? x / n : NaN, n > 0 ? y / n : NaN]),
    minorityClasses,
  };
}

// Pairs of each kind (same, different) per verification set; capped by what the set allows.
const VERIFICATION_PAIRS = 5000;

function verificationScores(classifier: Classifier, seen: Split<Features>, unseen: Split<Features>, inputShape: number[], seed: number): VerificationScores {
  const scoreSet = (split: Split<Features>, stream: number) => {
    const features = featureRows(classifier, split, inputShape);
    const available = countPairs(split.labels);
    const pairsPerKind = Math.min(VERIFICATION_PAIRS, available.same, available.different);
    const pairs = makeVerificationPairs(split.labels, { pairsPerKind, seed: deriveSeed(seed, stream) });
    const scores = scorePairs(features, pairs);
    return { rocAuc: rocAuc(pairs.same, scores), equalErrorRate: equalErrorRate(pairs.same, scores), pairs: pairs.same.length };
  };
  return { seen: scoreSet(seen, SEED_STREAMS.verificationSeen), unseen: scoreSet(unseen, SEED_STREAMS.verificationUnseen) };
}
