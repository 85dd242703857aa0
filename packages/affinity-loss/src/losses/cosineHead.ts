/**
 * CosineHead: the normalised dense layer LDAM needs (`NormedLinear` in Cao et al.'s code).
 *   z_ij = (f_i / ||f_i||) . (w_j / ||w_j||) = cos(f_i, w_j)   in [-1, 1]
 * Bounded logits make a fixed margin (~0.5) and a fixed scale s meaningful: a plain dense layer
 * could grow its logits until any margin is negligible.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, ShapeError } from '../errors.js';
import { featuresOf, featureWidth, firstShape, type LayerArgs, type LayerVariable, type Shape } from '../layers.js';
import { requireInteger, requireOptions, requireSeed } from '../validate.js';

/** Options of the CosineHead layer. */
export interface CosineHeadArgs extends LayerArgs {
  /** Number of classes C (>= 2): the width of the output. */
  classes: number;
  /** Seed of the Glorot-uniform kernel initialisation, for reproducible runs. */
  seed?: number;
}

/**
 * x / ||x|| along `axis`. The squared norm is floored at 1e-24 (norm 1e-12, as PyTorch's
 * F.normalize) so a zero vector maps to 0 instead of 0/0 = NaN, value and gradient alike.
 */
export function l2Normalize(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-24))));
}

/**
 * Cosine logits: the cosine similarity of every feature row (N, d) with every kernel column
 * (d, C), a (N, C) tensor in [-1, 1].
 */
export function cosineLogits(features: tf.Tensor2D, kernel: tf.Tensor2D): tf.Tensor2D {
  if (features.rank !== 2 || kernel.rank !== 2 || features.shape[1] !== kernel.shape[0]) {
    throw new ShapeError(`cosineLogits needs features (N, d) and kernel (d, C), got (${features.shape}) and (${kernel.shape})`);
  }
  return tf.tidy(() => tf.matMul(l2Normalize(features, 1) as tf.Tensor2D, l2Normalize(kernel, 0) as tf.Tensor2D));
}

/**
 * The cosine head: input features (N, d), output cos(f_i, w_j), shape (N, C). Use it as the last
 * layer with `ldamLoss` (which applies the margins and the scale s); predict with the argmax of
 * its output.
 */
export class CosineHead extends tf.layers.Layer {
  /** Name under which the class is registered for serialization. */
  static className = 'CosineHead';
  /** C, the number of classes. */
  readonly classes: number;
  /** Initialisation seed, if any. */
  readonly seed?: number;
  private kernelWeight: LayerVariable | null = null;

  constructor(args: CosineHeadArgs) {
    super(requireOptions('CosineHead', args, '{ classes, seed?, ... }'));
    this.classes = requireInteger('classes', args.classes, 2);
    if (args.seed !== undefined) this.seed = requireSeed(args.seed);
  }

  /** The class weight vectors w as columns of a (d, C) kernel. Throws before the layer is built. */
  get kernel(): LayerVariable {
    if (this.kernelWeight === null) {
      throw new AffinityConfigError('CosineHead has no kernel until it is built (call it on an input first)');
    }
    return this.kernelWeight;
  }

  override build(inputShape: Shape | Shape[]): void {
    const featureDim = featureWidth(inputShape, 'CosineHead');
    this.kernelWeight = this.addWeight(
      'kernel',
      [featureDim, this.classes],
      'float32',
      tf.initializers.glorotUniform({ seed: this.seed }),
      undefined,
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
      const features = featuresOf(inputs, 'CosineHead');
      return cosineLogits(features, this.kernel.read() as tf.Tensor2D);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = { classes: this.classes };
    if (this.seed !== undefined) config.seed = this.seed;
    return { ...config, ...super.getConfig() };
  }
}
tf.serialization.registerClass(CosineHead);
