import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installGradientFixes, removeGradientFixes } from 'affinity-loss-node';
import { TOLERANCE, relativeError, seeded, valuesOn } from './reference.js';

interface NormCase {
  name: string;
  input: number[];
  /** Whether there is a scale (gamma): tfjs 4.22 cannot differentiate a batchNorm without one. */
  scale: boolean;
  /** 'given': mean and variance are inputs of their own; 'batch': the batch's moments, as a BatchNorm layer trains. */
  statistics: 'given' | 'batch';
  /** Parameters shaped like x (broadcast batch norm): left to the stock gradient. */
  full?: boolean;
}

const cases: NormCase[] = [
  { name: '2-D, given statistics', input: [6, 5], scale: true, statistics: 'given' },
  { name: '2-D, batch statistics (a BatchNorm layer training)', input: [8, 4], scale: true, statistics: 'batch' },
  { name: '4-D NHWC, batch statistics', input: [2, 3, 4, 5], scale: true, statistics: 'batch' },
  { name: '4-D NHWC, given statistics', input: [2, 3, 3, 4], scale: true, statistics: 'given' },
  { name: '3-D, given statistics', input: [3, 4, 6], scale: true, statistics: 'given' },
  { name: 'parameters shaped like x', input: [3, 4], scale: true, statistics: 'given', full: true },
];

/** Gradients of L = sum(batchNorm(x) * g) with respect to x, mean, variance, scale and offset. */
function normGradients(c: NormCase): tf.Tensor[] {
  const channels = c.input[c.input.length - 1];
  const paramShape = c.full ? c.input : [channels];
  const x = seeded(c.input, 11);
  const mean = seeded(paramShape, 12);
  const variance = tf.add(tf.abs(seeded(paramShape, 13)), 0.5);
  const scale = tf.add(seeded(paramShape, 14), 1);
  const offset = seeded(paramShape, 15);
  const g = seeded(c.input, 16);
  const axes = c.input.slice(0, -1).map((_, i) => i);
  // Only the inputs the loss uses: with batch statistics the given mean and variance are not.
  const inputs: Record<string, tf.Tensor> = c.statistics === 'batch' ? { x, offset } : { x, mean, variance, offset };
  if (c.scale) inputs.scale = scale;
  const names = Object.keys(inputs);
  const loss = (...values: tf.Tensor[]): tf.Scalar => {
    const v = Object.fromEntries(names.map((name, i) => [name, values[i]]));
    const moments = c.statistics === 'batch' ? tf.moments(v.x, axes) : { mean: v.mean, variance: v.variance };
    const y = tf.batchNorm(v.x, moments.mean, moments.variance, v.offset, v.scale, 1e-3);
    return tf.sum(tf.mul(y, g));
  };
  return tf.grads(loss)(names.map((name) => inputs[name]));
}

const stock = new Map<string, Float32Array[]>();

before(async () => {
  tf.enableProdMode();
  removeGradientFixes();
  for (const c of cases) stock.set(c.name, await valuesOn('cpu', () => normGradients(c)));
  installGradientFixes();
});

test('the fixes replace the FusedBatchNorm gradient', () => {
  removeGradientFixes();
  const stockConfig = tf.getGradient(tf.FusedBatchNorm);
  installGradientFixes();
  assert.notEqual(tf.getGradient(tf.FusedBatchNorm), stockConfig);
});

for (const backend of ['cpu', 'wasm']) {
  test(`${backend} with fixes: batch-norm gradients (x, mean, variance, scale, offset) equal stock`, async () => {
    for (const c of cases) {
      const actual = await valuesOn(backend, () => normGradients(c));
      const expected = stock.get(c.name) ?? [];
      assert.equal(actual.length, expected.length, c.name);
      actual.forEach((values, i) => {
        const error = relativeError(values, expected[i]);
        assert.ok(error <= TOLERANCE, `${backend} ${c.name}: gradient ${i} differs from stock by ${error.toExponential(2)} (relative)`);
      });
    }
  });
}

test('wasm with fixes: a BatchNorm layer trains to the same weights as stock cpu', async () => {
  const train = async (): Promise<Float32Array[]> => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 6, inputShape: [5], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.batchNormalization(),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const [x, y] = [seeded([16, 5], 21), seeded([16, 3], 22)];
    for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    model.dispose();
    tf.dispose([x, y]);
    return weights;
  };
  removeGradientFixes();
  await tf.setBackend('cpu');
  const expected = await train();
  installGradientFixes();
  await tf.setBackend('wasm');
  const actual = await train();
  // Entry by entry, to 1e-5 absolute: the first layer's bias, which the BatchNorm after it makes
  // irrelevant, has a zero gradient and stays at float32 noise, where a relative error means nothing.
  actual.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - expected[i][j]) <= 1e-5, `weight ${i}[${j}]: ${v} vs ${expected[i][j]}`)));
});
