/**
 * GaussianAffinity: the differentiable head that replaces the last dense + softmax layer
 * (docs/METHOD.md). It holds the class prototypes and outputs class affinities in (0, 1].
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError } from '../errors.js';
import { featuresOf, featureWidth, firstShape, type LayerArgs, type LayerVariable, type Shape } from '../layers.js';
import { requireInteger, requirePositive, requireSeed } from '../validate.js';
import { gaussianAffinity } from './affinity.js';
import { DiversityRegularizer, resolveDiversityOptions, type DiversityOptions } from './regularizer.js';


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
   */
  sigma: number;
  /**
   * The diversity regularizer on the prototypes: true (default) for the paper's form, an
   * options object to change it, false to turn it off.
   */
  diversity?: boolean | DiversityOptions;
  /** Seed for the He-normal prototype initialisation, for reproducible runs. */
  seed?: number;
}

/**
 * The affinity head: input features (N, d), output A (N, C) with
 * A_ij = max_t exp(-||f_i - w_{j,t}||^2 / sigma). The prototypes w, shape (C, m, d), are
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
  /** sigma, the class spread. */
  readonly sigma: number;
  /** The regularizer's options, or false when it is off. */
  readonly diversity: Required<DiversityOptions> | false;
  /** Initialisation seed, if any. */
  readonly seed?: number;
  private prototypesWeight: LayerVariable | null = null;

  constructor(args: GaussianAffinityArgs) {
    if (args === null || typeof args !== 'object') {
      throw new AffinityConfigError('GaussianAffinity needs an options object { classes, sigma, ... }');
    }
    super(args);
    this.classes = requireInteger('classes', args.classes, 2);
    this.prototypesPerClass = requireInteger('prototypesPerClass', args.prototypesPerClass ?? 1, 1);
    this.sigma = requirePositive('sigma', args.sigma);
    const diversity = args.diversity ?? true;
    if (typeof diversity !== 'boolean' && (typeof diversity !== 'object' || diversity === null)) {
      throw new AffinityConfigError(`diversity must be true, false or an options object, got ${String(diversity)}`);
    }
    this.diversity = diversity === false ? false : resolveDiversityOptions(diversity === true ? {} : diversity);
    if (args.seed !== undefined) this.seed = requireSeed(args.seed);
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

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const features = featuresOf(inputs, 'GaussianAffinity');
      return gaussianAffinity(features, this.prototypes.read() as tf.Tensor3D, this.sigma);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      classes: this.classes,
      prototypesPerClass: this.prototypesPerClass,
      sigma: this.sigma,
      diversity: this.diversity === false ? false : { ...this.diversity },
    };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}
tf.serialization.registerClass(GaussianAffinity);
