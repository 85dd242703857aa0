/**
 * What the custom tfjs layers share: the types tfjs-layers does not export under a public name,
 * and the input-shape checks every head that reads (batch, featureDim) features makes.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from './errors.js';

/**
 * The base options of a tfjs layer (name, trainable, inputShape, ...). tfjs-layers does not
 * export its `LayerArgs` from the package root, so it is recovered from the `Layer` constructor.
 */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

/** A weight created by `Layer.addWeight` (tfjs' `LayerVariable`, not exported from the root either). */
export type LayerVariable = ReturnType<tf.layers.Layer['addWeight']>;

/** A symbolic tensor shape as tfjs layers pass it to `build` and `computeOutputShape`: null is the batch axis. */
export type Shape = Array<number | null>;

/** The single input shape of a layer, given one shape or a list holding one. */
export function firstShape(inputShape: Shape | Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

/**
 * The feature width d of a (batch, d) input shape. Throws ShapeError for any other rank or an
 * unknown width: a head's weights are sized by d, so it must be known when the layer is built.
 *
 * @param layerName names the layer in the error message.
 */
export function featureWidth(inputShape: Shape | Shape[], layerName: string): number {
  const shape = firstShape(inputShape);
  const width = shape[shape.length - 1];
  if (shape.length !== 2 || width === null || width < 1) {
    throw new ShapeError(
      `${layerName} expects features of shape (batch, featureDim) with a known width, got (${shape.map(String)}); ` +
        'add a flatten or dense layer before it',
    );
  }
  return width;
}

/**
 * The (batch, featureDim) features a head's `call` receives, given one tensor or a list
 * holding one. Throws ShapeError for any other rank.
 *
 * @param layerName names the layer in the error message.
 */
export function featuresOf(inputs: tf.Tensor | tf.Tensor[], layerName: string): tf.Tensor2D {
  const features = Array.isArray(inputs) ? inputs[0] : inputs;
  if (features.rank !== 2) {
    throw new ShapeError(
      `${layerName} expects features of shape (batch, featureDim), got (${features.shape}); add a flatten or dense layer before it`,
    );
  }
  return features as tf.Tensor2D;
}
