// A process of its own: it replaces the wasm backend with one that cannot start.
import assert from 'node:assert/strict';
import { before, mock, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { gradientFixesInstalled, useNodeBackend } from '../../src/index.js';

before(() => {
  // As when the .wasm binary cannot be loaded: the backend's asynchronous start-up fails.
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => Promise.reject(new Error('WebAssembly.instantiate(): no binary\nsecond line of a stack')));
});

test('when wasm cannot start, useNodeBackend warns in one line and trains on cpu with the fixes', async () => {
  const warn = mock.method(console, 'warn', () => undefined);
  const info = await useNodeBackend({ prefer: 'wasm' });
  assert.deepEqual(info, { backend: 'cpu', gradientFixes: true });
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(gradientFixesInstalled(), true);
  assert.equal(warn.mock.callCount(), 1, `warnings: ${JSON.stringify(warn.mock.calls.map((c) => c.arguments))}`);
  const message = String(warn.mock.calls[0].arguments[0]);
  assert.match(message, /wasm backend could not start .*; using the cpu backend$/);
  assert.ok(!message.includes('tensorflow'), 'a missing tfjs-node is not mentioned unless asked for');
  assert.ok(!message.includes('\n'), `one line, got: ${message}`);

  // The cpu backend computes conv gradients with the fixes.
  const dw = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([2, 5, 5, 1]) as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')))(tf.ones([3, 3, 1, 1]));
  assert.deepEqual(dw.shape, [3, 3, 1, 1]);

  await useNodeBackend({ prefer: 'wasm', quiet: true });
  assert.equal(warn.mock.callCount(), 1, 'quiet: no second warning');
  warn.mock.restore();
});
