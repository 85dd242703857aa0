/**
 * Finiteness checks on tensors. Each reads back one flag (a synchronous read, so they guard the
 * library's entry points, not every kernel): a NaN or infinity that enters the head or its loss
 * would otherwise come out as NaN scores or a NaN loss, far from its cause.
 */
import * as tf from '@tensorflow/tfjs';
import { NonFiniteError } from './errors.js';

/**
 * Throws NonFiniteError when `values` holds a NaN or an infinity, naming the first such entry.
 *
 * @param what names the tensor in the message (e.g. 'gaussianAffinity: features').
 */
export function requireFiniteTensor(what: string, values: tf.Tensor): void {
  if (allFinite([values])) return;
  const flat = values.dataSync();
  const index = flat.findIndex((value) => !Number.isFinite(value));
  const perRow = values.rank > 1 ? values.size / values.shape[0] : 1;
  const where = values.rank > 1 ? `row ${Math.floor(index / perRow)}, column ${index % perRow}` : `entry ${index}`;
  throw new NonFiniteError(`${what} holds ${flat[index]} at ${where}; every value must be finite`);
}

/** Whether every value of every tensor is finite: one read for the lot (a model's weights). */
export function allFinite(tensors: readonly tf.Tensor[]): boolean {
  if (tensors.length === 0) return true;
  return tf.tidy(() => tf.all(tf.stack(tensors.map((tensor) => tf.all(tf.isFinite(tensor))))).dataSync()[0] === 1);
}
