/**
 * The training loop: seeded batches (plain or class-aware sampling), Adam or SGD with momentum,
 * weight decay, learning-rate schedules with warm-up, model selection and early stopping on a
 * validation split, callbacks, and a clear stop when the loss stops being finite.
 *
 * A custom loop rather than `model.fit`: fit shuffles with an unseeded generator, cannot sample
 * by class, and reads the loss only per batch callback; here every random choice derives from
 * one seed, so the same seed gives the same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { checkSplit, featureSize, type Split } from '../data/dataset.js';
import type { Features } from '../data/rowStore.js';
import { ClassAwareSampler, SAMPLING_MODES, type SamplingMode } from '../data/sampler.js';
import { AffinityConfigError, NonFiniteError, ShapeError, TrainingDivergedError } from '../errors.js';
import { allFinite } from '../finite.js';
import type { LossFunction } from '../losses/shared.js';
import { macroF1, accuracy } from '../metrics/classification.js';
import { requireInteger, requireNonNegative, requireOneOf, requireOptions, requirePositive, requireSeed } from '../validate.js';
import { releaseAbandonedTape } from './abandonedTape.js';
import { anyReplica, checkShardable, type DataParallelGroup } from './dataParallel.js';
import { EpochSelection } from './epochSelection.js';
import { LossWatch } from './lossWatch.js';
import { makeOptimizer, setLearningRate, OPTIMIZER_NAMES, type OptimizerName } from './optimizer.js';
import { predictClassIds } from './predict.js';
import { TrainingStep } from './step.js';
import { VALIDATION_SCORES, validationScore, type ValidationScore } from './validationScore.js';
import { learningRateAt, validateSchedule, type LearningRateSchedule } from './schedule.js';

export { DIVERGENCE_FACTOR } from './lossWatch.js';

/** Rows per step when `batchSize` is not given. */
export const DEFAULT_BATCH_SIZE = 128;

/** What the trainer reports after each step. */
export interface StepReport {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based step within the epoch. */
  step: number;
  /** Steps in the epoch. */
  steps: number;
  /** Loss of this step (the data terms plus the layers' regularizers). */
  loss: number;
  /** Mean loss over the epoch's steps so far. */
  meanLoss: number;
  /** Training accuracy over the epoch's batches so far. */
  accuracy: number;
  /** Learning rate used for this step. */
  learningRate: number;
}

/** One epoch of training as logged. */
export interface EpochLog {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** Training accuracy over the epoch's batches (predictions made during each step). */
  accuracy: number;
  /** Validation macro-F1 (NaN without a validation split). */
  validationMacroF1: number;
  /** The validation score the best epoch is chosen by (`TrainerOptions.selection`; NaN without a validation split). */
  validationScore: number;
  /** Validation accuracy (NaN without a validation split). */
  validationAccuracy: number;
  /** Learning rate of the epoch's last step. */
  learningRate: number;
  /** Wall-clock seconds of the epoch (training and validation). */
  seconds: number;
}

/**
 * Hooks the trainer calls. `epochStart` gets the 0-based epoch, as DRW's `setEpoch` takes it:
 * `{ epochStart: (epoch) => drw.setEpoch(epoch) }`.
 */
export interface TrainingCallback {
  /** Before the first step of an epoch (0-based epoch). */
  epochStart?(epoch: number): void | Promise<void>;
  /** After every step. */
  stepEnd?(report: StepReport): void | Promise<void>;
  /**
   * After an epoch's steps, before its validation split is scored (0-based epoch): where a
   * setting that changes predictions but is not a weight (the affinity head's prior correction)
   * is chosen on validation, so the epoch is scored, and selected, as it will predict.
   */
  validationStart?(epoch: number): void | Promise<void>;
  /** After an epoch and its validation. */
  epochEnd?(log: EpochLog): void | Promise<void>;
}

/** Options of `trainModel`. */
export interface TrainerOptions {
  /** Number of classes C; labels are class ids in [0, C). */
  classes: number;
  /** Shape of one sample, e.g. [784] or [28, 28, 1]. */
  featureShape: number[];
  /**
   * The loss of the model's outputs: one function for every output, or one per output (as
   * `model.compile` takes them), summed; the layers' regularizers (the affinity head's diversity
   * term) are added to it.
   */
  loss: LossFunction | LossFunction[];
  /** Which output holds the class scores (logits or affinities): its argmax is the class. Default 0. */
  scoreOutput?: number;
  /** Epochs (>= 1). */
  epochs: number;
  /** Rows per step. Default 128. */
  batchSize?: number;
  /** 'adam' (default) or 'sgd' (with momentum). */
  optimizer?: OptimizerName;
  /** Initial learning rate. Default 1e-3. */
  learningRate?: number;
  /** SGD momentum. Default 0.9. */
  momentum?: number;
  /**
   * L2 weight decay added to the gradient of every weight of rank >= 2 (kernels, prototypes,
   * centres; not biases or BatchNorm parameters), as PyTorch's `weight_decay`. Default 0.
   */
  weightDecay?: number;
  /** Learning-rate schedule after warm-up. Default constant. */
  schedule?: LearningRateSchedule;
  /** Epochs of linear warm-up. Default 0. */
  warmupEpochs?: number;
  /** How batches weigh classes (see `ClassAwareSampler`). Default 'instance'. */
  sampling?: SamplingMode;
  /**
   * Held-out rows for model selection: after each epoch the validation score (`selection`) is
   * measured and the weights of the best epoch kept. Never pass the test set here.
   */
  validation?: Split<Features>;
  /**
   * The validation score the best epoch is chosen by (see `VALIDATION_SCORES`). Default
   * 'macro-f1'; 'balanced-macro-f1' when the test split will have equal class counts.
   */
  selection?: ValidationScore;
  /** Stop when the validation score has not improved for this many epochs (needs `validation`). */
  earlyStoppingPatience?: number;
  /** Seed of the batch order and the sampler. */
  seed: number;
  /** Hooks called during training. */
  callbacks?: TrainingCallback[];
}

/** What `trainModel` returns. The model itself holds the last epoch's weights. */
export interface TrainResult {
  /** One entry per epoch trained. */
  history: EpochLog[];
  /**
   * The 1-based epoch with the best validation score (the last epoch without validation).
   */
  bestEpoch: number;
  /**
   * Copies of all model weights (`model.getWeights()` order, BatchNorm statistics included) at
   * `bestEpoch`; the caller owns and disposes them.
   */
  bestWeights: tf.Tensor[];
  /** True when early stopping ended training before `epochs`. */
  stoppedEarly: boolean;
}

interface ResolvedOptions extends Required<Omit<TrainerOptions, 'validation' | 'earlyStoppingPatience' | 'schedule'>> {
  validation?: Split<Features>;
  /** The replica group of `trainReplica`; undefined for `trainModel`. */
  dataParallel?: DataParallelGroup;
  earlyStoppingPatience?: number;
  schedule: LearningRateSchedule;
}

function resolveOptions(options: TrainerOptions, train: Split<Features>, group: DataParallelGroup | undefined): ResolvedOptions {
  requireOptions('trainModel', options, '{ classes, featureShape, loss, epochs, seed, ... }');
  const classes = requireInteger('classes', options.classes, 2);
  const featureShape = options.featureShape;
  if (!Array.isArray(featureShape) || featureShape.length === 0) {
    throw new ShapeError(`featureShape must be a non-empty array of dimensions, got ${String(featureShape)}`);
  }
  const size = featureSize(featureShape);
  checkSplit(train, size, classes, 'training split');
  if (options.validation !== undefined) checkSplit(options.validation, size, classes, 'validation split');
  const losses = Array.isArray(options.loss) ? options.loss : [options.loss];
  if (losses.length === 0 || losses.some((loss) => typeof loss !== 'function')) {
    throw new AffinityConfigError('loss must be a loss function or a non-empty array of them, one per model output');
  }
  const epochs = requireInteger('epochs', options.epochs, 1);
  const earlyStoppingPatience =
    options.earlyStoppingPatience === undefined ? undefined : requireInteger('earlyStoppingPatience', options.earlyStoppingPatience, 1);
  if (earlyStoppingPatience !== undefined && options.validation === undefined) {
    throw new AffinityConfigError('earlyStoppingPatience needs a validation split to watch');
  }
  return {
    classes,
    featureShape,
    loss: options.loss,
    scoreOutput: requireInteger('scoreOutput', options.scoreOutput ?? 0, 0),
    epochs,
    batchSize: requireInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE, 1),
    optimizer: requireOneOf('optimizer', options.optimizer ?? 'adam', OPTIMIZER_NAMES),
    learningRate: requirePositive('learningRate', options.learningRate ?? 1e-3),
    momentum: options.momentum ?? 0.9,
    weightDecay: requireNonNegative('weightDecay', options.weightDecay ?? 0),
    schedule: validateSchedule(options.schedule, epochs),
    warmupEpochs: requireNonNegative('warmupEpochs', options.warmupEpochs ?? 0),
    sampling: requireOneOf('sampling', options.sampling ?? 'instance', SAMPLING_MODES),
    validation: options.validation,
    selection: requireOneOf('selection', options.selection ?? 'macro-f1', VALIDATION_SCORES),
    earlyStoppingPatience,
    seed: requireSeed(options.seed),
    callbacks: options.callbacks ?? [],
    dataParallel: group,
  };
}

/** The validation scores of an epoch; NaN without a validation split. */
type ValidationResult = Pick<EpochLog, 'validationMacroF1' | 'validationScore' | 'validationAccuracy'>;

/** Scores the model on the validation split, after the callbacks' `validationStart` (0-based epoch). */
async function validate(model: tf.LayersModel, settings: ResolvedOptions, epoch: number): Promise<ValidationResult> {
  const split = settings.validation;
  if (split === undefined) return { validationMacroF1: NaN, validationScore: NaN, validationAccuracy: NaN };
  for (const callback of settings.callbacks) await callback.validationStart?.(epoch);
  const predicted = predictClassIds(model, split, { featureShape: settings.featureShape, scoreOutput: settings.scoreOutput });
  return {
    validationMacroF1: macroF1(split.labels, predicted, { classes: settings.classes }),
    validationScore: validationScore(settings.selection, split.labels, predicted, settings.classes),
    validationAccuracy: accuracy(split.labels, predicted),
  };
}

/** Whether early stopping ends training after `epoch` (0-based); every replica of a group gets replica 0's answer. */
function stopsEarly(settings: ResolvedOptions, epoch: number, bestEpoch: number): boolean {
  const stop = settings.earlyStoppingPatience !== undefined && epoch + 1 - bestEpoch >= settings.earlyStoppingPatience;
  // Only the replica that validates can decide; the others follow it.
  return settings.dataParallel === undefined ? stop : anyReplica(settings.dataParallel, stop);
}

/**
 * Trains `model` on `train`. The model keeps the last epoch's weights; the best epoch's weights
 * come back in the result.
 *
 * @throws TrainingDivergedError when a step's loss is NaN or infinite or past its bound
 *   (`DIVERGENCE_FACTOR`), a loss finds NaN scores, or an epoch ends with non-finite weights; the
 *   model then holds the best weights so far (the best epoch on validation among those that
 *   ended finite; without validation the last of them), and the error carries their epoch
 *   (`keptEpoch`) and the history up to the divergence, so a caller can still save them.
 */
export async function trainModel(model: tf.LayersModel, train: Split<Features>, options: TrainerOptions): Promise<TrainResult> {
  return runTraining(model, train, options, undefined);
}

/**
 * `trainModel` as one replica of a data-parallel group: each step computes this replica's share
 * of the batch and the group sums the shares' gradients, losses and counts (dataParallel.ts), and
 * replica 0's early-stopping decision holds for all. For affinity-loss-node's
 * `trainDataParallel`, which makes the group and also shares BatchNorm's statistics and sigma
 * 'auto' across it; a separate function rather than a `trainModel` option so that the public
 * options hold nothing a user should not set (the package entry does not export it).
 *
 * @throws as `trainModel`; AffinityConfigError when a batch cannot give every replica a row.
 */
export async function trainReplica(
  model: tf.LayersModel,
  train: Split<Features>,
  options: TrainerOptions,
  group: DataParallelGroup,
): Promise<TrainResult> {
  return runTraining(model, train, options, group);
}

async function runTraining(model: tf.LayersModel, train: Split<Features>, options: TrainerOptions, group: DataParallelGroup | undefined): Promise<TrainResult> {
  const settings = resolveOptions(options, train, group);
  const lossFunctions = Array.isArray(settings.loss) ? settings.loss : [settings.loss];
  if (lossFunctions.length !== 1 && lossFunctions.length !== model.outputs.length) {
    throw new AffinityConfigError(`the model has ${model.outputs.length} outputs but ${lossFunctions.length} losses were given`);
  }
  if (settings.scoreOutput >= model.outputs.length) {
    throw new AffinityConfigError(`scoreOutput ${settings.scoreOutput} does not exist: the model has ${model.outputs.length} outputs`);
  }
  if (settings.dataParallel !== undefined) {
    checkShardable(train.labels.length, settings.batchSize, settings.dataParallel.replicas);
  }
  const sampler = new ClassAwareSampler({
    labels: train.labels,
    classes: settings.classes,
    mode: settings.sampling,
    batchSize: settings.batchSize,
    seed: settings.seed,
  });
  const optimizer = makeOptimizer({ name: settings.optimizer, learningRate: settings.learningRate, momentum: settings.momentum });
  const trainStep = new TrainingStep({ ...settings, model, optimizer, lossFunctions });
  const lossWatch = new LossWatch();
  const selection = new EpochSelection(model);
  const history: EpochLog[] = [];
  // Every divergence ends the same way: the best finite weights so far back in the model.
  const diverged = (epoch: number, step: number, loss: number, what: string) => {
    const keptEpoch = selection.restore();
    return new TrainingDivergedError(epoch + 1, step, loss, selection.lastFiniteEpoch, what, { keptEpoch, history: [...history] });
  };
  let stoppedEarly = false;
  try {
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      const started = performance.now();
      for (const callback of settings.callbacks) await callback.epochStart?.(epoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let step = 0;
      let rate = settings.learningRate;
      for (const rows of sampler.batches(epoch)) {
        rate = learningRateAt(
          settings.learningRate,
          { epoch, step, stepsPerEpoch: sampler.batchesPerEpoch, epochs: settings.epochs },
          { schedule: settings.schedule, warmupEpochs: settings.warmupEpochs },
        );
        setLearningRate(optimizer, rate);
        let outcome;
        try {
          outcome = trainStep.run(train, rows);
        } catch (error) {
          releaseAbandonedTape();
          // A loss that checks its inputs (the affinity loss) throws for NaN scores: the same
          // divergence as a NaN loss, restored the same way.
          if (!(error instanceof NonFiniteError)) throw error;
          throw diverged(epoch, step + 1, NaN, `a training step failed (${error.message})`);
        }
        step++;
        const divergence = lossWatch.check(outcome.loss);
        if (divergence !== null) throw diverged(epoch, step, outcome.loss, divergence);
        lossSum += outcome.loss;
        correct += outcome.correct;
        seen += rows.length;
        const report: StepReport = {
          epoch: epoch + 1,
          step,
          steps: sampler.batchesPerEpoch,
          loss: outcome.loss,
          meanLoss: lossSum / step,
          accuracy: correct / seen,
          learningRate: rate,
        };
        for (const callback of settings.callbacks) await callback.stepEnd?.(report);
      }
      // A step can leave NaN weights behind a finite loss (the update after the loss was read):
      // such weights are never kept as a snapshot, and validation would only score NaN.
      if (!allFinite(model.getWeights())) throw diverged(epoch, step, lossSum / step, `the weights became non-finite in epoch ${epoch + 1}`);
      const log: EpochLog = {
        epoch: epoch + 1,
        loss: lossSum / step,
        accuracy: correct / seen,
        ...(await validate(model, settings, epoch)),
        learningRate: rate,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(log);
      // Without validation every epoch is "best", so the last one is chosen.
      selection.epochEnded(epoch + 1, settings.validation === undefined ? epoch : log.validationScore);
      for (const callback of settings.callbacks) await callback.epochEnd?.(log);
      if (stopsEarly(settings, epoch, selection.bestEpoch)) {
        stoppedEarly = epoch + 1 < settings.epochs;
        break;
      }
    }
  } catch (error) {
    selection.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  const bestEpoch = selection.bestEpoch;
  return { history, bestEpoch, bestWeights: selection.takeBest(), stoppedEarly };
}
