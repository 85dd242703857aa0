import assert from 'node:assert/strict';
import { afterEach, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { WasmTrainingError } from '../src/errors.js';
import { installGradientFixes, removeGradientFixes } from 'affinity-loss-node';
import { installKernelFixes, removeKernelFixes } from '../src/kernelFixes.js';
import { relativeError, seeded, TOLERANCE } from './reference.js';
import { assertNoGrowth } from '../../affinity-loss/test/helpers.js';

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('wasm');
});

afterEach(() => installGradientFixes());

/**
 * A linear conv layer trains through tf.fused.conv2d, whose gradient calls the backprop kernels
 * directly. Two steps: the second loss is computed with the weights the first step's gradient
 * moved, so it (and the final conv kernel) show whether that gradient was right.
 */
async function trainLinearConv(): Promise<{ losses: number[]; kernel: Float32Array }> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
  const [x, y] = [seeded([2, 6, 6, 1], 3), seeded([2, 2], 4)];
  try {
    const losses = [(await model.trainOnBatch(x, y)) as number, (await model.trainOnBatch(x, y)) as number];
    return { losses, kernel: model.layers[0].getWeights()[0].dataSync() as Float32Array };
  } finally {
    model.dispose();
    tf.dispose([x, y]);
  }
}

test('the registered gradients alone cannot train a linear conv layer on wasm; the kernel fixes train it as stock cpu does', async () => {
  // The reference: stock tfjs on cpu, with neither the gradient nor the kernel fixes.
  removeKernelFixes();
  removeGradientFixes();
  await tf.setBackend('cpu');
  const reference = await trainLinearConv();
  await tf.setBackend('wasm');
  installGradientFixes();
  removeKernelFixes(); // the registered gradients stay: only the kernels go
  await assert.rejects(trainLinearConv(), /Conv2DBackpropFilter' not registered for backend 'wasm'/);
  installKernelFixes();
  const fixed = await trainLinearConv();
  assert.ok(Math.abs(reference.losses[1] - reference.losses[0]) > 1e-3, 'the first step changes the loss');
  assert.ok(relativeError(fixed.losses, reference.losses) < TOLERANCE, `losses ${fixed.losses} vs cpu ${reference.losses}`);
  assert.ok(relativeError(fixed.kernel, reference.kernel) < TOLERANCE, 'conv kernel after two steps, against cpu');
});

test('installKernelFixes is idempotent and removeKernelFixes restores the original kernels', () => {
  removeGradientFixes();
  const originalMatMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  const originalInput = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  const originalCpuFilter = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu');
  assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), undefined, 'stock wasm has no filter-gradient kernel');

  const patched = installKernelFixes();
  assert.deepEqual(patched.sort(), [
    'cpu/Conv2DBackpropFilter',
    'wasm/BatchMatMul',
    'wasm/Cast',
    'wasm/Conv2DBackpropFilter',
    'wasm/Conv2DBackpropInput',
    'wasm/Identity',
    'wasm/Mean',
    'wasm/Sum',
  ]);
  const ours = tf.getKernel(tf.BatchMatMul, 'wasm');
  assert.notEqual(ours, originalMatMul);
  assert.equal(ours.setupFunc, originalMatMul.setupFunc, 'the wrapped kernel keeps its setup hook');
  installKernelFixes();
  assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm'), ours, 'a second install changes nothing');

  removeKernelFixes();
  assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm'), originalMatMul);
  assert.equal(tf.getKernel(tf.Conv2DBackpropInput, 'wasm'), originalInput);
  assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'cpu'), originalCpuFilter);
  assert.equal(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm'), undefined);
});

test('kernel fixes free their scratch buffers: repeated calls leave the wasm buffer count flat', () => {
  installGradientFixes();
  const x = seeded([2, 9, 9, 3], 5) as tf.Tensor4D;
  const w = seeded([3, 3, 3, 4], 6) as tf.Tensor4D;
  const dy = seeded([2, 5, 5, 4], 7) as tf.Tensor4D;
  const a = seeded([7, 5], 8);
  const b = seeded([6, 7], 9);
  const run = (): void =>
    tf.dispose([
      tf.conv2dTranspose(dy, w, x.shape, 2, 'same'), // Conv2DBackpropInput
      tf.grad((f: tf.Tensor) => tf.sum(tf.fused.conv2d({ x, filter: f as tf.Tensor4D, strides: 2, pad: 'same' })))(w), // Conv2DBackpropFilter
      tf.matMul(a, b, true, true), // BatchMatMul with both flags
    ]);
  assertNoGrowth(run, 10);
  tf.dispose([x, w, dy, a, b]);
});

test('what the wasm filter-gradient kernel does not cover fails with an error that says so', () => {
  installGradientFixes();
  const x = tf.ones([1, 2, 6, 6]);
  const dy = tf.ones([1, 3, 6, 6]);
  const attrs = { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 3] };
  assert.throws(
    () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, attrs as unknown as tf.NamedAttrMap),
    (e: Error) => e instanceof WasmTrainingError && /NHWC convolutions without dilation; got dataFormat NCHW/.test(e.message),
  );
  tf.dispose([x, dy]);
});
