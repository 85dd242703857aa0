import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { insertZeros, swapLastTwo, tensorOps } from '../src/tensorOps.js';

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

test('insertZeros puts entry (h, w) at (h * strideHeight, w * strideWidth), zeros elsewhere', () => {
  const values = [1, 2, 3, 4, 5, 6]; // [1, 2, 3, 1]
  for (const [sh, sw] of [[1, 1], [2, 1], [1, 3], [2, 3]]) {
    const channels = 2; // a second channel, the negative of the first, checks channels stay apart
    const t = tf.tensor4d(values.flatMap((v) => [v, -v]), [1, 2, 3, channels]);
    const out = insertZeros(tensorOps, t, sh, sw);
    assert.deepEqual(out.shape, [1, 2 * sh, 3 * sw, channels], `strides ${sh}, ${sw}`);
    const expected = tf.buffer([1, 2 * sh, 3 * sw, channels]);
    values.forEach((v, k) => {
      const [h, w] = [Math.floor(k / 3), k % 3];
      expected.set(v, 0, h * sh, w * sw, 0);
      expected.set(-v, 0, h * sh, w * sw, 1);
    });
    assert.deepEqual(Array.from(out.dataSync()), Array.from(expected.values), `strides ${sh}, ${sw}`);
  }
});

test('swapLastTwo transposes the last two axes, batch axes untouched', () => {
  const t = tf.tensor3d([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]); // [2, 2, 3]
  const out = swapLastTwo(tensorOps, t);
  assert.deepEqual(out.shape, [2, 3, 2]);
  assert.deepEqual(out.arraySync(), [[[1, 4], [2, 5], [3, 6]], [[7, 10], [8, 11], [9, 12]]]);
  assert.deepEqual(swapLastTwo(tensorOps, tf.tensor2d([[1, 2]])).arraySync(), [[1], [2]]);
});
