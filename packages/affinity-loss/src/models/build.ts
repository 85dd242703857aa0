/**
 * Backbone + BatchNorm + head + loss for a method name: everything the trainer needs to train
 * one of the compared methods, and the feature model the plots and the verification read.
 */
import * as tf from '@tensorflow/tfjs';
import { GaussianAffinity } from '../affinity/layer.js';
import { affinityLoss } from '../affinity/loss.js';
import { deriveSeed } from '../data/rng.js';
import { SEED_STREAMS } from '../data/seedStreams.js';
import { AffinityConfigError } from '../errors.js';
import { balancedSoftmaxLoss } from '../losses/balancedSoftmax.js';
import { CenterLossHead, centerLoss } from '../losses/centerLoss.js';
import { classBalancedLoss } from '../losses/classBalanced.js';
import { CosineHead } from '../losses/cosineHead.js';
import { crossEntropyLoss } from '../losses/crossEntropy.js';
import { DeferredReweighting } from '../losses/drw.js';
import { focalLoss } from '../losses/focal.js';
import { ldamLoss } from '../losses/ldam.js';
import { logitAdjustedLoss } from '../losses/logitAdjusted.js';
import type { LossFunction } from '../losses/shared.js';
import { weightedCrossEntropyLoss } from '../losses/weightedCrossEntropy.js';
import { requireInteger, requireNonNegative, requireOneOf, requireOptions, requirePositive, requireSeed } from '../validate.js';
import { BACKBONE_NAMES, BACKBONES, BATCHNORM_MOMENTUM, needsImages, type BackboneName } from './backbones.js';
import { METHODS, requireMethodName, type AffinityMethod, type MethodName } from './methods.js';

/** The affinity head's sigma when none is given: see `defaultSigma`. */
export function defaultSigma(featureWidth: number): number {
  // BatchNorm features have unit variance per dimension, so E||f||^2 = d; He-normal prototypes
  // have variance 2/d per dimension, so E||w||^2 = 2. Hence E||f - w||^2 = d + 2: sigma of that
  // size keeps fresh affinities near exp(-1) instead of exp(-150/10) = 3e-7 (METHOD.md).
  return featureWidth + 2;
}

/** The head settings: each applies to some methods only (see `headDefaults`). */
export const HEAD_SETTING_NAMES = ['sigma', 'margin', 'prototypesPerClass', 'diversityWeight', 'classMargins', 'priorCorrection', 'centerWeight'] as const;

/** One of `HEAD_SETTING_NAMES`. */
export type HeadSettingName = (typeof HEAD_SETTING_NAMES)[number];

/** Values of head settings, as `ClassifierOptions` takes them. */
export type HeadSettings = Partial<Pick<ClassifierOptions, HeadSettingName>>;

/**
 * The default of every head setting `method` has, and only those: what `buildClassifier` uses
 * for an option left out, and what an experiment records as resolved. The affinity heads have
 * sigma, prototypes, the diversity weight and the prior correction (the hinge form also the
 * margin and class margins); center loss its weight; the other heads none.
 */
export function headDefaults(method: MethodName | string, featureWidth: number): HeadSettings {
  const spec = METHODS[requireMethodName(method)];
  if (spec.head === 'center') return { centerWeight: CENTER_WEIGHT };
  if (spec.affinity === undefined) return {};
  const { margin, classMargins, ...rest } = affinityDefaults(spec.affinity, featureWidth);
  return spec.affinity.lossForm === 'hinge' ? { ...rest, margin, classMargins } : rest;
}

// Center loss's weight of the centre term when none is given.
const CENTER_WEIGHT = 0.01;

/** An affinity method's head settings when none is given (the margin ones used by the hinge form only). */
function affinityDefaults(own: AffinityMethod, featureWidth: number) {
  return {
    sigma: defaultSigma(featureWidth),
    margin: 0.3,
    prototypesPerClass: own.prototypesPerClass,
    diversityWeight: 1,
    classMargins: own.classMargins,
    priorCorrection: own.priorCorrection,
  };
}

/** A hook run before each epoch (0-based); the trainer's `TrainingCallback` has this shape. */
export interface EpochStartHook {
  epochStart(epoch: number): void;
}

/** Options of `buildClassifier`. */
export interface ClassifierOptions {
  /** Method name (`softmax`, `affinity`, `ldam-drw`, ...; see METHOD_NAMES). */
  method: MethodName | string;
  /** Backbone name. Default 'mlp'. */
  backbone?: BackboneName;
  /** Shape of one input sample, e.g. [784] or [28, 28, 1]. */
  inputShape: number[];
  /** Number of classes C. */
  classes: number;
  /** Training samples per class (the losses that re-weight or shift by class need them). */
  classCounts: number[];
  /** Width d of the features the head sees. Default 128. */
  featureWidth?: number;
  /** Epochs the model will train (DRW switches on for the last 20%). */
  epochs: number;
  /** Seed of every initializer. */
  seed: number;
  /**
   * Affinity head: sigma > 0, or 'auto' (set from the first training batch, see
   * `GaussianAffinity`). Default `defaultSigma(featureWidth)`.
   */
  sigma?: number | 'auto';
  /** Affinity head (hinge form): the margin lambda in (0, 1]. Default 0.3. */
  margin?: number;
  /** Affinity head: prototypes per class; overrides the method's own (1, or 5 for affinity-m5). */
  prototypesPerClass?: number;
  /**
   * Affinity head (hinge form): margins in the LDAM form from `classCounts`, margin_y =
   * margin (n_min / n_y)^(1/4); overrides the method's own (on for affinity-lt).
   */
  classMargins?: boolean;
  /**
   * Affinity head: tau of the prior correction at prediction (log A - tau log pi), or 'auto' to
   * leave it at 0 for the caller to choose on validation (`PriorCorrectionSelector`, `choosePriorCorrection`);
   * overrides the method's own (0 for the paper's heads, 'auto' for affinity-lt and affinity-ce).
   */
  priorCorrection?: number | 'auto';
  /**
   * Affinity head: the weight of the diversity regularizer on the prototypes; 0 turns it off.
   * Default 1, the paper's (which, in 2-D, pulls the prototypes together: README, Figure 1).
   */
  diversityWeight?: number;
  /** Center loss: the weight beta of the centre term. Default 0.01. */
  centerWeight?: number;
}

/** A model ready for `trainModel`, with what training and reporting need besides. */
export interface Classifier {
  /** The method it was built for. */
  method: MethodName;
  /** Input -> class scores (logits or affinities); the center-loss model has a second output. */
  model: tf.LayersModel;
  /** Input -> the features the head sees (after the BatchNorm before the head). */
  featureModel: tf.LayersModel;
  /** The loss for `trainModel` (one per output for center loss). */
  loss: LossFunction | LossFunction[];
  /**
   * Hooks the method needs during training (DRW's schedule), in the trainer's callback shape
   * (`epochStart` gets the 0-based epoch).
   */
  callbacks: EpochStartHook[];
  /** The head's settings as used (sigma, margin, prototypes, ...), for the run's config file. */
  headSettings: Record<string, number | boolean | string>;
  /**
   * The head's anchors in feature space, one row per anchor with its class: affinity prototypes
   * or center-loss centres; an empty list for heads without anchors.
   */
  anchors(): { classId: number; point: number[] }[];
  /** The affinity layer, for the affinity methods (its prototypes and sigma); undefined otherwise. */
  affinityHead?: GaussianAffinity;
  /** Frees what the classifier holds besides the model (DRW's weight variable) and the model. */
  dispose(): void;
}

/**
 * Builds backbone, BatchNorm and the method's head, with its loss and callbacks.
 *
 * @throws AffinityConfigError for bad options, and for sizes whose weights cannot be allocated
 *   (`featureWidth: 1e9`), naming the sizes rather than failing deep inside tfjs.
 */
export function buildClassifier(options: ClassifierOptions): Classifier {
  requireOptions('buildClassifier', options, '{ method, inputShape, classes, classCounts, epochs, seed, ... }');
  try {
    return buildChecked(options);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const sizes = `input [${options.inputShape.join(', ')}], featureWidth ${options.featureWidth ?? 128}, ${options.classes} classes` +
      (options.prototypesPerClass === undefined ? '' : `, ${options.prototypesPerClass} prototypes per class`);
    throw new AffinityConfigError(`the model's weights are too large to allocate (${sizes}): ${error.message}`);
  }
}

function buildChecked(options: ClassifierOptions): Classifier {
  const method = requireMethodName(options.method);
  const backbone = requireOneOf('backbone', options.backbone ?? 'mlp', BACKBONE_NAMES);
  const classes = requireInteger('classes', options.classes, 2);
  const featureWidth = requireInteger('featureWidth', options.featureWidth ?? 128, 1);
  const epochs = requireInteger('epochs', options.epochs, 1);
  const seed = requireSeed(options.seed);
  if (!Array.isArray(options.classCounts) || options.classCounts.length !== classes) {
    throw new AffinityConfigError(`classCounts must list ${classes} per-class training counts, got ${String(options.classCounts)}`);
  }
  const inputShape = options.inputShape;
  if (needsImages(backbone) && inputShape.length !== 3) {
    throw new AffinityConfigError(`backbone '${backbone}' needs image inputs (height, width, channels), got [${inputShape.join(', ')}]`);
  }
  const input = tf.input({ shape: inputShape });
  const raw = BACKBONES[backbone](input, { featureWidth, seed: deriveSeed(seed, SEED_STREAMS.backbone) });
  const features = tf.layers.batchNormalization({ momentum: BATCHNORM_MOMENTUM, name: 'head_batchnorm' }).apply(raw) as tf.SymbolicTensor;
  const headSeed = deriveSeed(seed, SEED_STREAMS.head);
  const counts = options.classCounts;
  const callbacks: EpochStartHook[] = [];
  const disposables: { dispose(): void }[] = [];
  let outputs: tf.SymbolicTensor | tf.SymbolicTensor[];
  let loss: LossFunction | LossFunction[];
  let headSettings: Record<string, number | boolean | string> = {};
  let anchors = (): { classId: number; point: number[] }[] => [];
  let affinityHead: GaussianAffinity | undefined;

  switch (METHODS[method].head) {
    case 'softmax': {
      outputs = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: headSeed }), name: 'logits' }).apply(features) as tf.SymbolicTensor;
      loss = softmaxFamilyLoss(method, counts);
      break;
    }
    case 'cosine': {
      outputs = new CosineHead({ classes, seed: headSeed, name: 'cosine_logits' }).apply(features) as tf.SymbolicTensor;
      if (method === 'ldam-drw') {
        const startEpoch = Math.floor(0.8 * epochs);
        const drw = new DeferredReweighting({ counts, startEpoch });
        callbacks.push({ epochStart: (epoch) => drw.setEpoch(epoch) });
        disposables.push(drw);
        loss = ldamLoss({ counts, classWeights: drw.weights, reduction: 'weightedMean' });
        headSettings = { drwStartEpoch: startEpoch + 1 };
      } else {
        loss = ldamLoss({ counts });
      }
      break;
    }
    case 'center': {
      const weight = requirePositive('centerWeight', options.centerWeight ?? CENTER_WEIGHT);
      const head = new CenterLossHead({ classes, seed: headSeed, name: 'center_head' });
      outputs = head.apply(features) as tf.SymbolicTensor[];
      loss = [crossEntropyLoss(), centerLoss({ weight })];
      headSettings = { centerWeight: weight };
      anchors = () => rowsOf(head.centers.read(), (row) => row);
      break;
    }
    case 'affinity': {
      const own = METHODS[method].affinity!;
      const defaults = affinityDefaults(own, featureWidth);
      if (own.lossForm !== 'hinge' && (options.classMargins || options.margin !== undefined)) {
        throw new AffinityConfigError(`margin and classMargins apply to the hinge; ${method} trains with cross-entropy, whose prior shift is its log pi`);
      }
      const sigma = options.sigma === 'auto' ? 'auto' : requirePositive('sigma', options.sigma ?? defaults.sigma);
      const margin = options.margin ?? defaults.margin;
      const prototypesPerClass = requireInteger('prototypesPerClass', options.prototypesPerClass ?? defaults.prototypesPerClass, 1);
      const diversityWeight = requireNonNegative('diversityWeight', options.diversityWeight ?? defaults.diversityWeight);
      const diversity = diversityWeight === 0 ? false : { weight: diversityWeight };
      const classMargins = options.classMargins ?? defaults.classMargins;
      const priorCorrection = options.priorCorrection ?? defaults.priorCorrection;
      // The loss first: it checks the margin before the layer makes any weight. The cross-entropy
      // form adds log pi to the distance-space scores: logit adjustment on the Gaussian head.
      loss =
        own.lossForm === 'hinge'
          ? affinityLoss({ margin, ...(classMargins ? { classCounts: counts } : {}) })
          : logitAdjustedLoss({ counts, tau: 1 });
      const head = new GaussianAffinity({
        classes,
        prototypesPerClass,
        sigma,
        diversity,
        seed: headSeed,
        name: 'affinity',
        outputForm: own.lossForm === 'hinge' ? 'affinity' : 'logAffinity',
        classCounts: counts,
        priorCorrection: priorCorrection === 'auto' ? 0 : requireNonNegative('priorCorrection', priorCorrection),
      });
      outputs = head.apply(features) as tf.SymbolicTensor;
      headSettings = {
        sigma,
        ...(own.lossForm === 'hinge' ? { margin, classMargins } : {}),
        lossForm: own.lossForm,
        prototypesPerClass,
        diversityWeight,
        priorCorrection,
      };
      if (sigma === 'auto') {
        // An 'auto' sigma is known after the first training step: report the value then.
        Object.defineProperty(headSettings, 'sigma', { enumerable: true, get: () => (head.sigmaKnown ? head.sigma : 'auto') });
      }
      anchors = () => rowsOf(head.prototypes.read(), (row) => Math.floor(row / prototypesPerClass));
      affinityHead = head;
      break;
    }
  }
  const model = tf.model({ inputs: input, outputs, name: `${backbone}_${method}` });
  const featureModel = tf.model({ inputs: input, outputs: features, name: `${backbone}_features` });
  return {
    method,
    model,
    featureModel,
    loss,
    callbacks,
    headSettings,
    anchors,
    affinityHead,
    dispose() {
      for (const item of disposables) item.dispose();
      model.dispose();
    },
  };
}

/** The loss of a method with a plain dense head. */
function softmaxFamilyLoss(method: MethodName, counts: number[]): LossFunction {
  switch (method) {
    case 'softmax':
      return crossEntropyLoss();
    case 'weighted-ce':
      return weightedCrossEntropyLoss({ counts });
    case 'focal':
      return focalLoss({ gamma: 2 });
    case 'class-balanced':
      return classBalancedLoss({ counts, beta: 0.9999 });
    case 'balanced-softmax':
      return balancedSoftmaxLoss({ counts });
    case 'logit-adjusted':
      return logitAdjustedLoss({ counts, tau: 1 });
    default:
      // A method added to METHODS with a dense head but no loss here must not train as softmax.
      throw new AffinityConfigError(`method ${method} has a dense head but no loss in softmaxFamilyLoss`);
  }
}

/** The rows of a (K, ..., d) weight as plain arrays of length d, each with its class id. */
function rowsOf(weight: tf.Tensor, classOf: (row: number) => number): { classId: number; point: number[] }[] {
  const width = weight.shape[weight.rank - 1];
  const values = weight.dataSync();
  const rows: { classId: number; point: number[] }[] = [];
  for (let row = 0; row * width < values.length; row++) {
    rows.push({ classId: classOf(row), point: Array.from(values.subarray(row * width, (row + 1) * width)) });
  }
  return rows;
}
