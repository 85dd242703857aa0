import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, CenterLossHead, ShapeError, centerLoss, crossEntropyLoss } from '../../src/index.js';
import { assertClose, finiteDifferenceGradient, normRelativeError } from '../helpers.js';
import * as ref from './reference.js';
import { roundTrip } from './serialize.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

test('center term by hand: (beta / 2) mean_i ||f_i - c_{y_i}||^2, picked from the distance output', () => {
  // Distances of 2 samples to 3 centres; labels 0 and 2 pick 1 and 9.
  const distances = tf.tensor2d([[1, 4, 16], [25, 36, 9]]);
  const value = centerLoss({ weight: 0.1 })(tf.tensor1d([0, 2], 'int32'), distances).dataSync()[0];
  assertClose([value], [0.05 * (1 + 9) / 2], 1e-7, 'center loss');
  assert.equal(centerLoss({ weight: 0 })(tf.tensor1d([0, 2], 'int32'), distances).dataSync()[0], 0);
});

test('head by hand: logits f W + b and squared distances to the centres', () => {
  const head = new CenterLossHead({ classes: 2 });
  const features = tf.tensor2d([[1, 2], [3, 0]]);
  head.apply(features); // builds the weights
  head.setWeights([tf.tensor2d([[1, -1], [0, 2]]), tf.tensor1d([0.5, 0]), tf.tensor2d([[1, 1], [0, 0]])]);
  const [logits, distances] = head.apply(features) as tf.Tensor[];
  assertClose(logits.dataSync(), [1.5, 3, 3.5, -3], 1e-6, 'logits');
  // f0 = (1, 2): to c0 = (1, 1) 1, to c1 = 0 5.  f1 = (3, 0): to c0 5, to c1 9.
  assertClose(distances.dataSync(), [1, 5, 5, 9], 1e-6, 'distances');
  assert.deepEqual(head.computeOutputShape([null, 2]), [[null, 2], [null, 2]]);
});

test('CE + center term through the head: gradients for features, kernel, bias and centres against finite differences', () => {
  const N = 5;
  const d = 3;
  const C = 3;
  const beta = 0.3;
  const y = [0, 1, 2, 1, 0];
  const f = tf.randomNormal([N, d], 0, 1, 'float32', 21);
  const head = new CenterLossHead({ classes: C, seed: 4 });
  head.apply(f);
  head.setWeights([head.kernel.read(), tf.tensor1d([0.1, -0.2, 0.3]), tf.randomNormal([C, d], 0, 1, 'float32', 22)]);
  const labels = tf.tensor1d(y, 'int32');
  const ce = crossEntropyLoss();
  const center = centerLoss({ weight: beta });
  const total = (x: tf.Tensor) =>
    tf.tidy(() => {
      const [logits, distances] = head.apply(x) as tf.Tensor[];
      return tf.add(ce(labels, logits), center(labels, distances)) as tf.Scalar;
    });
  const variables = [head.kernel, head.bias!, head.centers].map((w) => w.read() as tf.Variable);
  const flat = [f, ...variables].map((t) => Array.from(t.dataSync()));
  const reference = (v: number[][]) => ref.centerLossTotal(ref.rows(v[0], d), ref.rows(v[1], C), v[2], ref.rows(v[3], d), y, beta);
  assertClose([total(f).dataSync()[0]], [reference(flat)], 1e-5, 'loss');
  const { grads } = tf.variableGrads(() => total(f), variables);
  const analytic = [tf.grad(total)(f), ...variables.map((v) => grads[v.name])];
  ['features', 'kernel', 'bias', 'centres'].forEach((name, k) => {
    const fd = finiteDifferenceGradient((v) => reference(flat.map((old, m) => (m === k ? v : old))), flat[k]);
    const error = normRelativeError(analytic[k].dataSync(), fd);
    assert.ok(error < 1e-3, `${name}: relative error ${error}`);
  });
  // The centres learn by this gradient: d/dc_j = (beta / N) sum_{y_i = j} (c_j - f_i).
  const fRows = ref.rows(flat[0], d);
  const cRows = ref.rows(flat[3], d);
  const expected = cRows.flatMap((c, j) => c.map((cv, k) => (beta / N) * y.reduce((s, label, i) => s + (label === j ? cv - fRows[i][k] : 0), 0)));
  assertClose(grads[variables[2].name].dataSync(), expected, 1e-5, 'centre gradient');
});

test('model.fit with plain one-hot labels on both outputs: centres move to the class means, save / load round-trips', async () => {
  const means = [[2, 0], [-2, 1], [0, -2]];
  const labels = Array.from({ length: 60 }, (_, i) => (i < 36 ? 0 : i < 51 ? 1 : 2)); // imbalanced 36 / 15 / 9
  const noise = tf.randomNormal([60, 2], 0, 0.3, 'float32', 9).arraySync() as number[][];
  const x = tf.tensor2d(labels.map((c, i) => [means[c][0] + noise[i][0], means[c][1] + noise[i][1]]));
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat();
  const input = tf.input({ shape: [2] });
  // Identity features (a linear layer fixed at I) so the centres can be compared with the input means.
  const features = tf.layers.dense({ units: 2, useBias: false, trainable: false, kernelInitializer: 'identity' }).apply(input) as tf.SymbolicTensor;
  const [logits, distances] = new CenterLossHead({ classes: 3, seed: 1 }).apply(features) as tf.SymbolicTensor[];
  const model = tf.model({ inputs: input, outputs: [logits, distances] });
  model.compile({ optimizer: tf.train.adam(0.05), loss: [crossEntropyLoss(), centerLoss({ weight: 0.5 })] });
  await model.fit(x, [y, y], { epochs: 60, batchSize: 20, verbose: 0 });
  const head = model.layers[2] as CenterLossHead;
  const centres = head.centers.read().arraySync() as number[][];
  centres.forEach((c, j) => {
    const distance = Math.hypot(c[0] - means[j][0], c[1] - means[j][1]);
    assert.ok(distance < 0.4, `centre ${j} at (${c}) is ${distance} from the class mean (${means[j]})`);
  });
  const [scores] = model.predict(x) as tf.Tensor[];
  const accuracy = tf.mean(tf.equal(tf.argMax(scores, 1), tf.tensor1d(labels, 'int32')).toFloat()).dataSync()[0];
  assert.ok(accuracy > 0.95, `accuracy ${accuracy}`);
  const loaded = await roundTrip(model);
  const [loadedScores, loadedDistances] = loaded.predict(x) as tf.Tensor[];
  assertClose(loadedScores.dataSync(), scores.dataSync(), 1e-6, 'logits after load');
  assertClose(loadedDistances.dataSync(), (model.predict(x) as tf.Tensor[])[1].dataSync(), 1e-5, 'distances after load');
});

test('validation', () => {
  assert.throws(() => centerLoss({ weight: -1 }), AffinityConfigError);
  assert.throws(() => centerLoss({} as { weight: number }), AffinityConfigError);
  assert.throws(() => centerLoss(undefined as unknown as { weight: number }), AffinityConfigError);
  assert.throws(() => new CenterLossHead({ classes: 1 }), AffinityConfigError);
  assert.throws(() => new CenterLossHead({ classes: 3, seed: 2 ** 53 }), /seed must be an integer in \[0, 2\^53\)/);
  assert.throws(() => new CenterLossHead({ classes: 3, seed: -1 }), AffinityConfigError);
  assert.throws(() => new CenterLossHead({ classes: 3, useBias: 'yes' as unknown as boolean }), AffinityConfigError);
  assert.throws(() => new CenterLossHead({ classes: 3 }).centers, AffinityConfigError);
  assert.throws(() => new CenterLossHead({ classes: 3 }).apply(tf.zeros([2, 2, 2])), ShapeError);
  assert.throws(() => centerLoss({ weight: 1 })(tf.tensor1d([0, 1], 'int32'), tf.zeros([3, 2])), /3 rows|2 rows/);
});
