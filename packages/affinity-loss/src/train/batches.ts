/**
 * From rows of a split to tensors, without per-sample JS objects: rows are copied straight from
 * the split's flat Float32Array (or its row store) into one batch buffer.
 */
import * as tf from '@tensorflow/tfjs';
import { featureSize, type Split } from '../data/dataset.js';
import { copyRows, type Features } from '../data/rowStore.js';

/** The inputs of the given rows, shaped [rows, ...featureShape]. */
export function inputBatch(split: Split<Features>, rows: ArrayLike<number>, featureShape: readonly number[]): tf.Tensor {
  const size = featureSize(featureShape);
  const buffer = new Float32Array(rows.length * size);
  copyRows(split.features, rows, size, buffer);
  return tf.tensor(buffer, [rows.length, ...featureShape]);
}

/** One-hot labels of the given rows, shaped [rows, classes]. */
export function oneHotBatch(labels: Int32Array, rows: ArrayLike<number>, classes: number): tf.Tensor2D {
  const buffer = new Float32Array(rows.length * classes);
  for (let i = 0; i < rows.length; i++) buffer[i * classes + labels[rows[i]]] = 1;
  return tf.tensor2d(buffer, [rows.length, classes]);
}

/** Rows start, start + 1, ..., end - 1. */
export function rowRange(start: number, end: number): Int32Array {
  const rows = new Int32Array(end - start);
  for (let i = 0; i < rows.length; i++) rows[i] = start + i;
  return rows;
}
