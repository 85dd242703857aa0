import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, ShapeError, gaussianAffinity, maxMarginLoss, predictClasses, squaredDistances } from '../../src/index.js';
import { assertClose, normRelativeError } from '../helpers.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

// Two classes, two prototypes each, in 2-D:
//   class 0: (2,0) and (0,3);  class 1: (1,1) and (3,3).
const prototypes = () => tf.tensor3d([[[2, 0], [0, 3]], [[1, 1], [3, 3]]]);

test('squared distances by hand, clamped at zero', () => {
  const d = squaredDistances(tf.tensor2d([[0, 0], [3, 0]]), tf.tensor2d([[2, 0], [0, 3], [3, 0]]));
  assertClose(d.dataSync(), [4, 9, 9, 1, 18, 0], 1e-6, 'D');
  const self = squaredDistances(tf.tensor2d([[1e3, 1e3]]), tf.tensor2d([[1e3, 1e3]]));
  assert.ok(self.dataSync()[0] >= 0, 'coincident points give D >= 0 despite rounding');
});

test('affinity by hand: nearest prototype of each class, squared distance over sigma', () => {
  // f = (0,0): class 0 nearest D = 4, class 1 nearest D = 2; sigma = 4.
  // f = (3,0): class 0 nearest D = 1, class 1 nearest D = 5.
  const a = gaussianAffinity(tf.tensor2d([[0, 0], [3, 0]]), prototypes(), 4);
  assert.deepEqual(a.shape, [2, 2]);
  // Unsquared distance inside exp (a known bug of public ports) would give exp(-2/4) for the first entry.
  assertClose(a.dataSync(), [Math.exp(-1), Math.exp(-0.5), Math.exp(-0.25), Math.exp(-1.25)], 1e-6, 'A');
});

test('prediction is by nearest prototype, not by dot product', () => {
  // For f = (3,0) dot products are class 0: max(6, 0) = 6, class 1: max(3, 9) = 9, so a head
  // that predicts with dot products says class 1; the nearest prototype is (2,0), class 0.
  const a = gaussianAffinity(tf.tensor2d([[3, 0]]), prototypes(), 4);
  assert.deepEqual(Array.from(predictClasses(a).dataSync()), [0]);
});

test('every feature dimension counts (feature dimension is not fixed at 1)', () => {
  const w = tf.tensor3d([[[0, 0, 0]], [[0, 0, 5]]]);
  // The features differ only in the last coordinate; a head that reads only one dimension ties them.
  const a = gaussianAffinity(tf.tensor2d([[0, 0, 0], [0, 0, 5]]), w, 10);
  assert.deepEqual(Array.from(predictClasses(a).dataSync()), [0, 1]);
  assertClose(a.dataSync(), [1, Math.exp(-2.5), Math.exp(-2.5), 1], 1e-6, 'A');
});

test('m = 1 and a wide feature space match a direct computation', () => {
  const f = tf.randomNormal([5, 16], 0, 1, 'float32', 3);
  const w = tf.randomNormal([4, 1, 16], 0, 1, 'float32', 4);
  const a = gaussianAffinity(f as tf.Tensor2D, w as tf.Tensor3D, 20);
  const direct = tf.exp(tf.div(tf.sum(tf.squaredDifference(tf.expandDims(f, 1), tf.reshape(w, [1, 4, 16])), 2), -20));
  assertClose(a.dataSync(), direct.dataSync(), 1e-5, 'A');
});

test('bad inputs raise typed errors naming the problem', () => {
  const f = tf.zeros([2, 2]) as tf.Tensor2D;
  assert.throws(() => gaussianAffinity(f, prototypes(), 0), (e: Error) => e instanceof AffinityConfigError && /sigma.*got 0/.test(e.message));
  assert.throws(() => gaussianAffinity(f, prototypes(), -1), AffinityConfigError);
  assert.throws(() => gaussianAffinity(f, prototypes(), NaN), AffinityConfigError);
  assert.throws(() => gaussianAffinity(f, prototypes(), Infinity), AffinityConfigError);
  assert.throws(() => gaussianAffinity(tf.zeros([2, 3]) as tf.Tensor2D, prototypes(), 1), (e: Error) => e instanceof ShapeError && /width 3/.test(e.message));
  assert.throws(() => gaussianAffinity(tf.zeros([2]) as unknown as tf.Tensor2D, prototypes(), 1), ShapeError);
  assert.throws(() => predictClasses(tf.zeros([3])), ShapeError);
});

test('the analytic gradient equals autodiff through the plain formula', () => {
  // The plain formula: broadcast differences, exp, max over prototypes, hinge by plain ops.
  const plain = (f: tf.Tensor, w: tf.Tensor, y: tf.Tensor, sigma: number, margin: number) => {
    const [C, m, d] = w.shape;
    const distances = tf.sum(tf.square(tf.sub(tf.expandDims(f, 1), tf.reshape(w, [1, C * m, d]))), 2);
    const a = tf.max(tf.reshape(tf.exp(tf.div(distances, -sigma)), [-1, C, m]), 2);
    const trueA = tf.sum(tf.mul(a, y), 1, true);
    return tf.mean(tf.sum(tf.mul(tf.relu(tf.add(tf.sub(a, trueA), margin)), tf.sub(1, y)), 1));
  };
  for (const [N, C, m, d, sigma] of [[9, 3, 1, 5, 6], [12, 4, 3, 7, 10], [1, 2, 5, 2, 3]]) {
    const f = tf.randomNormal([N, d], 0, 1, 'float32', N);
    const w = tf.randomNormal([C, m, d], 0, 1, 'float32', C);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_, i) => i % C), 'int32'), C).toFloat();
    const ours = tf.grads((fv: tf.Tensor, wv: tf.Tensor) => maxMarginLoss(y, gaussianAffinity(fv as tf.Tensor2D, wv as tf.Tensor3D, sigma), 0.5))([f, w]);
    const theirs = tf.grads((fv: tf.Tensor, wv: tf.Tensor) => plain(fv, wv, y, sigma, 0.5) as tf.Scalar)([f, w]);
    assert.ok(theirs[0].abs().max().dataSync()[0] > 1e-4, 'the case has a gradient');
    for (let i = 0; i < 2; i++) {
      const error = normRelativeError(ours[i].dataSync(), theirs[i].dataSync());
      assert.ok(error < 1e-5, `(N, C, m, d) = (${N}, ${C}, ${m}, ${d}), input ${i}: ${error}`);
    }
  }
});
