/**
 * Label handling shared by every loss: one-hot labels pass through, integer labels of shape
 * (N) or (N, 1) become one-hot. Uses `tf.oneHot` on the labels only (never on a
 * differentiated path), so it works on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { LabelError } from './errors.js';
import { checkClassIds } from './validate.js';

/**
 * Returns float32 one-hot labels of shape (N, classes).
 *
 * - shape (N, classes): taken as one-hot (or soft) labels, unchanged.
 * - shape (N) or (N, 1): integer class ids, checked to lie in [0, classes), then one-hot encoded.
 *   The check reads the labels back from the backend, which is cheap for label-sized tensors.
 *
 * @param yTrue labels as given by the user or by `model.fit`.
 * @param classes number of classes C (the width of the predictions).
 * @param rows expected number of rows N (the batch size of the predictions), or undefined.
 */
export function toOneHot(yTrue: tf.Tensor, classes: number, rows?: number): tf.Tensor2D {
  const shape = yTrue.shape;
  if (rows !== undefined && shape[0] !== rows) {
    throw new LabelError(`labels have ${shape[0]} rows but predictions have ${rows}`);
  }
  if (shape.length === 2 && shape[1] === classes && classes !== 1) {
    return yTrue.dtype === 'float32' ? (yTrue as tf.Tensor2D) : tf.cast(yTrue, 'float32') as tf.Tensor2D;
  }
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) {
    checkClassIds(yTrue.dataSync(), classes);
    return tf.tidy(() => tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), classes).toFloat() as tf.Tensor2D);
  }
  throw new LabelError(
    `labels must have shape (N, ${classes}) one-hot, or (N) / (N, 1) integer ids; got (${shape.join(', ')})`,
  );
}
