// The wasm kernels that replace a copy with a shared buffer (copyFreeKernels.ts) and a transposing
// row reduction with an average pooling (rowReductions.ts).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installGradientFixes, removeGradientFixes } from 'affinity-loss-node';
import { relativeError, seeded, valuesOn } from './reference.js';
import { assertNoGrowth } from '../../affinity-loss/test/helpers.js';

interface ReductionCase {
  shape: number[];
  axis: number | number[] | null;
  keepDims: boolean;
}

// Leading axes of tensors of 64k entries and more (the rewritten case), 2-D to 4-D, with and
// without keepDims, one of 100352 rows (a conv bias gradient: long sums); and what the rewrite
// leaves to the stock kernel: small tensors, innermost axes, every axis, axes in the middle.
const reductions: ReductionCase[] = [
  { shape: [2000, 40], axis: 0, keepDims: false },
  { shape: [300, 4, 60], axis: [1, 0], keepDims: true },
  { shape: [300, 4, 60], axis: -3, keepDims: false },
  { shape: [7, 5], axis: 0, keepDims: false },
  { shape: [7, 5], axis: [0], keepDims: true },
  { shape: [3, 4, 5, 6], axis: [0, 1, 2], keepDims: false },
  { shape: [3, 4, 5, 6], axis: [1, 0], keepDims: true },
  { shape: [3, 4, 5, 6], axis: 0, keepDims: false },
  { shape: [128, 28, 28, 32], axis: [0, 1, 2], keepDims: false },
  // Wide rows: a pooling window over 16k channels or more overflowed the wasm stack (XNNPACK's
  // buffer for windows of more than 9 rows is sized by the channels) and corrupted the heap.
  { shape: [128, 20000], axis: 0, keepDims: false },
  { shape: [12, 500, 256], axis: 0, keepDims: true },
  { shape: [16, 16411], axis: 0, keepDims: false },
  { shape: [7, 5], axis: 1, keepDims: false },
  { shape: [7, 5], axis: null, keepDims: false },
  { shape: [3, 4, 5, 6], axis: [1, 2], keepDims: true },
  { shape: [3, 4, 5], axis: -3, keepDims: false },
];
const label = (c: ReductionCase): string => `(${c.shape}) axis ${JSON.stringify(c.axis)}${c.keepDims ? ' keepDims' : ''}`;

/** Sum and mean of seeded values shifted to mean 1, so that long sums would show a drift. */
function reduce(c: ReductionCase): tf.Tensor[] {
  const x = tf.add(seeded(c.shape, 7), 1);
  const axis = c.axis ?? undefined;
  return [tf.sum(x, axis, c.keepDims), tf.mean(x, axis, c.keepDims)];
}

const stock = new Map<string, Float32Array[]>();
const stockShapes = new Map<string, number[][]>();

before(async () => {
  tf.enableProdMode();
  removeGradientFixes();
  for (const c of reductions) {
    stock.set(label(c), await valuesOn('cpu', () => reduce(c)));
    stockShapes.set(label(c), tf.tidy(() => reduce(c).map((t) => t.shape)));
  }
  await tf.setBackend('wasm');
  installGradientFixes();
});

test('wasm with fixes: sums and means equal stock cpu in value and shape, leading axes or not', async () => {
  for (const c of reductions) {
    const [sum, mean] = await valuesOn('wasm', () => reduce(c));
    const [expectedSum, expectedMean] = stock.get(label(c)) ?? [];
    // Float32 sums of 100352 terms differ by their rounding: 1e-5 relative, as the stock kernels among themselves.
    assert.ok(relativeError(sum, expectedSum) < 1e-5, `sum ${label(c)}: ${relativeError(sum, expectedSum)}`);
    assert.ok(relativeError(mean, expectedMean) < 1e-5, `mean ${label(c)}: ${relativeError(mean, expectedMean)}`);
    assert.deepEqual(tf.tidy(() => reduce(c).map((t) => t.shape)), stockShapes.get(label(c)), `shapes ${label(c)}`);
  }
});

test('wasm with fixes: an int32 sum over rows stays exact and int32 (left to the stock kernel)', async () => {
  await tf.setBackend('wasm');
  const x = tf.tensor2d([16777217, 1, 2, 3], [2, 2], 'int32'); // 2^24 + 1: not a float32
  const total = tf.sum(x, 0);
  assert.equal(total.dtype, 'int32');
  assert.deepEqual(Array.from(total.dataSync()), [16777219, 4]);
  tf.dispose([x, total]);
});

test('wasm with fixes: clone and same-dtype cast share the buffer, and it outlives the original', async () => {
  await tf.setBackend('wasm');
  const buffers = tf.backend().numDataIds();
  const x = tf.tensor1d([1.5, -2, 3]);
  const copies = [tf.clone(x), tf.cast(x, 'float32')];
  assert.equal(tf.backend().numDataIds(), buffers + 1, 'no new buffer for clone or cast');
  const asInt = tf.cast(x, 'int32'); // a real conversion still converts
  assert.deepEqual(Array.from(asInt.dataSync()), [1, -2, 3]);
  x.dispose();
  for (const copy of copies) assert.deepEqual(Array.from(copy.dataSync()), [1.5, -2, 3]);
  tf.dispose([...copies, asInt]);
  assert.equal(tf.backend().numDataIds(), buffers, 'the shared buffer is freed with its last tensor');
  const bools = tf.tensor1d([1, 0, 1], 'bool');
  assert.deepEqual(Array.from(tf.cast(bools, 'float32').dataSync()), [1, 0, 1]);
  const strings = tf.tensor1d(['a', 'b'], 'string');
  assert.deepEqual(tf.clone(strings).arraySync(), ['a', 'b']);
  tf.dispose([bools, strings]);
});

test('wasm with fixes: a training step through reductions and clones frees every buffer it makes', async () => {
  await tf.setBackend('wasm');
  const w = tf.variable(seeded([12, 6], 3));
  const x = seeded([64, 16, 16, 12], 4); // large enough for the pooling form
  const step = (): void => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.matMul(tf.sub(tf.reshape(x, [-1, 12]), tf.mean(x, [0, 1, 2])), w))) as tf.Scalar);
    tf.dispose([value, ...Object.values(grads)]);
  };
  assertNoGrowth(step, 5);
  tf.dispose([w, x]);
});

test('removing the fixes restores the stock kernels, which copy', async () => {
  await tf.setBackend('wasm');
  removeGradientFixes();
  try {
    const x = tf.tensor1d([1, 2]);
    const buffers = tf.backend().numDataIds();
    const copy = tf.clone(x);
    assert.equal(tf.backend().numDataIds(), buffers + 1, 'stock wasm Identity copies');
    tf.dispose([x, copy]);
  } finally {
    installGradientFixes();
  }
});

test('wasm with fixes: a large sum over rows takes every row, a small one stays exact', async () => {
  // Rows 0..R-1 hold 1..R, so each column sums to R(R+1)/2: a window one row short would miss R.
  await tf.setBackend('wasm');
  const columnsOf = (rows: number, columns: number): tf.Tensor => tf.tile(tf.reshape(tf.range(1, rows + 1), [rows, 1]), [1, columns]);
  const large = columnsOf(1000, 100); // 100k entries: the pooling form, exact to float32 rounding
  for (const v of tf.sum(large, 0).dataSync()) assert.ok(Math.abs(v - 500500) / 500500 < 1e-6, `sum ${v}`);
  for (const v of tf.mean(large, 0).dataSync()) assert.ok(Math.abs(v - 500.5) / 500.5 < 1e-6, `mean ${v}`);
  const small = columnsOf(1000, 3); // below the size threshold: the stock kernel, exact on integers
  assert.deepEqual(Array.from(tf.sum(small, 0).dataSync()), [500500, 500500, 500500]);
  tf.dispose([large, small]);
});
