import assert from 'node:assert/strict';
import { afterEach, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { gradientFixesInstalled, installGradientFixes, removeGradientFixes } from 'affinity-loss-node';
import { ADAM_UPDATE } from '../src/adamUpdate.js';
import { relativeError, seeded } from './reference.js';
import { assertNoGrowth } from '../../affinity-loss/test/helpers.js';

// Sizes 5, 12, 2000 and 42: the SIMD loop takes four entries at a time, so 5 and 42 also exercise its tail.
const SHAPES = [[5], [3, 4], [40, 50], [2, 3, 7]];

interface Run {
  values: Float32Array[];
  /** The optimizer's saved state: iteration count and moments, by name. */
  state: Array<{ name: string; values: Float32Array }>;
}

/**
 * Five Adam steps on seeded variables and gradients, with the learning rate changed after the
 * second (as the trainer's schedules do) and, in the list form, no gradient for the last variable
 * at the third step.
 */
async function adamSteps(form: 'map' | 'list'): Promise<Run> {
  const variables = SHAPES.map((shape, i) => tf.variable(seeded(shape, 100 + i)));
  const optimizer: tf.Optimizer = tf.train.adam(0.05, 0.9, 0.999, 1e-8);
  for (let step = 0; step < 5; step++) {
    if (step === 2) (optimizer as unknown as { learningRate: number }).learningRate = 0.02;
    const grads = variables.map((v, i) => tf.mul(seeded(v.shape, 200 + 10 * step + i), step + 1));
    if (form === 'map') {
      optimizer.applyGradients(Object.fromEntries(variables.map((v, i) => [v.name, grads[i]])));
    } else {
      const list = variables.map((v, i) => ({ name: v.name, tensor: grads[i] }));
      if (step === 2) list[list.length - 1].tensor = null as unknown as tf.Tensor;
      optimizer.applyGradients(list);
    }
    tf.dispose(grads);
  }
  const values = variables.map((v) => v.dataSync() as Float32Array);
  const state = (await optimizer.getWeights()).map((w) => ({ name: w.name.replace(/^.*?(\/[mv])$/, 'variable$1'), values: w.tensor.dataSync() as Float32Array }));
  optimizer.dispose();
  tf.dispose(variables);
  return { values, state };
}

function assertSameRun(actual: Run, expected: Run, what: string): void {
  actual.values.forEach((v, i) => {
    const error = relativeError(v, expected.values[i]);
    assert.ok(error < 1e-6, `${what}: variable ${i} differs from stock by ${error.toExponential(2)}`);
  });
  assert.deepEqual(actual.state.map((s) => s.name), expected.state.map((s) => s.name), `${what}: optimizer state names`);
  actual.state.forEach((s, i) => assert.ok(relativeError(s.values, expected.state[i].values) < 1e-6, `${what}: state ${s.name}`));
}

const stock = new Map<string, Run>();

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('wasm');
  removeGradientFixes();
  for (const form of ['map', 'list'] as const) stock.set(form, await adamSteps(form));
  installGradientFixes();
});

afterEach(() => installGradientFixes());

test('the fixes patch Adam, and removing them restores the stock update', () => {
  assert.ok(gradientFixesInstalled());
  const patched = tf.AdamOptimizer.prototype.applyGradients;
  removeGradientFixes();
  assert.notEqual(tf.AdamOptimizer.prototype.applyGradients, patched);
  assert.ok(!gradientFixesInstalled());
  installGradientFixes();
  installGradientFixes();
  assert.equal(tf.AdamOptimizer.prototype.applyGradients, patched, 'installing twice patches once');
});

for (const form of ['map', 'list'] as const) {
  test(`wasm with fixes: Adam (${form} of gradients) gives the stock weights and optimizer state`, async () => {
    await tf.setBackend('wasm');
    const calls = countKernelCalls();
    const fused = await adamSteps(form);
    assert.ok(calls.count() >= 5 * SHAPES.length - 1, `the fused kernel ran (${calls.count()} calls)`);
    calls.restore();
    const expected = stock.get(form);
    assert.ok(expected !== undefined);
    const initial = tf.tidy(() => seeded(SHAPES[2], 102).dataSync() as Float32Array);
    assert.ok(relativeError(expected.values[2], initial) > 1e-3, 'the steps move the weights');
    assertSameRun(fused, expected, form);
  });
}

test('cpu with fixes: the patched method hands over to tfjs\' own update', async () => {
  await tf.setBackend('cpu');
  const calls = countKernelCalls();
  const run = await adamSteps('map');
  assert.equal(calls.count(), 0, 'no fused kernel on cpu');
  calls.restore();
  assertSameRun(run, stock.get('map')!, 'cpu');
  await tf.setBackend('wasm');
});

test('wasm with fixes: setWeights restores a saved Adam state, and the next steps match stock', async () => {
  await tf.setBackend('wasm');
  const continueFrom = async (): Promise<Float32Array> => {
    const v = tf.variable(seeded([30, 40], 7));
    const first: tf.Optimizer = tf.train.adam(0.01);
    for (let i = 0; i < 3; i++) first.applyGradients({ [v.name]: seeded([30, 40], 8 + i) });
    const saved = await first.getWeights();
    const second: tf.Optimizer = tf.train.adam(0.01);
    await second.setWeights(saved);
    for (let i = 0; i < 2; i++) second.applyGradients({ [v.name]: seeded([30, 40], 20 + i) });
    const values = v.dataSync() as Float32Array;
    first.dispose();
    second.dispose();
    v.dispose();
    return values;
  };
  removeGradientFixes();
  const expected = await continueFrom();
  installGradientFixes();
  assert.ok(relativeError(await continueFrom(), expected) < 1e-6);
});

test('wasm with fixes: Adam steps leave no tensor or buffer behind', async () => {
  await tf.setBackend('wasm');
  const variables = SHAPES.map((shape, i) => tf.variable(seeded(shape, 300 + i)));
  const grads = Object.fromEntries(variables.map((v, i) => [v.name, seeded(v.shape, 400 + i)]));
  const optimizer: tf.Optimizer = tf.train.adam(0.01);
  // The first call creates the moment slots.
  assertNoGrowth(() => optimizer.applyGradients(grads), 5);
  optimizer.dispose();
  tf.dispose([...variables, ...Object.values(grads)]);
});

/** Counts calls of the fused kernel on wasm until `restore`. */
function countKernelCalls(): { count: () => number; restore: () => void } {
  const config = tf.getKernel(ADAM_UPDATE, 'wasm');
  assert.ok(config !== undefined, 'the fused kernel is registered');
  let calls = 0;
  tf.unregisterKernel(ADAM_UPDATE, 'wasm');
  tf.registerKernel({ ...config, kernelFunc: (args) => (calls++, config.kernelFunc(args)) });
  return {
    count: () => calls,
    restore: () => {
      tf.unregisterKernel(ADAM_UPDATE, 'wasm');
      tf.registerKernel(config);
    },
  };
}
