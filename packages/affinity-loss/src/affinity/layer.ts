/**
 * GaussianAffinity: the differentiable head that replaces the last dense + softmax layer
 * (docs/METHOD.md). It holds the class prototypes and outputs class affinities in (0, 1] (or
 * their logarithms), and it keeps the prior correction its predictions use.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError } from '../errors.js';
import { featuresOf, featureWidth, firstShape, type LayerArgs, type LayerVariable, type Shape } from '../layers.js';
import { requireInteger, requireNonNegative, requirePositive, requireSeed } from '../validate.js';
import { validateCounts } from '../losses/shared.js';
import { affinityScores, type AffinityOutput } from './affinity.js';
import { meanSquaredDistance } from './diagnostics.js';
import { priorCorrectedScores, type PriorCorrection } from './predict.js';
import { DiversityRegularizer, resolveDiversityOptions, type DiversityOptions } from './regularizer.js';

/**
 * The key of the layer's one extension point, for data-parallel training, where each replica
 * holds a shard of every batch: `layer[SHARE_CALIBRATION] = (mean, rows) => wholeBatchMean`
 * turns this replica's mean squared distance on its shard of the first training batch (and the
 * shard's rows) into the whole batch's, so that sigma 'auto' is set from the whole batch, the
 * same on every replica. affinity-loss-node's replicas set it for the length of a run. A symbol
 * rather than a named field: the hook stays out of the layer's public API (a user sees no
 * `shareCalibration` to set), and only code that imports this module's key reaches it; the
 * package entry does not export the key.
 */
export const SHARE_CALIBRATION: unique symbol = Symbol('GaussianAffinity.shareCalibration');

/** Options of the GaussianAffinity layer. */
export interface GaussianAffinityArgs extends LayerArgs {
  /** Number of classes C (>= 2): the width of the output. */
  classes: number;
  /** m, prototypes per class (>= 1). Default 1; the paper's multi-centred variant uses 5. */
  prototypesPerClass?: number;
  /**
   * sigma > 0, the class spread in exp(-||f - w||^2 / sigma). It must match the typical
   * squared distance between features and prototypes, or every affinity is ~0 and nothing
   * trains (docs/METHOD.md: BatchNorm features of width 128 sit at ~150 from fresh prototypes).
   * 'auto': set at the layer's first training call (the first training step) to the mean
   * squared distance between that batch's features and the prototypes, so fresh affinities sit
   * near exp(-1) whatever the scale of the features; the value is then fixed and saved with
   * the model. (An inference call before that uses the same rule without fixing it.)
   */
  sigma: number | 'auto';
  /**
   * The diversity regularizer on the prototypes: true (default) for the paper's form, an
   * options object to change it, false to turn it off.
   */
  diversity?: boolean | DiversityOptions;
  /** Seed for the He-normal prototype initialisation, for reproducible runs. */
  seed?: number;
  /**
   * What the layer outputs. 'affinity' (default): A_ij in (0, 1], for the paper's hinge
   * (`affinityLoss`). 'logAffinity': s_ij = log A_ij = -min_t ||f_i - w_{j,t}||^2 / sigma, the
   * distance-space scores, for cross-entropy (`logitAdjustedLoss` on them is training-time logit
   * adjustment on the Gaussian head); the same ranking without exp's vanishing gradient.
   */
  outputForm?: AffinityOutput;
  /**
   * Training samples per class n_j > 0, one entry per class: the prior pi_j = n_j / sum n that
   * `priorCorrection` divides out at prediction. Saved with the model.
   */
  classCounts?: number[];
  /**
   * tau >= 0, the prior correction at prediction: `classScores` (and so `predictClassIds`,
   * `affinity eval` and the bench) rank classes by log A_ij - tau log pi_j. Default 0 (the plain
   * nearest-prototype rule); needs `classCounts` when > 0. Training is unchanged by it; set it
   * after training with `setPriorCorrection` (`choosePriorCorrection` picks it on validation).
   * Saved with the model, so a loaded model predicts the same.
   */
  priorCorrection?: number;
}

/**
 * The affinity head: input features (N, d), output A (N, C) with
 * A_ij = max_t exp(-||f_i - w_{j,t}||^2 / sigma) (or log A, see `outputForm`). The prototypes w,
 * shape (C, m, d), are
 * He-normal initialised (std sqrt(2 / d)) and carry the diversity regularizer, so
 * `model.fit` with `affinityLoss` optimises the paper's full objective.
 */
export class GaussianAffinity extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = 'GaussianAffinity';
  /** C, the number of classes. */
  readonly classes: number;
  /** m, prototypes per class. */
  readonly prototypesPerClass: number;
  /** The sigma asked for: a number, or 'auto' (see `GaussianAffinityArgs.sigma`). */
  readonly sigmaSetting: number | 'auto';
  /** The regularizer's options, or false when it is off. */
  readonly diversity: Required<DiversityOptions> | false;
  /** Initialisation seed, if any. */
  readonly seed?: number;
  /** What the layer outputs: affinities or log-affinities (see `GaussianAffinityArgs.outputForm`). */
  readonly outputForm: AffinityOutput;
  /** Training samples per class (the prior of `priorCorrection`), if given. */
  readonly classCounts?: number[];
  /** The data-parallel hook of sigma 'auto' (see `SHARE_CALIBRATION`); undefined otherwise. */
  [SHARE_CALIBRATION]?: (mean: number, rows: number) => number;
  private prototypesWeight: LayerVariable | null = null;
  private calibratedSigma: number | undefined;
  private tau = 0;

  constructor(args: GaussianAffinityArgs) {
    if (args === null || typeof args !== 'object') {
      throw new AffinityConfigError('GaussianAffinity needs an options object { classes, sigma, ... }');
    }
    super(args);
    this.classes = requireInteger('classes', args.classes, 2);
    this.prototypesPerClass = requireInteger('prototypesPerClass', args.prototypesPerClass ?? 1, 1);
    if (typeof args.sigma === 'string' && args.sigma !== 'auto') {
      throw new AffinityConfigError(`sigma must be a number > 0 or 'auto', got ${JSON.stringify(args.sigma)}`);
    }
    this.sigmaSetting = args.sigma === 'auto' ? 'auto' : requirePositive('sigma', args.sigma);
    if (this.sigmaSetting !== 'auto') this.calibratedSigma = this.sigmaSetting;
    const diversity = args.diversity ?? true;
    if (typeof diversity !== 'boolean' && (typeof diversity !== 'object' || diversity === null)) {
      throw new AffinityConfigError(`diversity must be true, false or an options object, got ${String(diversity)}`);
    }
    this.diversity = diversity === false ? false : resolveDiversityOptions(diversity === true ? {} : diversity);
    if (args.seed !== undefined) this.seed = requireSeed(args.seed);
    this.outputForm = args.outputForm ?? 'affinity';
    if (this.outputForm !== 'affinity' && this.outputForm !== 'logAffinity') {
      throw new AffinityConfigError(`outputForm must be 'affinity' or 'logAffinity', got ${JSON.stringify(args.outputForm)}`);
    }
    if (args.classCounts !== undefined) {
      this.classCounts = validateCounts(args.classCounts, 'classCounts');
      if (this.classCounts.length !== this.classes) {
        throw new AffinityConfigError(`classCounts must have one entry per class (${this.classes}), got ${this.classCounts.length}`);
      }
    }
    this.setPriorCorrection(args.priorCorrection ?? 0);
  }

  /** tau, the prior correction of `classScores` (0: none). */
  get priorCorrection(): number {
    return this.tau;
  }

  /**
   * Sets tau, the prior correction at prediction (see `GaussianAffinityArgs.priorCorrection`).
   *
   * @throws AffinityConfigError for tau < 0, or tau > 0 on a layer without `classCounts`.
   */
  setPriorCorrection(tau: number): void {
    requireNonNegative('priorCorrection', tau);
    if (tau > 0 && this.classCounts === undefined) {
      throw new AffinityConfigError('priorCorrection > 0 needs classCounts (the training samples per class) to know the prior');
    }
    this.tau = tau;
  }

  /**
   * The scores predictions rank classes by, from this layer's output: the output itself without
   * a prior correction, else log A - tau log pi. The caller disposes the result.
   */
  classScores(output: tf.Tensor): tf.Tensor {
    if (this.tau === 0) return output.clone();
    return priorCorrectedScores(output, this.priorCorrectionSettings as PriorCorrection);
  }

  /** The prior correction as `predictClasses` takes it; undefined without `classCounts`. */
  get priorCorrectionSettings(): PriorCorrection | undefined {
    return this.classCounts === undefined ? undefined : { classCounts: this.classCounts, tau: this.tau, outputForm: this.outputForm };
  }

  /**
   * sigma, the class spread in use. With sigma 'auto' it exists from the layer's first training
   * call on; before, this throws.
   */
  get sigma(): number {
    if (this.calibratedSigma === undefined) {
      throw new AffinityConfigError("GaussianAffinity's sigma 'auto' is set at the layer's first training call; none happened yet");
    }
    return this.calibratedSigma;
  }

  /** True once sigma is a number (given, or set by 'auto' at the first call). */
  get sigmaKnown(): boolean {
    return this.calibratedSigma !== undefined;
  }

  /** The prototype weight w, shape (C, m, d). Throws before the layer is built. */
  get prototypes(): LayerVariable {
    if (this.prototypesWeight === null) {
      throw new AffinityConfigError('GaussianAffinity has no prototypes until it is built (call it on an input first)');
    }
    return this.prototypesWeight;
  }

  override build(inputShape: Shape | Shape[]): void {
    const featureDim = featureWidth(inputShape, 'GaussianAffinity');
    // Untruncated, as PyTorch's kaiming_normal_: a truncated normal would shrink the std by 12%.
    const initializer = tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / featureDim), seed: this.seed });
    const regularizer = this.diversity === false ? undefined : new DiversityRegularizer(this.diversity);
    this.prototypesWeight = this.addWeight(
      'prototypes',
      [this.classes, this.prototypesPerClass, featureDim],
      'float32',
      initializer,
      regularizer,
      true,
    );
    this.inputSpec = [{ ndim: 2, axes: { [-1]: featureDim } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [firstShape(inputShape)[0], this.classes];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    return tf.tidy(() => {
      const features = featuresOf(inputs, 'GaussianAffinity');
      const prototypes = this.prototypes.read() as tf.Tensor3D;
      let sigma = this.calibratedSigma;
      if (sigma === undefined) {
        sigma = meanSquaredDistance(features, prototypes);
        // Only a training call fixes it: an inference call before training sees BatchNorm's
        // initial statistics, not the features training will see.
        if (kwargs.training === true) {
          const share = this[SHARE_CALIBRATION];
          if (share !== undefined) sigma = share(sigma, features.shape[0]);
          this.calibratedSigma = sigma;
        }
      }
      // A training step's NaN shows up in its loss, which the trainer reads anyway; a prediction
      // has no such check, so inference calls read one flag for it.
      return affinityScores(features, prototypes, sigma, this.outputForm, kwargs.training !== true);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      classes: this.classes,
      prototypesPerClass: this.prototypesPerClass,
      // A calibrated 'auto' is saved as its value: a loaded model must score as it was trained.
      sigma: this.calibratedSigma ?? 'auto',
      diversity: this.diversity === false ? false : { ...this.diversity },
    };
    if (this.seed !== undefined) config.seed = this.seed;
    if (this.outputForm !== 'affinity') config.outputForm = this.outputForm;
    if (this.classCounts !== undefined) config.classCounts = [...this.classCounts];
    if (this.tau !== 0) config.priorCorrection = this.tau;
    return { ...config, ...super.getConfig() };
  }
}
tf.serialization.registerClass(GaussianAffinity);
