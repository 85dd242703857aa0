import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { LabelError } from '../../src/index.js';
import { toOneHot } from '../../src/labels.js';

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

test('one-hot, soft and integer labels become (N, C) one-hot floats', () => {
  assert.deepEqual(toOneHot(tf.tensor2d([[0, 1, 0], [1, 0, 0]]), 3).arraySync(), [[0, 1, 0], [1, 0, 0]]);
  assert.deepEqual(toOneHot(tf.tensor2d([[0.25, 0.75, 0]]), 3).arraySync(), [[0.25, 0.75, 0]]);
  assert.deepEqual(toOneHot(tf.tensor1d([2, 0], 'int32'), 3).arraySync(), [[0, 0, 1], [1, 0, 0]]);
  assert.deepEqual(toOneHot(tf.tensor2d([[1], [2]]), 3).arraySync(), [[0, 1, 0], [0, 0, 1]]);
});

test('malformed one-hot labels are refused, naming row and value', () => {
  const bad: Array<[number[][], RegExp]> = [
    [[[0, 2, 0]], /row 0, class 1 is 2/],
    [[[0, -1, 1]], /row 0, class 1 is -1/],
    [[[1, 0, 0], [0, NaN, 1]], /row 1, class 1 is NaN/],
    [[[1, 0, 0], [0, 0, 0]], /row 1 sums to 0/],
    [[[1, 1, 0]], /row 0 sums to 2/],
  ];
  for (const [labels, message] of bad) {
    assert.throws(() => toOneHot(tf.tensor2d(labels), 3), (e: Error) => e instanceof LabelError && message.test(e.message), JSON.stringify(labels));
  }
});

test('integer labels: range, integrality, rows and shape', () => {
  assert.throws(() => toOneHot(tf.tensor1d([0, 3]), 3), (e: Error) => e instanceof LabelError && /label 3 at row 1/.test(e.message));
  assert.throws(() => toOneHot(tf.tensor1d([0.5]), 3), LabelError);
  assert.throws(() => toOneHot(tf.tensor1d([NaN]), 3), LabelError);
  assert.throws(() => toOneHot(tf.tensor1d([0, 1]), 3, 3), (e: Error) => e instanceof LabelError && /2 rows but predictions have 3/.test(e.message));
  assert.throws(() => toOneHot(tf.zeros([2, 2, 3]), 3), (e: Error) => e instanceof LabelError && /\(2, 2, 3\)/.test(e.message));
});
