import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { gradientFixesInstalled, installGradientFixes, removeGradientFixes } from 'affinity-loss-node';
import { TOLERANCE, relativeError, seeded, seededValues, valuesOn } from './reference.js';

interface MatMulCase {
  /** Batch axes (empty for a plain matrix product) and the M x K by K x N sizes. */
  batch: number[];
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

const cases: MatMulCase[] = [];
for (const transposeA of [false, true]) {
  for (const transposeB of [false, true]) {
    cases.push({ batch: [], m: 5, k: 7, n: 3, transposeA, transposeB });
    cases.push({ batch: [], m: 1, k: 4, n: 6, transposeA, transposeB });
    cases.push({ batch: [3], m: 4, k: 2, n: 5, transposeA, transposeB });
    cases.push({ batch: [2, 2], m: 3, k: 6, n: 2, transposeA, transposeB });
    // K >= 8 M: a plain product's dA takes the T(B T(dC)) form, batched or not.
    cases.push({ batch: [], m: 2, k: 19, n: 3, transposeA, transposeB });
    cases.push({ batch: [2], m: 1, k: 9, n: 4, transposeA, transposeB });
  }
}
const label = (c: MatMulCase): string =>
  `batch (${c.batch}) ${c.m}x${c.k} @ ${c.k}x${c.n}, transposeA ${c.transposeA}, transposeB ${c.transposeB}`;

function operands(c: MatMulCase): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const a = seeded([...c.batch, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])], 11);
  const b = seeded([...c.batch, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])], 12);
  const g = seeded([...c.batch, c.m, c.n], 13);
  return [a, b, g];
}

/** dL/dA and dL/dB of L = sum(matMul(A, B) * g). */
function matMulGradients(c: MatMulCase): tf.Tensor[] {
  const [a, b, g] = operands(c);
  return tf.grads((av: tf.Tensor, bv: tf.Tensor) => tf.sum(tf.mul(tf.matMul(av, bv, c.transposeA, c.transposeB), g)))([a, b]);
}

/** The forward product itself: on wasm a flagged product goes through the wrapped kernel. */
function matMulForward(c: MatMulCase): tf.Tensor[] {
  const [a, b] = operands(c);
  return [tf.matMul(a, b, c.transposeA, c.transposeB)];
}

/** A dense layer with no activation while training takes tf.fused.matMul, whose gradient is built in. */
function fusedDenseGradients(): tf.Tensor[] {
  const x = seeded([6, 5], 21);
  const w = seeded([5, 4], 22);
  const bias = seeded([4], 23);
  const g = seeded([6, 4], 24);
  return tf.grads((xv: tf.Tensor, wv: tf.Tensor, bv: tf.Tensor) =>
    tf.sum(tf.mul(tf.fused.matMul({ a: xv as tf.Tensor2D, b: wv as tf.Tensor2D, bias: bv }), g)),
  )([x, w, bias]);
}

const stock = new Map<string, Float32Array[]>();

before(async () => {
  tf.enableProdMode();
  removeGradientFixes();
  for (const c of cases) {
    stock.set(`grad ${label(c)}`, await valuesOn('cpu', () => matMulGradients(c)));
    stock.set(`forward ${label(c)}`, await valuesOn('cpu', () => matMulForward(c)));
  }
  stock.set('fused dense', await valuesOn('cpu', fusedDenseGradients));
  installGradientFixes();
});

function assertMatchesStock(key: string, actual: Float32Array[], backend: string): void {
  const expected = stock.get(key);
  assert.ok(expected !== undefined, `no stock reference for ${key}`);
  assert.equal(actual.length, expected.length);
  actual.forEach((values, i) => {
    const error = relativeError(values, expected[i]);
    assert.ok(error <= TOLERANCE, `${backend} ${key}: output ${i} differs from stock by ${error.toExponential(2)} (relative)`);
  });
}

test('the fixes replace the BatchMatMul gradient, and removeGradientFixes puts stock back', () => {
  assert.equal(gradientFixesInstalled(), true);
  const ours = tf.getGradient(tf.BatchMatMul);
  removeGradientFixes();
  assert.equal(gradientFixesInstalled(), false);
  const stockConfig = tf.getGradient(tf.BatchMatMul);
  assert.notEqual(stockConfig, ours);
  removeGradientFixes(); // idempotent
  assert.equal(tf.getGradient(tf.BatchMatMul), stockConfig);
  installGradientFixes();
  assert.notEqual(tf.getGradient(tf.BatchMatMul), stockConfig);
  assert.equal(gradientFixesInstalled(), true);
});

for (const backend of ['cpu', 'wasm']) {
  test(`${backend} with fixes: matMul gradients equal stock for all four transpose combinations, rank 2 to 4`, async () => {
    for (const c of cases) assertMatchesStock(`grad ${label(c)}`, await valuesOn(backend, () => matMulGradients(c)), backend);
  });

  test(`${backend} with fixes: matMul with transpose flags computes the stock product`, async () => {
    for (const c of cases) assertMatchesStock(`forward ${label(c)}`, await valuesOn(backend, () => matMulForward(c)), backend);
  });

  test(`${backend} with fixes: fused matMul gradients (linear dense layers) equal stock`, async () => {
    assertMatchesStock('fused dense', await valuesOn(backend, fusedDenseGradients), backend);
  });

  test(`${backend} with fixes: a broadcast batch axis gets its gradient summed back (stock throws)`, async () => {
    // A (2, 3, 4) @ B (4, 5): B is shared by both batch entries, so dB = sum over the batch.
    const aValues = seededValues(24, 31);
    const bValues = seededValues(20, 32);
    const gradients = (): tf.Tensor[] =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.matMul(a, b)))([tf.tensor(aValues, [2, 3, 4]), tf.tensor(bValues, [4, 5])]);
    removeGradientFixes();
    try {
      await assert.rejects(valuesOn(backend, gradients), /gradient of input 'b' has shape '2,4,5'/);
    } finally {
      installGradientFixes();
    }
    const [da, db] = await valuesOn(backend, gradients);
    // With L = sum(A B): dA[b,i,k] = sum_n B[k,n], dB[k,n] = sum_{b,i} A[b,i,k].
    const expectedDa = Array.from({ length: 24 }, (_, i) => {
      const k = i % 4;
      return Array.from({ length: 5 }, (_, n) => bValues[k * 5 + n]).reduce((s, v) => s + v, 0);
    });
    const expectedDb = Array.from({ length: 20 }, (_, i) => {
      const k = Math.floor(i / 5);
      return Array.from({ length: 6 }, (_, row) => aValues[row * 4 + k]).reduce((s, v) => s + v, 0);
    });
    assert.ok(relativeError(da, expectedDa) <= TOLERANCE, 'dA');
    assert.ok(relativeError(db, expectedDb) <= TOLERANCE, 'dB');
  });
}
