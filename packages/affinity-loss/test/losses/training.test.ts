import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  CosineHead,
  balancedSoftmaxLoss,
  classBalancedLoss,
  crossEntropyLoss,
  focalLoss,
  ldamLoss,
  logitAdjustedLoss,
  weightedCrossEntropyLoss,
  type LossFunction,
} from '../../src/index.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

// An imbalanced 3-class problem, 45 / 12 / 3 samples, separable by a linear map.
const counts = [45, 12, 3];
const labels = counts.flatMap((n, c) => Array<number>(n).fill(c));
const centres = [[1.5, 0], [-1, 1.5], [-1, -1.5]];

function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const noise = tf.randomNormal([labels.length, 2], 0, 0.4, 'float32', 13);
    const x = tf.add(tf.tensor2d(labels.map((c) => centres[c])), noise) as tf.Tensor2D;
    return { x, y: tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat() as tf.Tensor2D };
  });
}

function model(cosine = false): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [2], units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
      cosine ? new CosineHead({ classes: 3, seed: 6 }) : tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }),
    ],
  });
}

const losses: Array<[string, () => LossFunction, boolean]> = [
  ['crossEntropyLoss', () => crossEntropyLoss(), false],
  ['weightedCrossEntropyLoss', () => weightedCrossEntropyLoss({ counts }), false],
  ['focalLoss', () => focalLoss({ gamma: 2, alpha: [0.25, 0.5, 1] }), false],
  ['classBalancedLoss (CE)', () => classBalancedLoss({ counts, beta: 0.99 }), false],
  ['classBalancedLoss (focal)', () => classBalancedLoss({ counts, beta: 0.99, base: 'focal' }), false],
  ['balancedSoftmaxLoss', () => balancedSoftmaxLoss({ counts }), false],
  ['logitAdjustedLoss', () => logitAdjustedLoss({ counts, tau: 1 }), false],
  ['ldamLoss', () => ldamLoss({ counts, scale: 10 }), true],
];

for (const [name, make, cosine] of losses) {
  test(`${name} trains with model.compile / model.fit and learns every class`, async () => {
    const { x, y } = data();
    const m = model(cosine);
    m.compile({ optimizer: tf.train.adam(0.05), loss: make() });
    const history = await m.fit(x, y, { epochs: 40, batchSize: 20, verbose: 0 });
    const loss = history.history.loss as number[];
    assert.ok(loss[loss.length - 1] < 0.5 * loss[0], `loss ${loss[0]} -> ${loss[loss.length - 1]}`);
    const predicted = tf.tidy(() => Array.from(tf.argMax(m.predict(x) as tf.Tensor, 1).dataSync()));
    for (let c = 0; c < 3; c++) {
      const recall = labels.filter((l, i) => l === c && predicted[i] === c).length / counts[c];
      assert.ok(recall >= 2 / 3, `${name}: recall of class ${c} is ${recall}`);
    }
    tf.dispose([x, y]);
    m.dispose();
  });

  test(`${name}: a custom training loop keeps the tensor count flat`, () => {
    const { x, y } = data();
    const m = model(cosine);
    const loss = make();
    const optimizer = tf.train.adam(0.01);
    const step = () => tf.dispose(optimizer.minimize(() => loss(y, m.apply(x) as tf.Tensor), true) ?? []);
    step(); // creates the optimizer's slots
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    optimizer.dispose();
    tf.dispose([x, y]);
    m.dispose();
  });
}
