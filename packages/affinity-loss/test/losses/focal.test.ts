import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, crossEntropyLoss, focalLoss } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { checkAgainstReference, randomLogits } from './check.js';
import * as ref from './reference.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

// Row 0: p_y = 1/3 (label 1); row 1: p_y = 2/3 (label 0).
const logits = () => tf.tensor2d([[0, Math.log(2), Math.log(3)], [Math.log(4), 0, 0]]);
const labels = () => tf.tensor1d([1, 0], 'int32');

test('focal by hand: (1 - p_y)^gamma shrinks easy samples', () => {
  const expected = ((4 / 9) * Math.log(3) + (1 / 9) * Math.log(1.5)) / 2;
  assertClose([focalLoss({ gamma: 2 })(labels(), logits()).dataSync()[0]], [expected], 1e-6, 'gamma 2');
  assertClose([focalLoss()(labels(), logits()).dataSync()[0]], [expected], 1e-6, 'default gamma is 2');
  const perClass = ((0.5 * 4) / 9) * Math.log(3) + ((0.25 * 1) / 9) * Math.log(1.5);
  assertClose([focalLoss({ alpha: [0.25, 0.5, 1] })(labels(), logits()).dataSync()[0]], [perClass / 2], 1e-6, 'alpha per class');
  assertClose([focalLoss({ alpha: 0.25 })(labels(), logits()).dataSync()[0]], [0.25 * expected], 1e-6, 'alpha scalar');
  // 'weightedMean' divides by the labels' alpha, 0.5 + 0.25, instead of N = 2.
  const weighted = focalLoss({ alpha: [0.25, 0.5, 1], reduction: 'weightedMean' })(labels(), logits()).dataSync()[0];
  assertClose([weighted], [perClass / 0.75], 1e-6, 'alpha per class, weighted mean');
});

test('gamma 0 is cross-entropy', () => {
  assertClose(
    [focalLoss({ gamma: 0 })(labels(), logits()).dataSync()[0]],
    [crossEntropyLoss()(labels(), logits()).dataSync()[0]],
    1e-7,
    'gamma 0',
  );
});

test('gradients against float64 finite differences (integer and fractional gamma, alpha)', () => {
  const z = randomLogits(6, 4, 2);
  const y = [3, 1, 2, 0, 0, 2];
  for (const gamma of [2, 0.5, 0]) {
    checkAgainstReference(focalLoss({ gamma }), y, z, (l) => ref.reduce(ref.focalPerSample(l, y, gamma)), `gamma ${gamma}`);
  }
  const alpha = [0.1, 0.4, 1, 2];
  checkAgainstReference(
    focalLoss({ gamma: 1.5, alpha }),
    y,
    z,
    (l) => ref.reduce(ref.focalPerSample(l, y, 1.5), y.map((c) => alpha[c])),
    'alpha per class',
  );
});

test('where p_y rounds to 1 the gradient is ~0 (not NaN), for any gamma; a misclassified row still learns', () => {
  for (const gamma of [0, 0.5, 2]) {
    const gradientAt = (row: number[]) =>
      Array.from(tf.grad((z: tf.Tensor) => focalLoss({ gamma })(tf.tensor1d([0], 'int32'), z))(tf.tensor2d([row])).dataSync());
    const easy = gradientAt([60, 0, -5]);
    assert.ok(easy.every(Number.isFinite), `gamma ${gamma}: ${easy}`);
    // A sample the model already gets right (1 - p_y ~ 1e-26) must not push the logits.
    assert.ok(easy.every((g) => Math.abs(g) < 1e-6), `gamma ${gamma}: gradient ${easy} is not ~0`);
    const wrong = gradientAt([-5, 60, 0]); // p_y ~ 0: the loss must pull the true logit up
    assert.ok(wrong.every(Number.isFinite), `gamma ${gamma}: ${wrong}`);
    assert.ok(wrong[0] < -0.5 && wrong[1] > 0.5, `gamma ${gamma}: misclassified gradient ${wrong}`);
  }
});

test('validation: gamma < 0, bad alpha', () => {
  for (const gamma of [-0.5, NaN, Infinity]) assert.throws(() => focalLoss({ gamma }), AffinityConfigError, `gamma ${gamma}`);
  assert.throws(() => focalLoss({ gamma: -1 }), /gamma must be a finite number >= 0, got -1/);
  assert.throws(() => focalLoss({ alpha: -0.1 }), AffinityConfigError);
  assert.throws(() => focalLoss({ alpha: [0.5, -1, 1] }), AffinityConfigError);
  assert.throws(() => focalLoss({ alpha: 'x' as unknown as number }), AffinityConfigError);
  assert.throws(() => focalLoss({ alpha: [1, 1] })(labels(), logits()), /alpha has 2 entries/);
});
