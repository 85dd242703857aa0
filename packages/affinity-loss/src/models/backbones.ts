/**
 * The backbones the CLI trains: from an input to a feature vector of a chosen width. Each takes
 * a seed and seeds every initializer from it, so the same seed builds the same network.
 *
 * - `mlp`: dense 256 (ReLU), then the feature layer (784-256-d; METHOD.md's independent check).
 * - `cnn`: the small CNN of the speed measurements: conv3x3 32 - maxpool 2 - conv3x3 64 -
 *   maxpool 2 - the feature layer.
 * - `cnn3`: the public re-implementation's 3-block CNN: (conv3x3 - BatchNorm - ReLU - maxpool 2)
 *   with 32 and 64 channels, conv3x3 128 - BatchNorm - ReLU, global average pooling, then the
 *   feature layer.
 *
 * The feature layer is dense with ReLU, except for widths <= 3 (the Figure 1 plots), where it is
 * linear so the features can point in every direction of the plane.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../data/rng.js';

/** Backbone names the CLI takes. */
export const BACKBONE_NAMES = ['mlp', 'cnn', 'cnn3'] as const;

/** One of `BACKBONE_NAMES`. */
export type BackboneName = (typeof BACKBONE_NAMES)[number];

/** What a backbone needs to know. */
export interface BackboneOptions {
  /** Width d of the feature vector the head sees. */
  featureWidth: number;
  /** Seed of every initializer. */
  seed: number;
}

type Backbone = (input: tf.SymbolicTensor, options: BackboneOptions) => tf.SymbolicTensor;

/**
 * Moving-average momentum of every BatchNorm layer, in the Keras convention (weight of the old
 * statistics): 0.9 is PyTorch's default (its momentum 0.1). Keras' 0.99 leaves the inference
 * statistics near their initial values for the first few hundred steps, so short runs scored
 * far below their training accuracy.
 */
export const BATCHNORM_MOMENTUM = 0.9;

/** He-normal with a seed derived from the backbone's seed and the layer's position. */
function heNormal(seed: number, layer: number): ReturnType<typeof tf.initializers.heNormal> {
  return tf.initializers.heNormal({ seed: deriveSeed(seed, layer) });
}

function featureLayer(input: tf.SymbolicTensor, options: BackboneOptions, layer: number): tf.SymbolicTensor {
  return tf.layers
    .dense({
      units: options.featureWidth,
      activation: options.featureWidth <= 3 ? 'linear' : 'relu',
      kernelInitializer: heNormal(options.seed, layer),
      name: 'features',
    })
    .apply(input) as tf.SymbolicTensor;
}

/** Flattens image inputs; leaves vectors as they are. */
function flat(input: tf.SymbolicTensor): tf.SymbolicTensor {
  return input.shape.length > 2 ? (tf.layers.flatten().apply(input) as tf.SymbolicTensor) : input;
}

const mlp: Backbone = (input, options) => {
  const hidden = tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: heNormal(options.seed, 1) }).apply(flat(input));
  return featureLayer(hidden as tf.SymbolicTensor, options, 2);
};

function conv(input: tf.SymbolicTensor, filters: number, seed: number, layer: number, activation: 'relu' | 'linear'): tf.SymbolicTensor {
  return tf.layers
    .conv2d({ filters, kernelSize: 3, padding: 'same', activation, kernelInitializer: heNormal(seed, layer) })
    .apply(input) as tf.SymbolicTensor;
}

function maxPool(input: tf.SymbolicTensor): tf.SymbolicTensor {
  return tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }).apply(input) as tf.SymbolicTensor;
}

const cnn: Backbone = (input, options) => {
  let x = maxPool(conv(input, 32, options.seed, 1, 'relu'));
  x = maxPool(conv(x, 64, options.seed, 2, 'relu'));
  return featureLayer(tf.layers.flatten().apply(x) as tf.SymbolicTensor, options, 3);
};

function convBnRelu(input: tf.SymbolicTensor, filters: number, seed: number, layer: number): tf.SymbolicTensor {
  const normalized = tf.layers.batchNormalization({ momentum: BATCHNORM_MOMENTUM }).apply(conv(input, filters, seed, layer, 'linear'));
  return tf.layers.reLU().apply(normalized) as tf.SymbolicTensor;
}

const cnn3: Backbone = (input, options) => {
  let x = maxPool(convBnRelu(input, 32, options.seed, 1));
  x = maxPool(convBnRelu(x, 64, options.seed, 2));
  x = convBnRelu(x, 128, options.seed, 3);
  return featureLayer(tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor, options, 4);
};

/** The backbones by name. */
export const BACKBONES: Readonly<Record<BackboneName, Backbone>> = Object.freeze({ mlp, cnn, cnn3 });

/** The kind of computation a backbone is made of, which decides the faster Node backend (`useNodeBackend`'s `workload`). */
export function backboneWorkload(name: BackboneName): 'convolutional' | 'dense' {
  return needsImages(name) ? 'convolutional' : 'dense';
}

/** Whether a backbone needs image inputs (height, width, channels). */
export function needsImages(name: BackboneName): boolean {
  return name !== 'mlp';
}
