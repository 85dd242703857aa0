// Every loss on the wasm backend, which lacks the gradient of tf.gather (UnsortedSegmentSum):
// values and gradients must match the cpu backend, and the heads must train.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  CenterLossHead,
  CosineHead,
  DeferredReweighting,
  adjustLogits,
  balancedSoftmaxLoss,
  centerLoss,
  classBalancedLoss,
  crossEntropyLoss,
  focalLoss,
  ldamLoss,
  logitAdjustedLoss,
  weightedCrossEntropyLoss,
  type LossFunction,
} from '../../src/index.js';
import { assertClose } from '../helpers.js';

const counts = [40, 8, 2];
const losses: Array<[string, () => LossFunction]> = [
  ['crossEntropyLoss', () => crossEntropyLoss()],
  ['weightedCrossEntropyLoss', () => weightedCrossEntropyLoss({ counts })],
  ['focalLoss', () => focalLoss({ gamma: 2, alpha: [0.2, 0.5, 1] })],
  ['classBalancedLoss', () => classBalancedLoss({ counts, beta: 0.99, base: 'focal', reduction: 'weightedMean' })],
  ['ldamLoss', () => ldamLoss({ counts, scale: 10, classWeights: [0.5, 1, 2] })],
  ['balancedSoftmaxLoss', () => balancedSoftmaxLoss({ counts })],
  ['logitAdjustedLoss', () => logitAdjustedLoss({ counts, tau: 1.5 })],
  ['centerLoss', () => centerLoss({ weight: 0.3 })],
];
const logits = [[0.2, -0.5, 0.9], [0.7, 0.1, -0.3], [-0.8, 0.4, 0.6], [0.1, 0.2, 0.3]];
const labels = [[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]];

function valueAndGradient(make: () => LossFunction): number[] {
  return tf.tidy(() => {
    const loss = make();
    const y = tf.tensor2d(labels);
    const z = tf.tensor2d(logits);
    return [loss(y, z).dataSync()[0], ...tf.grad((x: tf.Tensor) => loss(y, x))(z).dataSync()];
  });
}

test('every loss gives the same value and gradient on wasm as on cpu; the heads train on wasm', async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const onCpu = losses.map(([, make]) => valueAndGradient(make));
  const adjustedOnCpu = tf.tidy(() => Array.from(adjustLogits(tf.tensor2d(logits), counts, 1).dataSync()));

  assert.ok(await tf.setBackend('wasm'), 'the wasm backend initialises');
  assert.equal(tf.getBackend(), 'wasm');
  losses.forEach(([name, make], k) => assertClose(valueAndGradient(make), onCpu[k], 1e-5, `${name} on wasm`));
  assertClose(tf.tidy(() => adjustLogits(tf.tensor2d(logits), counts, 1).dataSync()), adjustedOnCpu, 1e-6, 'adjustLogits on wasm');

  // LDAM-DRW on a cosine head, then CE + center loss on the center-loss head, each for a few epochs.
  const x = tf.randomNormal([50, 3], 0, 1, 'float32', 17);
  const ids = tf.argMax(tf.matMul(x, tf.tensor2d([[1, 0, -1], [0, 1, 1], [1, -1, 0]])), 1) as tf.Tensor1D;
  const y = tf.oneHot(ids, 3).toFloat();
  const drw = new DeferredReweighting({ counts, startEpoch: 3 });
  const cosine = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [3], units: 6, activation: 'tanh' }), new CosineHead({ classes: 3, seed: 1 })],
  });
  cosine.compile({ optimizer: tf.train.adam(0.05), loss: ldamLoss({ counts, scale: 10, classWeights: drw.weights }) });
  const ldamHistory = (await cosine.fit(x, y, { epochs: 6, batchSize: 25, verbose: 0, callbacks: [drw] })).history.loss as number[];
  assert.equal(drw.active, true);
  assert.ok(ldamHistory.every(Number.isFinite), `LDAM-DRW losses ${ldamHistory}`);
  assert.ok(ldamHistory[2] < ldamHistory[0], `LDAM loss falls before the switch: ${ldamHistory}`);

  const input = tf.input({ shape: [3] });
  const features = tf.layers.dense({ units: 4, activation: 'tanh' }).apply(input) as tf.SymbolicTensor;
  const outputs = new CenterLossHead({ classes: 3, seed: 2 }).apply(features) as tf.SymbolicTensor[];
  const centred = tf.model({ inputs: input, outputs });
  centred.compile({ optimizer: tf.train.adam(0.05), loss: [crossEntropyLoss(), centerLoss({ weight: 0.1 })] });
  const centreHistory = (await centred.fit(x, [y, y], { epochs: 6, batchSize: 25, verbose: 0 })).history.loss as number[];
  assert.ok(centreHistory[centreHistory.length - 1] < centreHistory[0], `center-loss head losses ${centreHistory}`);
  drw.dispose();
});
