import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, DeferredReweighting, crossEntropyLoss, ldamLoss } from '../../src/index.js';
import { classBalancedWeights } from '../../src/losses/classWeights.js';
import { assertClose } from '../helpers.js';
import * as ref from './reference.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

test('weights: ones before startEpoch, class-balanced from it on, set by epoch index only', () => {
  const counts = [100, 10, 2];
  const drw = new DeferredReweighting({ counts, startEpoch: 3, beta: 0.99 });
  const balanced = classBalancedWeights(counts, 0.99);
  assert.deepEqual(Array.from(drw.weights.dataSync()), [1, 1, 1]);
  assert.equal(drw.active, false);
  for (const [epoch, active] of [[0, false], [2, false], [3, true], [7, true], [1, false], [3, true]] as const) {
    drw.setEpoch(epoch);
    assert.equal(drw.active, active, `epoch ${epoch}`);
    assertClose(drw.weights.dataSync(), active ? balanced : [1, 1, 1], 1e-6, `weights at epoch ${epoch}`);
  }
  assert.equal(drw.weights.trainable, false);
  drw.dispose();
});

test('model.fit switches the loss exactly at startEpoch', async () => {
  // Learning rate 0: the logits stay fixed, so each epoch's loss shows which weights were in force.
  const counts = [6, 3, 1];
  const x = tf.tensor2d([[1, 0], [0, 1], [1, 1], [-1, 0.5], [0.3, -2], [2, 1]]);
  const labels = [0, 0, 1, 2, 1, 0];
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 3).toFloat();
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) })] });
  const drw = new DeferredReweighting({ counts, startEpoch: 2, beta: 0.9 });
  model.compile({ optimizer: tf.train.sgd(0), loss: crossEntropyLoss({ classWeights: drw.weights }) });
  const seen: boolean[] = [];
  const history = await model.fit(x, y, {
    epochs: 5,
    batchSize: 6,
    verbose: 0,
    callbacks: [drw, new (class extends tf.Callback {
      override async onEpochEnd(): Promise<void> {
        seen.push(drw.active);
      }
    })()],
  });
  const logits = ref.rows((model.predict(x) as tf.Tensor).dataSync(), 3);
  const perSample = ref.crossEntropyPerSample(logits, labels);
  const w = ref.classBalancedWeights(counts, 0.9);
  const plain = ref.reduce(perSample);
  const weighted = ref.reduce(perSample, labels.map((c) => w[c]));
  assert.ok(Math.abs(plain - weighted) > 0.05, 'the case tells the two losses apart');
  assertClose(history.history.loss as number[], [plain, plain, weighted, weighted, weighted], 1e-5, 'loss per epoch');
  assert.deepEqual(seen, [false, false, true, true, true]);
  drw.dispose();
});

test('LDAM-DRW: the weights variable drives ldamLoss; a custom loop uses setEpoch', () => {
  const counts = [50, 5];
  const drw = new DeferredReweighting({ counts, startEpoch: 1 });
  const loss = ldamLoss({ counts, classWeights: drw.weights });
  const z = tf.tensor2d([[0.3, 0.1], [0.2, 0.4]]);
  const y = tf.tensor1d([1, 1], 'int32');
  drw.setEpoch(0);
  const before = loss(y, z).dataSync()[0];
  drw.setEpoch(1);
  const after = loss(y, z).dataSync()[0];
  // Both samples are of the rare class, so the loss scales by its class-balanced weight.
  assertClose([after], [before * classBalancedWeights(counts, 0.9999)[1]], 1e-5, 'reweighted');
  drw.dispose();
});

test("LDAM-DRW as documented (reduction 'weightedMean') averages like Cao et al.: sum w L / sum w", () => {
  const counts = [50, 5, 2];
  const drw = new DeferredReweighting({ counts, startEpoch: 1, beta: 0.99 });
  const loss = ldamLoss({ counts, classWeights: drw.weights, reduction: 'weightedMean' });
  const z = [[0.3, 0.1, -0.2], [0.2, 0.4, 0.1], [-0.5, 0.2, 0.6], [0.9, -0.1, 0]];
  const labels = [0, 1, 2, 0];
  const perSample = ref.ldamPerSample(z, labels, counts, 0.5, 30);
  const w = ref.classBalancedWeights(counts, 0.99);
  drw.setEpoch(1);
  const value = loss(tf.tensor1d(labels, 'int32'), tf.tensor2d(z)).dataSync()[0];
  const cao = ref.reduce(perSample, labels.map((c) => w[c]), 'weightedMean');
  const byN = ref.reduce(perSample, labels.map((c) => w[c]), 'mean');
  assert.ok(Math.abs(cao - byN) > 0.05 * cao, 'the case tells the two reductions apart');
  assertClose([value], [cao], 1e-5, 'weighted mean');
  drw.dispose();
});

test('no tensor leaks across switches', () => {
  const drw = new DeferredReweighting({ counts: [5, 1], startEpoch: 1 });
  const before = tf.memory().numTensors;
  for (let epoch = 0; epoch < 4; epoch++) drw.setEpoch(epoch % 3);
  assert.equal(tf.memory().numTensors, before);
  drw.dispose();
});

test('validation: counts, startEpoch, beta, epoch', () => {
  assert.throws(() => new DeferredReweighting({ counts: [5, 0], startEpoch: 1 }), AffinityConfigError);
  assert.throws(() => new DeferredReweighting({ counts: [5, 1], startEpoch: -1 }), AffinityConfigError);
  assert.throws(() => new DeferredReweighting({ counts: [5, 1], startEpoch: 1.5 }), AffinityConfigError);
  assert.throws(() => new DeferredReweighting({ counts: [5, 1], startEpoch: 1, beta: 1 }), AffinityConfigError);
  assert.throws(() => new DeferredReweighting(undefined as unknown as { counts: number[]; startEpoch: number }), AffinityConfigError);
  const drw = new DeferredReweighting({ counts: [5, 1], startEpoch: 1 });
  assert.throws(() => drw.setEpoch(-1), AffinityConfigError);
  drw.dispose();
});
