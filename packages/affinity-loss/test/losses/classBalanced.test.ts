import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, classBalancedLoss, crossEntropyLoss, focalLoss } from '../../src/index.js';
import { classBalancedWeights, inverseFrequencyWeights } from '../../src/losses/classWeights.js';
import { assertClose } from '../helpers.js';
import { checkAgainstReference, randomLogits } from './check.js';
import * as ref from './reference.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

test('class-balanced weights by hand', () => {
  // beta 0.9, n = (10, 100): raw (0.1 / (1 - 0.9^10), 0.1 / (1 - 0.9^100)).
  const raw = [0.1 / (1 - 0.3486784401), 0.1 / (1 - 2.6561398887587544e-5)];
  const sum = raw[0] + raw[1];
  assertClose(classBalancedWeights([10, 100], 0.9), [(2 * raw[0]) / sum, (2 * raw[1]) / sum], 1e-12, 'weights');
  assertClose(classBalancedWeights([10, 100, 1000], 0), [1, 1, 1], 1e-12, 'beta 0 gives ones');
  // beta -> 1: the effective number tends to n, so the weights tend to inverse frequency.
  assertClose(classBalancedWeights([10, 100, 1000], 1 - 1e-9), inverseFrequencyWeights([10, 100, 1000]), 1e-5, 'beta -> 1');
  // The paper's default beta with small counts, where 1 - beta^n is ~1e-4 n: stable, and close to 1/n.
  const w = classBalancedWeights([1, 2], 0.9999);
  assertClose([w[0] / w[1]], [(1 - 0.9999 ** 2) / (1 - 0.9999)], 1e-10, 'ratio');
});

test('class-balanced loss by hand, on CE and on focal', () => {
  const z = tf.tensor2d([[0, Math.log(2), Math.log(3)], [Math.log(4), 0, 0]]);
  const y = tf.tensor1d([1, 0], 'int32');
  const counts = [10, 100, 1000];
  const w = classBalancedWeights(counts, 0.99);
  const ce = classBalancedLoss({ counts, beta: 0.99 })(y, z).dataSync()[0];
  assertClose([ce], [(w[1] * Math.log(3) + w[0] * Math.log(1.5)) / 2], 1e-6, 'CB CE');
  const focal = classBalancedLoss({ counts, beta: 0.99, base: 'focal', gamma: 2 })(y, z).dataSync()[0];
  assertClose([focal], [(w[1] * (4 / 9) * Math.log(3) + w[0] * (1 / 9) * Math.log(1.5)) / 2], 1e-6, 'CB focal');
  // beta = 0 is the base loss itself.
  assertClose([classBalancedLoss({ counts, beta: 0 })(y, z).dataSync()[0]], [crossEntropyLoss()(y, z).dataSync()[0]], 1e-7, 'beta 0');
  const focal0 = classBalancedLoss({ counts, beta: 0, base: 'focal', gamma: 1 })(y, z).dataSync()[0];
  assertClose([focal0], [focalLoss({ gamma: 1 })(y, z).dataSync()[0]], 1e-7, 'beta 0 focal');
});

test('gradients against float64 finite differences', () => {
  const z = randomLogits(6, 4, 3);
  const y = [1, 1, 2, 0, 3, 2];
  const counts = [500, 100, 20, 4];
  const w = ref.classBalancedWeights(counts, 0.999);
  const sampleWeights = y.map((c) => w[c]);
  checkAgainstReference(classBalancedLoss({ counts, beta: 0.999 }), y, z, (l) => ref.reduce(ref.crossEntropyPerSample(l, y), sampleWeights), 'CB CE');
  checkAgainstReference(
    classBalancedLoss({ counts, beta: 0.999, base: 'focal', gamma: 2 }),
    y,
    z,
    (l) => ref.reduce(ref.focalPerSample(l, y, 2), sampleWeights),
    'CB focal',
  );
});

test('validation: beta outside [0, 1), counts, base, gamma', () => {
  for (const beta of [1, 1.5, -0.1, NaN]) {
    assert.throws(() => classBalancedLoss({ counts: [1, 2], beta }), AffinityConfigError, `beta ${beta}`);
  }
  assert.throws(() => classBalancedWeights([1, 2], 1), /beta must be a number in \[0, 1\), got 1$/);
  for (const beta of [Infinity, '0.5' as unknown as number]) assert.throws(() => classBalancedWeights([1, 2], beta), AffinityConfigError);
  assert.throws(() => classBalancedLoss({ counts: [0, 2] }), /counts\[0\]/);
  assert.throws(() => classBalancedLoss({ counts: [1, 2], base: 'hinge' as 'focal' }), AffinityConfigError);
  assert.throws(() => classBalancedLoss({ counts: [1, 2], base: 'focal', gamma: -1 }), AffinityConfigError);
});
