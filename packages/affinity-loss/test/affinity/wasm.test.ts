// The affinity head on the wasm backend with the Node fixes (the backend users train on in
// Node): values and gradients of the fused ops equal the cpu backend's, and a model trains.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { GaussianAffinity, affinityLoss, diversity, gaussianAffinity, maxMarginLoss } from '../../src/index.js';
import { useNodeBackend } from 'affinity-loss-node';
import { normRelativeError } from '../helpers.js';

/** Loss (hinge + diversity, both regularizer forms) and its gradients, as flat arrays. */
function valueAndGradients(f: Float32Array, w: Float32Array, reduction: 'mean' | 'sum', squared: boolean): number[][] {
  return tf.tidy(() => {
    const features = tf.tensor2d(f, [12, 6]);
    const prototypes = tf.tensor3d(w, [4, 3, 6]);
    const labels = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32');
    const total = (a: tf.Tensor, b: tf.Tensor) =>
      tf.add(maxMarginLoss(labels, gaussianAffinity(a as tf.Tensor2D, b as tf.Tensor3D, 8), 0.5), diversity(b, { reduction, squared })) as tf.Scalar;
    const { value, grads } = tf.valueAndGrads(total)([features, prototypes]);
    return [Array.from(value.dataSync()), Array.from(grads[0].dataSync()), Array.from(grads[1].dataSync())];
  });
}

test('fused affinity, hinge and diversity: wasm equals cpu, value and gradients', async () => {
  const f = Float32Array.from({ length: 72 }, (_, i) => Math.sin(i * 1.7) * 1.5);
  const w = Float32Array.from({ length: 72 }, (_, i) => Math.cos(i * 0.9) * 1.5);
  // (squared, K = 12 > d = 6) takes the moment form, unsquared the distance-matrix form.
  const cases = [['mean', true], ['sum', false]] as const;
  await tf.setBackend('cpu');
  const expected = cases.map(([reduction, squared]) => valueAndGradients(f, w, reduction, squared));
  const { backend } = await useNodeBackend({ prefer: 'wasm', quiet: true });
  assert.equal(backend, 'wasm');
  cases.forEach(([reduction, squared], i) => {
    const actual = valueAndGradients(f, w, reduction, squared);
    assert.ok(expected[i][1].some((g) => Math.abs(g) > 1e-3), 'the case has a feature gradient');
    for (let part = 0; part < 3; part++) {
      const error = normRelativeError(actual[part], expected[i][part]);
      assert.ok(error < 1e-5, `${reduction}/${squared ? 'squared' : 'unsquared'} part ${part}: ${error}`);
    }
  });
});

test('a GaussianAffinity model trains on wasm, memory flat', async () => {
  await useNodeBackend({ prefer: 'wasm', quiet: true });
  const x = tf.tensor2d(Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i * 0.37) + (i % 4 === Math.floor(i / 4) % 4 ? 3 : 0)), [64, 4]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 4), 'int32'), 4).toFloat();
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 16, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      tf.layers.batchNormalization(),
      new GaussianAffinity({ classes: 4, prototypesPerClass: 3, sigma: 16, seed: 3 }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.03), loss: affinityLoss({ margin: 0.4 }) });
  const first = (await model.trainOnBatch(x, y)) as number;
  const tensors = tf.memory().numTensors;
  let last = first;
  for (let step = 0; step < 30; step++) last = (await model.trainOnBatch(x, y)) as number;
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  assert.ok(last < 0.5 * first, `loss fell from ${first} to ${last}`);
});
