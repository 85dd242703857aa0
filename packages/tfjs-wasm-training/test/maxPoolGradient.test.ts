import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installGradientFixes, removeGradientFixes } from 'affinity-loss-node';
import { TOLERANCE, relativeError, seeded, valuesOn } from './reference.js';

interface PoolCase {
  input: [number, number, number, number];
  pool: number | [number, number];
  stride: number | [number, number];
  pad: 'same' | 'valid';
  /** Apply a ReLU before pooling, so that many windows are all zeros (tied maxima). */
  relu?: boolean;
}

const cases: PoolCase[] = [
  { input: [2, 8, 8, 3], pool: 2, stride: 2, pad: 'valid' },
  { input: [3, 6, 10, 1], pool: 2, stride: 2, pad: 'same' }, // evenly divisible: no padding
  { input: [1, 7, 9, 4], pool: 2, stride: 2, pad: 'valid' }, // last row and column belong to no window
  { input: [2, 9, 9, 2], pool: 3, stride: 3, pad: 'valid' }, // factor 3: upsampling must stay exact
  { input: [2, 8, 9, 2], pool: [2, 3], stride: [2, 3], pad: 'valid' },
  { input: [2, 8, 8, 3], pool: 3, stride: 2, pad: 'valid' }, // overlapping windows
  { input: [2, 9, 7, 2], pool: [3, 2], stride: [2, 1], pad: 'valid' },
  { input: [2, 7, 7, 3], pool: 2, stride: 2, pad: 'same' }, // padded windows, disjoint
  { input: [1, 8, 7, 2], pool: 3, stride: 3, pad: 'same' }, // padded on both sides
  { input: [1, 7, 7, 1], pool: 3, stride: 2, pad: 'same' }, // padded and overlapping
  { input: [2, 4, 5, 2], pool: 3, stride: 1, pad: 'same' },
  { input: [4, 8, 8, 5], pool: 2, stride: 2, pad: 'valid', relu: true },
  { input: [4, 9, 9, 5], pool: 3, stride: 2, pad: 'same', relu: true },
];
const label = (c: PoolCase): string => `input (${c.input}) pool ${c.pool} stride ${c.stride} ${c.pad}${c.relu ? ' after relu' : ''}`;

/** dL/dx of L = sum(maxPool(f(x)) * g), f = relu or identity. */
function poolGradient(c: PoolCase): tf.Tensor[] {
  const x = seeded(c.input, 41) as tf.Tensor4D;
  const pooled = (v: tf.Tensor4D): tf.Tensor4D => tf.maxPool(c.relu ? tf.relu(v) : v, c.pool, c.stride, c.pad);
  const g = seeded(pooled(x).shape, 42);
  return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(pooled(v as tf.Tensor4D), g)))(x)];
}

const stock = new Map<string, Float32Array[]>();

before(async () => {
  tf.enableProdMode();
  removeGradientFixes();
  for (const c of cases) stock.set(label(c), await valuesOn('cpu', () => poolGradient(c)));
  installGradientFixes();
});

test('the fixes replace the MaxPool gradient', () => {
  const ours = tf.getGradient(tf.MaxPool);
  removeGradientFixes();
  assert.notEqual(tf.getGradient(tf.MaxPool), ours);
  installGradientFixes();
});

for (const backend of ['cpu', 'wasm']) {
  test(`${backend} with fixes: maxPool gradients equal stock (2x2/2, 3x3/3, 2x3, remainders, padding, overlap, relu ties)`, async () => {
    for (const c of cases) {
      const [actual] = await valuesOn(backend, () => poolGradient(c));
      const [expected] = stock.get(label(c)) ?? [];
      const error = relativeError(actual, expected);
      assert.ok(error <= TOLERANCE, `${backend} ${label(c)}: dx differs from stock by ${error.toExponential(2)} (relative)`);
    }
  });
}

test('stock wasm drops the gradient of windows whose maximum is <= 0, hence the rewrite there', async () => {
  // All-negative input: every window of the stock wasm kernel loses its gradient (tfjs 4.22).
  const negative = (): tf.Tensor[] => {
    const x = tf.sub(tf.abs(seeded([1, 6, 6, 1], 51)), 10) as tf.Tensor4D;
    return [tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 3, 2, 'valid')))(x)];
  };
  const [expected] = await valuesOn('cpu', negative);
  const [fixed] = await valuesOn('wasm', negative);
  assert.ok(relativeError(fixed, expected) <= TOLERANCE, 'with the fixes, wasm agrees with cpu');
  removeGradientFixes();
  try {
    const [stockWasm] = await valuesOn('wasm', negative);
    assert.ok(relativeError(stockWasm, expected) > 0.5, 'stock wasm MaxPoolGrad disagrees with cpu on all-negative windows');
  } finally {
    installGradientFixes();
  }
});

test('ties inside a window: every tied element gets the gradient (documented difference from stock)', async () => {
  // One 2x2 window holding 1, 1, 0, 1: the maximum is reached three times.
  const [dx] = await valuesOn('wasm', () => [
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'), 5)))(tf.tensor4d([1, 1, 0, 1], [1, 2, 2, 1])),
  ]);
  assert.deepEqual(Array.from(dx), [5, 5, 0, 5]);
});
