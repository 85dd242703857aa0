import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from 'affinity-loss-node';
import { seededValues } from './reference.js';

const SIZE = 12;
const BATCH = 32;

/**
 * A tiny separable task: class 0 has a bright 4x4 patch in the top-left quadrant, class 1 in
 * the bottom-right, both on seeded noise. One-hot labels.
 */
function batch(seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const noise = seededValues(BATCH * SIZE * SIZE, seed);
  const pixels = new Float32Array(BATCH * SIZE * SIZE);
  const labels = new Float32Array(BATCH * 2);
  for (let n = 0; n < BATCH; n++) {
    const label = n % 2;
    labels[n * 2 + label] = 1;
    const offset = label === 0 ? 1 : SIZE - 5;
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const inPatch = r >= offset && r < offset + 4 && c >= offset && c < offset + 4;
        pixels[(n * SIZE + r) * SIZE + c] = 0.3 * noise[(n * SIZE + r) * SIZE + c] + (inPatch ? 1 : 0);
      }
    }
  }
  return { x: tf.tensor4d(pixels, [BATCH, SIZE, SIZE, 1]), y: tf.tensor2d(labels, [BATCH, 2]) };
}

/**
 * conv-pool-conv-pool-dense. `linear` builds the conv -> batchNorm -> relu form, whose linear
 * conv and dense layers train through tfjs' fused ops (gradients built into the op, which the
 * kernel fixes cover); otherwise the convs carry their relu (plain ops, registered gradients).
 */
function cnn(linear: boolean): tf.LayersModel {
  let seed = 100;
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: seed++ });
  const conv = (filters: number, inputShape?: number[]): tf.layers.Layer[] =>
    linear
      ? [
          tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: init(), inputShape }),
          tf.layers.batchNormalization(),
          tf.layers.reLU(),
        ]
      : [tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(), inputShape })];
  const model = tf.sequential({
    layers: [
      ...conv(4, [SIZE, SIZE, 1]),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      ...conv(8),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return model;
}

before(async () => {
  const info = await useNodeBackend({ quiet: true });
  assert.deepEqual(info, { backend: 'wasm', gradientFixes: true });
});

for (const linear of [false, true]) {
  const form = linear ? 'conv -> batchNorm -> relu (fused ops)' : 'conv with relu';
  test(`wasm with fixes: a small CNN (${form}) trains, and memory stays flat over 20 steps`, async () => {
    const model = cnn(linear);
    const data = [batch(1), batch(2), batch(3)];
    const losses: number[] = [];
    const step = async (i: number): Promise<void> => {
      const { x, y } = data[i % data.length];
      losses.push((await model.trainOnBatch(x, y)) as number);
    };
    await step(0); // warm-up: optimizer slots and batch-norm statistics are created here
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds(); // also counts kernel scratch the engine never sees
    for (let i = 1; i <= 20; i++) {
      await step(i);
      assert.equal(tf.memory().numTensors, tensors, `tensor count changed at step ${i}`);
      assert.equal(tf.backend().numDataIds(), buffers, `backend buffer count changed at step ${i}`);
    }
    for (let i = 21; i < 30; i++) await step(i);
    const first = losses[0];
    const last = losses.slice(-3).reduce((a, b) => a + b, 0) / 3;
    assert.ok(losses.every(Number.isFinite), `losses: ${losses}`);
    assert.ok(last < 0.5 * first, `loss fell from ${first.toFixed(3)} to only ${last.toFixed(3)}`);
    model.dispose();
    for (const { x, y } of data) tf.dispose([x, y]);
  });
}

test('wasm with fixes: an optimizer.minimize loop on a conv + matMul model is leak-free', () => {
  const { x, y } = batch(4);
  const w1 = tf.variable(tf.mul(tf.tensor(seededValues(3 * 3 * 1 * 6, 5), [3, 3, 1, 6]), 0.3));
  const w2 = tf.variable(tf.mul(tf.tensor(seededValues(6 * 6 * 6 * 2, 6), [6 * 6 * 6, 2]), 0.05));
  const optimizer = tf.train.sgd(0.1);
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const h = tf.maxPool(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, 'same')), 2, 2, 'valid');
      const logits = tf.matMul(tf.reshape(h, [BATCH, -1]), w2);
      return tf.losses.softmaxCrossEntropy(y, logits);
    });
  const costs: number[] = [];
  const step = (): void => {
    const cost = optimizer.minimize(loss, true);
    costs.push(cost?.dataSync()[0] ?? NaN);
    cost?.dispose();
  };
  step();
  const tensors = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    step();
    assert.equal(tf.memory().numTensors, tensors, `tensor count changed at step ${i + 1}`);
  }
  assert.ok(costs[costs.length - 1] < costs[0], `cost did not fall: ${costs[0]} -> ${costs[costs.length - 1]}`);
  tf.dispose([x, y, w1, w2]);
  optimizer.dispose();
});
