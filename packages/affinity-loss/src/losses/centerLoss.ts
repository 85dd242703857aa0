/**
 * Center loss (Wen et al., ECCV 2016), the "clustering + softmax" head of the paper's Figure 1:
 *   L = CE(z_i) + (beta / 2) * ||f_i - c_{y_i}||^2,   z = f W + b,
 * with one learned centre c_j per class pulling the features of class j together.
 *
 * How it fits `model.compile`: a tfjs loss sees only (labels, output), and a layer never sees the
 * labels, yet the centre term needs both the features and the label. So `CenterLossHead` has two
 * outputs, the logits and the squared distances D_ij = ||f_i - c_j||^2 to every centre, both of
 * shape (N, C) like the labels. `centerLoss` picks D_{i,y_i} with the one-hot label mask. The model
 * is fitted with the same plain one-hot labels given to both outputs:
 *
 * ```ts
 * const [logits, distances] = new CenterLossHead({ classes: 10 }).apply(features) as tf.SymbolicTensor[];
 * const model = tf.model({ inputs: input, outputs: [logits, distances] });
 * model.compile({ optimizer: 'adam', loss: [crossEntropyLoss(), centerLoss({ weight: 0.01 })] });
 * await model.fit(x, [yOneHot, yOneHot], { epochs: 10 });
 * const [scores] = model.predict(x) as tf.Tensor[];   // argmax of the logits = class
 * ```
 *
 * Rejected alternatives: `Layer.addLoss` (no labels there), a second label input (labels needed
 * at prediction time), logits and features concatenated into one output (labels would need a
 * dummy column, the bug docs/METHOD.md lists for the affinity ports).
 *
 * How the centres learn: by the gradient of this loss, like most Keras/tfjs ports, so any
 * optimizer updates them together with the network. The gradient of the batch mean is
 * dL/dc_j = (beta / N) * sum_{i: y_i = j} (c_j - f_i). Wen's own rule instead moves c_j by
 * alpha * sum_{i: y_i = j} (c_j - f_i) / (1 + n_j^batch), a step independent of the batch size
 * and of how often class j appears; with the gradient, rarely seen classes' centres move more
 * slowly. Centres start at 0.
 */
import * as tf from '@tensorflow/tfjs';
import { squaredDistances } from '../affinity/distance.js';
import { AffinityConfigError } from '../errors.js';
import { featuresOf, featureWidth, firstShape, type LayerArgs, type LayerVariable, type Shape } from '../layers.js';
import { requireInteger, requireNonNegative, requireOptions, requireSeed } from '../validate.js';
import { named, prepare, type LossFunction } from './shared.js';

/** Options of `centerLoss`. */
export interface CenterLossOptions {
  /**
   * beta >= 0, the weight of the centre term (lambda in Wen et al.); the loss is
   * (beta / 2) * mean_i ||f_i - c_{y_i}||^2. Wen et al. use values from 0.001 to 0.1.
   */
  weight: number;
}

/**
 * The centre term for the second output of `CenterLossHead`:
 * (beta / 2) * mean_i sum_j y_ij D_ij = (beta / 2) * mean_i ||f_i - c_{y_i}||^2.
 *
 * yPred are the squared distances D (N, C) to the class centres, not logits.
 */
export function centerLoss(options: CenterLossOptions): LossFunction {
  requireOptions('centerLoss', options, '{ weight }');
  const weight = requireNonNegative('weight', options.weight);
  return named('centerLoss', (yTrue, yPred) =>
    tf.tidy(() => {
      const { scores: distances, target } = prepare('centerLoss', yTrue, yPred);
      return tf.mul(tf.mean(tf.sum(tf.mul(target, distances), 1)), weight / 2) as tf.Scalar;
    }),
  );
}

/** Options of the CenterLossHead layer. */
export interface CenterLossHeadArgs extends LayerArgs {
  /** Number of classes C (>= 2): the width of both outputs. */
  classes: number;
  /** Whether the softmax part has a bias b. Default true. */
  useBias?: boolean;
  /** Seed of the Glorot-uniform kernel initialisation, for reproducible runs. */
  seed?: number;
}

/**
 * The center-loss head: input features f (N, d); outputs [logits f W + b, squared distances
 * ||f_i - c_j||^2], both (N, C). Train the first with `crossEntropyLoss()` and the second with
 * `centerLoss({ weight })`; see the file comment for the whole recipe.
 */
export class CenterLossHead extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = 'CenterLossHead';
  /** C, the number of classes. */
  readonly classes: number;
  /** Whether the logits have a bias. */
  readonly useBias: boolean;
  /** Initialisation seed, if any. */
  readonly seed?: number;
  private kernelWeight: LayerVariable | null = null;
  private biasWeight: LayerVariable | null = null;
  private centersWeight: LayerVariable | null = null;

  constructor(args: CenterLossHeadArgs) {
    super(requireOptions('CenterLossHead', args, '{ classes, useBias?, seed?, ... }'));
    this.classes = requireInteger('classes', args.classes, 2);
    const useBias = args.useBias ?? true;
    if (typeof useBias !== 'boolean') {
      throw new AffinityConfigError(`useBias must be a boolean, got ${String(useBias)}`);
    }
    this.useBias = useBias;
    if (args.seed !== undefined) this.seed = requireSeed(args.seed);
  }

  /** The softmax kernel W, shape (d, C). Throws before the layer is built. */
  get kernel(): LayerVariable {
    if (this.kernelWeight === null) {
      throw new AffinityConfigError('CenterLossHead has no kernel until it is built (call it on an input first)');
    }
    return this.kernelWeight;
  }

  /** The softmax bias b, shape (C), or null when `useBias` is false. */
  get bias(): LayerVariable | null {
    return this.biasWeight;
  }

  /** The class centres c, shape (C, d). Throws before the layer is built. */
  get centers(): LayerVariable {
    if (this.centersWeight === null) {
      throw new AffinityConfigError('CenterLossHead has no centres until it is built (call it on an input first)');
    }
    return this.centersWeight;
  }

  override build(inputShape: Shape | Shape[]): void {
    const featureDim = featureWidth(inputShape, 'CenterLossHead');
    const glorot = tf.initializers.glorotUniform({ seed: this.seed });
    this.kernelWeight = this.addWeight('kernel', [featureDim, this.classes], 'float32', glorot, undefined, true);
    if (this.useBias) {
      this.biasWeight = this.addWeight('bias', [this.classes], 'float32', tf.initializers.zeros(), undefined, true);
    }
    this.centersWeight = this.addWeight('centers', [this.classes, featureDim], 'float32', tf.initializers.zeros(), undefined, true);
    this.inputSpec = [{ ndim: 2, axes: { [-1]: featureDim } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const batch = firstShape(inputShape)[0];
    return [
      [batch, this.classes],
      [batch, this.classes],
    ];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const features = featuresOf(inputs, 'CenterLossHead');
      const product = tf.matMul(features, this.kernel.read() as tf.Tensor2D);
      const logits = this.biasWeight === null ? product : tf.add(product, this.biasWeight.read());
      return [logits, squaredDistances(features, this.centers.read() as tf.Tensor2D)];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { classes: this.classes, useBias: this.useBias };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}
tf.serialization.registerClass(CenterLossHead);
