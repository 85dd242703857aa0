import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  AffinityConfigError,
  ShapeError,
  adjustLogits,
  balancedSoftmaxLoss,
  crossEntropyLoss,
  logitAdjustedLoss,
} from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { checkAgainstReference, randomLogits } from './check.js';
import * as ref from './reference.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

const zeros = () => tf.zeros([2, 3]);
const labels = () => tf.tensor1d([1, 2], 'int32');

test('Balanced Softmax by hand: CE(z + log n)', () => {
  // z = 0, n = (1, 2, 3): softmax(log n) = (1, 2, 3) / 6. Labels 1 and 2: ln 3 and ln 2.
  const value = balancedSoftmaxLoss({ counts: [1, 2, 3] })(labels(), zeros()).dataSync()[0];
  assertClose([value], [(Math.log(3) + Math.log(2)) / 2], 1e-6, 'balanced softmax');
});

test('logit-adjusted loss by hand: CE(z + tau log pi); tau 1 equals Balanced Softmax, tau 0 plain CE', () => {
  // tau = 2, pi proportional to (1, 2, 3): softmax(2 log pi) = (1, 4, 9) / 14.
  const tau2 = logitAdjustedLoss({ counts: [1, 2, 3], tau: 2 })(labels(), zeros()).dataSync()[0];
  assertClose([tau2], [(Math.log(14 / 4) + Math.log(14 / 9)) / 2], 1e-6, 'tau 2');
  const z = tf.tensor2d(randomLogits(5, 3, 6));
  const y = tf.tensor1d([0, 1, 2, 2, 1], 'int32');
  const counts = [90, 9, 1];
  assertClose(
    [logitAdjustedLoss({ counts })(y, z).dataSync()[0]],
    [balancedSoftmaxLoss({ counts })(y, z).dataSync()[0]],
    1e-6,
    'tau 1 = balanced softmax',
  );
  assertClose([logitAdjustedLoss({ counts, tau: 0 })(y, z).dataSync()[0]], [crossEntropyLoss()(y, z).dataSync()[0]], 1e-7, 'tau 0');
});

test('gradients against float64 finite differences', () => {
  const z = randomLogits(6, 4, 7);
  const y = [0, 3, 2, 1, 3, 0];
  const counts = [400, 50, 9, 2];
  const total = counts.reduce((a, b) => a + b, 0);
  checkAgainstReference(
    balancedSoftmaxLoss({ counts }),
    y,
    z,
    (l) => ref.reduce(ref.crossEntropyPerSample(l, y, counts.map(Math.log))),
    'balanced softmax',
  );
  checkAgainstReference(
    logitAdjustedLoss({ counts, tau: 1.5 }),
    y,
    z,
    (l) => ref.reduce(ref.crossEntropyPerSample(l, y, counts.map((n) => 1.5 * Math.log(n / total)))),
    'logit adjusted',
  );
});

test('post-hoc adjustment: argmax_j (z_j - tau log pi_j) moves predictions to rare classes as the formula says', () => {
  // pi = (0.9, 0.1): the rare class gains tau * ln 9 = 2.197 tau over the frequent one.
  const logits = tf.tensor2d([[1.0, 0.8], [3.0, 0.0], [0.0, 0.5]]);
  const predict = (tau: number) => Array.from(tf.argMax(adjustLogits(logits, [900, 100], tau), 1).dataSync());
  assert.deepEqual(predict(0), [0, 0, 1]); // tau 0: unchanged
  assert.deepEqual(predict(0.05), [0, 0, 1]); // 0.2 > 0.05 * 2.197: row 0 stays
  assert.deepEqual(predict(1), [1, 0, 1]); // 0.2 < 2.197: row 0 flips to the rare class; row 1 (margin 3) stays
  assert.deepEqual(predict(2), [1, 1, 1]); // 3 < 4.394: row 1 flips too
  assertClose(adjustLogits(logits, [900, 100], 1).dataSync(), [1 - Math.log(0.9), 0.8 - Math.log(0.1), 3 - Math.log(0.9), -Math.log(0.1), -Math.log(0.9), 0.5 - Math.log(0.1)], 1e-6, 'values');
  // Against a float64 argmax over random logits and several tau.
  const z = randomLogits(40, 4, 8, 3);
  const counts = [1000, 100, 10, 1];
  const logPi = counts.map((n) => Math.log(n / 1111));
  for (const tau of [0.5, 1, 1.5]) {
    const expected = z.map((row) => {
      const adjusted = row.map((v, j) => v - tau * logPi[j]);
      return adjusted.indexOf(Math.max(...adjusted));
    });
    assert.deepEqual(Array.from(tf.argMax(adjustLogits(tf.tensor2d(z), counts, tau), 1).dataSync()), expected, `tau ${tau}`);
  }
});

test('validation: counts, tau, logits shape', () => {
  assert.throws(() => balancedSoftmaxLoss({ counts: [3, 0] }), AffinityConfigError);
  assert.throws(() => logitAdjustedLoss({ counts: [3, -1] }), AffinityConfigError);
  assert.throws(() => logitAdjustedLoss({ counts: [3, 1], tau: -1 }), AffinityConfigError);
  assert.throws(() => adjustLogits(tf.zeros([2, 3]), [3, 1], 1), (e: Error) => e instanceof ShapeError && /\(N, 2\)/.test(e.message));
  assert.throws(() => adjustLogits(tf.zeros([2, 2]), [3, 1], NaN), AffinityConfigError);
  assert.throws(() => balancedSoftmaxLoss({ counts: [3, 1] })(labels(), zeros()), ShapeError);
});

test('class weights and reduction (for DRW on top): by hand', () => {
  // z = 0, n = (1, 2, 3): per-sample CE ln 3 (label 1) and ln 2 (label 2); weights (_, 2, 0.5).
  const weights = [1, 2, 0.5];
  const mean = (2 * Math.log(3) + 0.5 * Math.log(2)) / 2;
  const weightedMean = (2 * Math.log(3) + 0.5 * Math.log(2)) / 2.5;
  const bs = (reduction?: 'mean' | 'weightedMean') =>
    balancedSoftmaxLoss({ counts: [1, 2, 3], classWeights: weights, reduction })(labels(), zeros()).dataSync()[0];
  assertClose([bs(), bs('weightedMean')], [mean, weightedMean], 1e-6, 'balanced softmax');
  // tau = 1 makes the logit-adjusted loss the same function.
  const la = logitAdjustedLoss({ counts: [1, 2, 3], classWeights: weights, reduction: 'weightedMean' })(labels(), zeros()).dataSync()[0];
  assertClose([la], [weightedMean], 1e-6, 'logit adjusted');
  assert.throws(() => balancedSoftmaxLoss({ counts: [1, 2, 3], classWeights: [1, 2] })(labels(), zeros()), ShapeError);
  assert.throws(() => logitAdjustedLoss({ counts: [1, 2, 3], reduction: 'sum' as 'mean' }), AffinityConfigError);
});
