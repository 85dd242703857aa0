import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, CosineHead, ShapeError, ldamLoss, ldamMargins } from '../../src/index.js';
import { cosineLogits } from '../../src/losses/cosineHead.js';
import { assertClose, finiteDifferenceGradient, normRelativeError } from '../helpers.js';
import { checkAgainstReference, randomLogits } from './check.js';
import * as ref from './reference.js';
import { roundTrip } from './serialize.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

const lse = (values: number[]) => Math.log(values.reduce((sum, v) => sum + Math.exp(v), 0));

test('margins proportional to n^(-1/4), the rarest class at maxMargin', () => {
  // n^(-1/4) of (1, 16, 81) is (1, 1/2, 1/3).
  assertClose(ldamMargins([1, 16, 81]), [0.5, 0.25, 0.5 / 3], 1e-12, 'default maxMargin 0.5');
  assertClose(ldamMargins([16, 81, 1], 0.3), [0.15, 0.1, 0.3], 1e-12, 'maxMargin 0.3');
});

test('LDAM by hand: CE(s * (z - Delta_y e_y))', () => {
  const z = tf.tensor2d([[0.2, 0.5, -0.1], [0.9, 0.1, 0.3]]);
  const y = tf.tensor1d([1, 0], 'int32');
  // Margins (0.5, 0.25, 1/6); s = 10. Row 0 (label 1): 10 * (0.2, 0.25, -0.1). Row 1 (label 0): 10 * (0.4, 0.1, 0.3).
  const expected = (lse([2, 2.5, -1]) - 2.5 + lse([4, 1, 3]) - 4) / 2;
  assertClose([ldamLoss({ counts: [1, 16, 81], scale: 10 })(y, z).dataSync()[0]], [expected], 1e-6, 'LDAM');
  // Defaults: maxMargin 0.5, scale 30.
  const defaults = (lse([6, 7.5, -3]) - 7.5 + lse([12, 3, 9]) - 12) / 2;
  assertClose([ldamLoss({ counts: [1, 16, 81] })(y, z).dataSync()[0]], [defaults], 1e-5, 'defaults');
});

test('LDAM gradients against float64 finite differences, with and without class weights', () => {
  const z = tf.tidy(() => ref.rows(tf.tanh(tf.tensor2d(randomLogits(6, 4, 4))).dataSync(), 4)); // cosine-like, in (-1, 1)
  const y = [0, 1, 2, 3, 3, 1];
  const counts = [300, 60, 12, 3];
  checkAgainstReference(ldamLoss({ counts, scale: 5 }), y, z, (l) => ref.reduce(ref.ldamPerSample(l, y, counts, 0.5, 5)), 'LDAM');
  const w = [0.2, 0.5, 1.3, 2];
  checkAgainstReference(
    ldamLoss({ counts, maxMargin: 0.4, scale: 5, classWeights: w, reduction: 'weightedMean' }),
    y,
    z,
    (l) => ref.reduce(ref.ldamPerSample(l, y, counts, 0.4, 5), y.map((c) => w[c]), 'weightedMean'),
    'LDAM weighted',
  );
});

test('cosine head: outputs cos(f, w_j) in [-1, 1]; gradient through the head matches finite differences', () => {
  const head = new CosineHead({ classes: 3, seed: 1 });
  const features = tf.tensor2d([[1, 2, 0, -1], [0.5, -0.5, 3, 0.1]]);
  const output = head.apply(features) as tf.Tensor;
  const kernel = ref.rows(head.kernel.read().dataSync(), 3);
  const f = ref.rows(features.dataSync(), 4);
  assertClose(output.dataSync(), ref.cosineLogits(f, kernel).flat(), 1e-6, 'cosine');
  // Scaling a feature or a class vector does not change the output.
  assertClose((head.apply(tf.mul(features, 7)) as tf.Tensor).dataSync(), output.dataSync(), 1e-6, 'scale-free');

  const y = [2, 0];
  const counts = [100, 10, 1];
  const total = (fFlat: number[], wFlat: number[]) =>
    ref.reduce(ref.ldamPerSample(ref.cosineLogits(ref.rows(fFlat, 4), ref.rows(wFlat, 3)), y, counts, 0.5, 30));
  const loss = ldamLoss({ counts });
  const labels = tf.tensor1d(y, 'int32');
  const [gradF, gradW] = tf.grads((x: tf.Tensor, w: tf.Tensor) => loss(labels, cosineLogits(x as tf.Tensor2D, w as tf.Tensor2D)))([
    features,
    head.kernel.read(),
  ]);
  const f0 = Array.from(features.dataSync());
  const w0 = kernel.flat();
  assertClose([loss(labels, output).dataSync()[0]], [total(f0, w0)], 1e-5, 'loss');
  const fdF = finiteDifferenceGradient((x) => total(x, w0), f0);
  const fdW = finiteDifferenceGradient((w) => total(f0, w), w0);
  assert.ok(normRelativeError(gradF.dataSync(), fdF) < 1e-3, `features: ${normRelativeError(gradF.dataSync(), fdF)}`);
  assert.ok(normRelativeError(gradW.dataSync(), fdW) < 1e-3, `kernel: ${normRelativeError(gradW.dataSync(), fdW)}`);
});

test('cosine head: a zero feature gives 0, not NaN, with a finite gradient', () => {
  const kernel = tf.tensor2d([[1, 0], [0, 1]]);
  const zero = tf.zeros([1, 2]) as tf.Tensor2D;
  assert.deepEqual(Array.from(cosineLogits(zero, kernel).dataSync()), [0, 0]);
  const gradient = tf.grad((x: tf.Tensor) => tf.sum(cosineLogits(x as tf.Tensor2D, kernel)))(zero);
  assert.ok(Array.from(gradient.dataSync()).every(Number.isFinite));
});

test('LDAM + cosine head train with model.fit and round-trip through save / load', async () => {
  const x = tf.randomNormal([60, 4], 0, 1, 'float32', 5);
  const ids = tf.tidy(() => tf.argMax(tf.matMul(x, tf.tensor2d([[1, 0, -1], [0, 1, 1], [1, 1, 0], [0, -1, 1]])), 1));
  const y = tf.oneHot(ids as tf.Tensor1D, 3).toFloat();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      new CosineHead({ classes: 3, seed: 2 }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: ldamLoss({ counts: [30, 20, 10], scale: 10 }) });
  const history = await model.fit(x, y, { epochs: 15, batchSize: 20, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.ok(losses[losses.length - 1] < 0.7 * losses[0], `loss ${losses[0]} -> ${losses[losses.length - 1]}`);
  const loaded = await roundTrip(model);
  assertClose((loaded.predict(x) as tf.Tensor).dataSync(), (model.predict(x) as tf.Tensor).dataSync(), 1e-6, 'predictions');
  assert.deepEqual(loaded.layers[1].getConfig().classes, 3);
  assert.equal(loaded.layers[1].getConfig().seed, 2);
});

test('validation: margins, scale, head options', () => {
  assert.throws(() => ldamLoss({ counts: [10, 0] }), AffinityConfigError);
  assert.throws(() => ldamLoss({ counts: [10, 1], maxMargin: 0 }), AffinityConfigError);
  assert.throws(() => ldamLoss({ counts: [10, 1], scale: -1 }), AffinityConfigError);
  assert.throws(() => new CosineHead({ classes: 1 }), AffinityConfigError);
  assert.throws(() => new CosineHead({ classes: 3, seed: -2 }), AffinityConfigError);
  // Past 2^53 an integer is not exact, so the same seed could not give the same numbers.
  assert.throws(() => new CosineHead({ classes: 3, seed: 2 ** 53 }), /seed must be an integer in \[0, 2\^53\), got 9007199254740992/);
  assert.throws(() => new CosineHead({ classes: 3, seed: 1.5 }), AffinityConfigError);
  assert.throws(() => new CosineHead({ classes: 3 }).kernel, AffinityConfigError); // not built yet
  assert.throws(() => new CosineHead({ classes: 3 }).apply(tf.zeros([2, 3, 4])), ShapeError);
});
