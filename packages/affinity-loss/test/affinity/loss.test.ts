import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, LabelError, affinityLoss, diversity, gaussianAffinity, maxMarginLoss } from '../../src/index.js';
import { assertClose, finiteDifferenceGradient, normRelativeError } from '../helpers.js';
import * as ref from './reference.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

const affinities = () => tf.tensor2d([[0.2, 0.9, 0.5], [0.1, 0.3, 0.95]]);

test('hinge by hand: sums over j != y only, then averages over the batch', () => {
  // Row 0, y = 0: (0.5 + 0.9 - 0.2) + (0.5 + 0.5 - 0.2) = 2.0.  Row 1, y = 2: both terms < 0, so 0.
  // Counting j = y as well would add the margin once per row (1.5 instead of 1.0).
  const loss = maxMarginLoss(tf.tensor2d([[1, 0, 0], [0, 0, 1]]), affinities(), 0.5);
  assertClose([loss.dataSync()[0]], [1.0], 1e-6, 'loss');
});

test('integer labels of shape (N) and (N, 1) give the same loss as one-hot', () => {
  const oneHot = maxMarginLoss(tf.tensor2d([[1, 0, 0], [0, 0, 1]]), affinities(), 0.5).dataSync()[0];
  const flat = maxMarginLoss(tf.tensor1d([0, 2], 'int32'), affinities(), 0.5).dataSync()[0];
  const column = maxMarginLoss(tf.tensor2d([[0], [2]]), affinities(), 0.5).dataSync()[0];
  assert.equal(flat, oneHot);
  assert.equal(column, oneHot);
});

test('labels: no dummy column, range and width checked', () => {
  // Public ports smuggle the regularizer through an extra label column; here a (N, C + 1) label is an error.
  assert.throws(() => maxMarginLoss(tf.tensor2d([[1, 0, 0, 0], [0, 0, 1, 0]]), affinities(), 0.5), (e: Error) => e instanceof LabelError && /\(2, 4\)/.test(e.message));
  assert.throws(() => maxMarginLoss(tf.tensor1d([0, 3]), affinities(), 0.5), (e: Error) => e instanceof LabelError && /label 3 at row 1/.test(e.message));
  assert.throws(() => maxMarginLoss(tf.tensor1d([0, -1]), affinities(), 0.5), LabelError);
  assert.throws(() => maxMarginLoss(tf.tensor1d([0, 1.5]), affinities(), 0.5), LabelError);
  assert.throws(() => maxMarginLoss(tf.tensor1d([0, 1, 2]), affinities(), 0.5), (e: Error) => e instanceof LabelError && /3 rows/.test(e.message));
});

test('margin is validated: (0, 1], above 1 only with the explicit flag', () => {
  for (const margin of [0, -0.1, NaN, Infinity, 1.5]) {
    assert.throws(() => affinityLoss({ margin }), AffinityConfigError, `margin ${margin}`);
  }
  assert.throws(() => affinityLoss({} as { margin: number }), AffinityConfigError);
  assert.throws(() => maxMarginLoss(tf.tensor1d([0, 2], 'int32'), affinities(), { margin: 1.5 }), AffinityConfigError);
  const direct = maxMarginLoss(tf.tensor1d([0, 2], 'int32'), affinities(), { margin: 1.5, allowMarginAboveOne: true });
  assertClose([direct.dataSync()[0]], [(2.2 + 1.8 + 0.65 + 0.85) / 2], 1e-6, 'direct');
  const loss = affinityLoss({ margin: 1.5, allowMarginAboveOne: true });
  assertClose([loss(tf.tensor1d([0, 2], 'int32'), affinities()).dataSync()[0]], [(2.2 + 1.8 + 0.65 + 0.85) / 2], 1e-6, 'loss');
});

test('gradient of hinge + diversity against float64 finite differences', () => {
  const N = 6;
  const C = 3;
  const m = 2;
  const d = 4;
  const sigma = 8;
  const margin = 0.6;
  const labels = [0, 1, 2, 0, 1, 2];
  const features = tf.randomNormal([N, d], 0, 1.2, 'float32', 11) as tf.Tensor2D;
  const protos = tf.randomNormal([C, m, d], 0, 1.2, 'float32', 12) as tf.Tensor3D;
  const y = tf.tensor1d(labels, 'int32');
  const total = (f: tf.Tensor2D, w: tf.Tensor3D) => tf.add(maxMarginLoss(y, gaussianAffinity(f, w, sigma), margin), diversity(w)) as tf.Scalar;
  const [gradF, gradW] = tf.grads((f: tf.Tensor, w: tf.Tensor) => total(f as tf.Tensor2D, w as tf.Tensor3D))([features, protos]);

  const f0 = Array.from(features.dataSync());
  const w0 = Array.from(protos.dataSync());
  const loss64 = (fFlat: number[], wFlat: number[]) => {
    const w = ref.nest<number[][][]>(wFlat, [C, m, d]);
    return ref.hinge(ref.affinities(ref.nest<number[][]>(fFlat, [N, d]), w, sigma), labels, margin) + ref.diversity(w);
  };
  assertClose([total(features, protos).dataSync()[0]], [loss64(f0, w0)], 1e-5, 'loss');
  const fdF = finiteDifferenceGradient((f) => loss64(f, w0), f0);
  const fdW = finiteDifferenceGradient((w) => loss64(f0, w), w0);
  assert.ok(fdF.some((g) => Math.abs(g) > 1e-3), 'the case has a non-zero feature gradient');
  assert.ok(normRelativeError(gradF.dataSync(), fdF) < 1e-3, `features: ${normRelativeError(gradF.dataSync(), fdF)}`);
  assert.ok(normRelativeError(gradW.dataSync(), fdW) < 1e-3, `prototypes: ${normRelativeError(gradW.dataSync(), fdW)}`);
});
