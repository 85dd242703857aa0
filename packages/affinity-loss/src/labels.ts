/**
 * Label handling shared by every loss: one-hot labels pass through, integer labels of shape
 * (N) or (N, 1) become one-hot. Uses `tf.oneHot` on the labels only (never on a
 * differentiated path), so it works on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { LabelError } from './errors.js';
import { readsBackCheaply } from './hostReads.js';
import { checkClassIds } from './validate.js';

/**
 * Returns float32 one-hot labels of shape (N, classes).
 *
 * - shape (N, classes): one-hot (or soft) labels, returned unchanged after a check that every
 *   entry is finite and in [0, 1] and every row sums to 1. A label of 2 or an all-zero row
 *   would otherwise give a wrong loss (a negative hinge) without any error.
 * - shape (N) or (N, 1): integer class ids, checked to lie in [0, classes), then one-hot encoded.
 *
 * Both checks read the labels back, so they run on the host backends only (cpu, wasm,
 * tfjs-node), where that is a copy; a GPU backend would stall on every step (see hostReads.ts).
 * There, check labels once with `checkLabels` before `model.fit`.
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
  const form = labelForm(shape, classes);
  if (readsBackCheaply()) checkLabelValues(yTrue, classes, form);
  if (form === 'one-hot') return yTrue.dtype === 'float32' ? (yTrue as tf.Tensor2D) : tf.cast(yTrue, 'float32') as tf.Tensor2D;
  return tf.tidy(() => tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), classes).toFloat() as tf.Tensor2D);
}

/**
 * Checks labels the way the losses do on the host backends, reading them back once: one-hot
 * rows (N, classes) in [0, 1] that sum to 1, or integer class ids in [0, classes). Call it
 * before `model.fit` on a GPU backend, where the losses skip the check to avoid a read per step.
 *
 * @throws LabelError naming the first bad row, or a shape that is neither form.
 */
export function checkLabels(labels: tf.Tensor, classes: number): void {
  checkLabelValues(labels, classes, labelForm(labels.shape, classes));
}

/** Which of the two label forms a shape is: (N, classes) one-hot, or (N) / (N, 1) class ids. */
function labelForm(shape: readonly number[], classes: number): 'one-hot' | 'ids' {
  if (shape.length === 2 && shape[1] === classes && classes !== 1) return 'one-hot';
  if (shape.length === 1 || (shape.length === 2 && shape[1] === 1)) return 'ids';
  throw new LabelError(`labels must have shape (N, ${classes}) one-hot, or (N) / (N, 1) integer ids; got (${shape.join(', ')})`);
}

/** Reads the labels back and checks their values for their form. */
function checkLabelValues(labels: tf.Tensor, classes: number, form: 'one-hot' | 'ids'): void {
  if (form === 'one-hot') checkOneHotRows(labels.dataSync(), classes);
  else checkClassIds(labels.dataSync(), classes);
}

/** Throws LabelError unless each row of a flat (N, classes) array is a probability vector. */
function checkOneHotRows(values: ArrayLike<number>, classes: number): void {
  for (let row = 0; row * classes < values.length; row++) {
    let sum = 0;
    for (let j = row * classes; j < (row + 1) * classes; j++) {
      const v = values[j];
      if (!(v >= 0 && v <= 1)) {
        throw new LabelError(`one-hot label at row ${row}, class ${j - row * classes} is ${v}; entries must lie in [0, 1]`);
      }
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-4) {
      throw new LabelError(`one-hot label row ${row} sums to ${sum}; each row must sum to 1 (one class per sample)`);
    }
  }
}
