import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { releaseAbandonedTape } from '../../src/train/abandonedTape.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  await useTestBackend();
});

test('a gradient whose function throws leaves its saved tensors behind; releaseAbandonedTape frees them', () => {
  const v = tf.variable(tf.ones([3, 3]));
  const abandon = () =>
    assert.throws(() =>
      tf.tidy(() =>
        tf.variableGrads(() => {
          tf.exp(tf.relu(tf.matMul(v, v)));
          throw new Error('the forward pass failed');
        }, [v]),
      ),
    );
  const before = tf.memory().numTensors;
  abandon();
  // What tfjs keeps for the backward pass: matMul's two inputs, relu's output, exp's output.
  assert.equal(tf.memory().numTensors - before, 4);
  releaseAbandonedTape();
  assert.equal(tf.memory().numTensors, before);
  // A later gradient still works and leaves nothing.
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.matMul(v, v)) as tf.Scalar, [v]);
  assert.deepEqual(Array.from(grads[v.name].dataSync()), new Array(9).fill(6));
  tf.dispose([value, grads[v.name]]);
  assert.equal(tf.memory().numTensors, before);
  v.dispose();
});
