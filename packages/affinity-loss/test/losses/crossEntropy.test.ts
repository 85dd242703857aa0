import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, LabelError, ShapeError, crossEntropyLoss, weightedCrossEntropyLoss } from '../../src/index.js';
import { inverseFrequencyWeights } from '../../src/losses/classWeights.js';
import { assertClose } from '../helpers.js';
import { checkAgainstReference, randomLogits } from './check.js';
import * as ref from './reference.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

// Row 0: softmax = (1, 2, 3) / 6, label 1, CE = ln 3.  Row 1: softmax = (4, 1, 1) / 6, label 0, CE = ln 1.5.
const logits = () => tf.tensor2d([[0, Math.log(2), Math.log(3)], [Math.log(4), 0, 0]]);
const labels = () => tf.tensor1d([1, 0], 'int32');

test('cross-entropy by hand: mean of -log p_y', () => {
  assertClose([crossEntropyLoss()(labels(), logits()).dataSync()[0]], [(Math.log(3) + Math.log(1.5)) / 2], 1e-6, 'CE');
});

test('one-hot, (N) and (N, 1) integer labels agree; soft labels are accepted', () => {
  const loss = crossEntropyLoss();
  const oneHot = loss(tf.tensor2d([[0, 1, 0], [1, 0, 0]]), logits()).dataSync()[0];
  assert.equal(loss(labels(), logits()).dataSync()[0], oneHot);
  assert.equal(loss(tf.tensor2d([[1], [0]]), logits()).dataSync()[0], oneHot);
  // Soft label (0.5, 0.5, 0) on row 0: 0.5 ln 6 + 0.5 ln 3.
  const soft = loss(tf.tensor2d([[0.5, 0.5, 0]]), tf.tensor2d([[0, Math.log(2), Math.log(3)]])).dataSync()[0];
  assertClose([soft], [0.5 * Math.log(6) + 0.5 * Math.log(3)], 1e-6, 'soft');
});

test('stable for large logits: no log of a softmax that underflows', () => {
  const loss = crossEntropyLoss()(tf.tensor1d([1], 'int32'), tf.tensor2d([[1000, 0]]));
  assertClose([loss.dataSync()[0]], [1000], 1e-6, 'CE');
  const gradient = tf.grad((z: tf.Tensor) => crossEntropyLoss()(tf.tensor1d([1], 'int32'), z))(tf.tensor2d([[1000, 0]]));
  assertClose(gradient.dataSync(), [1, -1], 1e-6, 'gradient');
});

test('weighted cross-entropy by hand: inverse frequency normalised to sum C', () => {
  // 1 / n = (0.5, 1, 1), normalised to sum 3: (0.6, 1.2, 1.2).
  assertClose(inverseFrequencyWeights([2, 1, 1]), [0.6, 1.2, 1.2], 1e-12, 'weights');
  assertClose(inverseFrequencyWeights([7, 7, 7, 7]), [1, 1, 1, 1], 1e-12, 'balanced counts give ones');
  const mean = weightedCrossEntropyLoss({ counts: [2, 1, 1] })(labels(), logits()).dataSync()[0];
  assertClose([mean], [(1.2 * Math.log(3) + 0.6 * Math.log(1.5)) / 2], 1e-6, 'mean');
  const weighted = weightedCrossEntropyLoss({ counts: [2, 1, 1], reduction: 'weightedMean' })(labels(), logits()).dataSync()[0];
  assertClose([weighted], [(1.2 * Math.log(3) + 0.6 * Math.log(1.5)) / 1.8], 1e-6, 'weightedMean');
  // Explicit class weights on plain CE give the same as the counts.
  const explicit = crossEntropyLoss({ classWeights: [0.6, 1.2, 1.2] })(labels(), logits()).dataSync()[0];
  assertClose([explicit], [mean], 1e-7, 'classWeights');
});

test('gradients against float64 finite differences', () => {
  const z = randomLogits(6, 4, 1);
  const y = [0, 1, 2, 3, 0, 2];
  checkAgainstReference(crossEntropyLoss(), y, z, (l) => ref.reduce(ref.crossEntropyPerSample(l, y)), 'CE');
  const counts = [50, 10, 5, 2];
  const w = inverseFrequencyWeights(counts);
  for (const reduction of ['mean', 'weightedMean'] as const) {
    checkAgainstReference(
      weightedCrossEntropyLoss({ counts, reduction }),
      y,
      z,
      (l) => ref.reduce(ref.crossEntropyPerSample(l, y), y.map((c) => w[c]), reduction),
      `weighted CE (${reduction})`,
    );
  }
});

test('validation: counts, weights, label and prediction shapes', () => {
  for (const counts of [[3, 0, 1], [3, -2, 1], [3, NaN], [5], 'abc', undefined]) {
    assert.throws(() => weightedCrossEntropyLoss({ counts: counts as number[] }), AffinityConfigError, `counts ${String(counts)}`);
  }
  assert.throws(() => weightedCrossEntropyLoss({ counts: [3, 0, 1] }), /counts\[1\] must be a finite number > 0/);
  assert.throws(() => crossEntropyLoss({ classWeights: [1, -1] }), AffinityConfigError);
  assert.throws(() => crossEntropyLoss({ reduction: 'sum' as 'mean' }), AffinityConfigError);
  const loss = weightedCrossEntropyLoss({ counts: [1, 2] }); // 2 classes, predictions have 3
  assert.throws(() => loss(labels(), logits()), (e: Error) => e instanceof ShapeError && /2 entries but predictions have 3/.test(e.message));
  assert.throws(() => crossEntropyLoss()(tf.tensor1d([0, 3], 'int32'), logits()), LabelError);
  assert.throws(() => crossEntropyLoss()(tf.tensor2d([[1, 0, 0, 0], [1, 0, 0, 0]]), logits()), LabelError);
  assert.throws(() => crossEntropyLoss()(tf.tensor1d([0, 1, 2], 'int32'), logits()), LabelError);
  assert.throws(() => crossEntropyLoss()(tf.tensor1d([0], 'int32'), tf.tensor1d([1, 2])), ShapeError);
});

test('no tensor leaks: the loss and its gradient leave the tensor count unchanged', () => {
  const z = logits();
  const y = labels();
  const loss = weightedCrossEntropyLoss({ counts: [2, 1, 1] });
  const before = tf.memory().numTensors;
  for (let step = 0; step < 3; step++) {
    tf.dispose(loss(y, z));
    tf.dispose(tf.grad((x: tf.Tensor) => loss(y, x))(z));
  }
  assert.equal(tf.memory().numTensors, before);
});
