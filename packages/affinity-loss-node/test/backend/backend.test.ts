import assert from 'node:assert/strict';
import { afterEach, mock, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError } from 'affinity-loss';
import { gradientFixesInstalled, preferredBackend, useNodeBackend, type NodeBackendOptions } from '../../src/index.js';

// tfjs-node cannot be installed on the machines this was written on, but a user may have it:
// the expectations below follow whichever is true where the tests run.
const TFJS_NODE = '@tensorflow/tfjs-node';
const hasTfjsNode = await import(TFJS_NODE).then(
  () => true,
  () => false,
);
const fastest = hasTfjsNode ? 'tensorflow' : 'wasm';

afterEach(() => mock.restoreAll());

test(`useNodeBackend picks ${fastest}, installs the gradient fixes where they help, and enables prod mode`, async () => {
  const info = await useNodeBackend();
  assert.deepEqual(info, { backend: fastest, gradientFixes: !hasTfjsNode });
  assert.equal(tf.getBackend(), fastest);
  assert.equal(gradientFixesInstalled(), !hasTfjsNode);
  assert.equal(tf.env().getBool('PROD'), true);
});

test('useNodeBackend is idempotent, also when called concurrently', async () => {
  const first = await useNodeBackend();
  const again = await Promise.all([useNodeBackend(), useNodeBackend(), useNodeBackend({ quiet: true })]);
  for (const info of again) assert.deepEqual(info, first);
  assert.equal(tf.getBackend(), first.backend);
});

test('prefer selects a backend, and switching back and forth works', async () => {
  assert.deepEqual(await useNodeBackend({ prefer: 'cpu' }), { backend: 'cpu', gradientFixes: true });
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(await useNodeBackend({ prefer: 'wasm' }), { backend: 'wasm', gradientFixes: true });
  assert.equal(tf.getBackend(), 'wasm');
  // The active backend computes: a conv gradient runs on wasm after the switch.
  const dw = tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid')))(tf.ones([3, 3, 1, 1]));
  assert.deepEqual(Array.from(dw.dataSync()), new Array(9).fill(4));
});

test('asking for tfjs-node when it is missing warns in one line and falls back to wasm', { skip: hasTfjsNode && 'tfjs-node is installed here' }, async () => {
  const warn = mock.method(console, 'warn', () => undefined);
  const info = await useNodeBackend({ prefer: 'tensorflow' });
  assert.deepEqual(info, { backend: 'wasm', gradientFixes: true });
  assert.equal(warn.mock.callCount(), 1);
  const message = String(warn.mock.calls[0].arguments[0]);
  assert.match(message, /tensorflow backend could not start .*; using the wasm backend$/);
  assert.ok(!message.includes('\n'), `one line, got: ${message}`);

  await useNodeBackend({ prefer: 'tensorflow', quiet: true });
  assert.equal(warn.mock.callCount(), 1, 'quiet: no second warning');
  await useNodeBackend();
  assert.equal(warn.mock.callCount(), 1, 'a missing tfjs-node is not worth a warning unless asked for');
});

test('workload picks tfjs-node for convolutions (when installed) and wasm for dense models; prefer wins over it', async () => {
  assert.equal(preferredBackend('convolutional'), 'tensorflow');
  assert.equal(preferredBackend('dense'), 'wasm');
  assert.deepEqual(await useNodeBackend({ workload: 'dense', quiet: true }), { backend: 'wasm', gradientFixes: true });
  assert.equal(tf.getBackend(), 'wasm');
  // Without tfjs-node a convolutional workload falls back silently: it was not named.
  const warn = mock.method(console, 'warn', () => undefined);
  assert.deepEqual(await useNodeBackend({ workload: 'convolutional' }), { backend: fastest, gradientFixes: !hasTfjsNode });
  assert.equal(warn.mock.callCount(), 0);
  assert.deepEqual(await useNodeBackend({ workload: 'convolutional', prefer: 'cpu' }), { backend: 'cpu', gradientFixes: true });
});

test('bad options are rejected with AffinityConfigError naming the value', async () => {
  await assert.rejects(useNodeBackend({ prefer: 'gpu' } as unknown as NodeBackendOptions), (e: Error) => e instanceof AffinityConfigError && /prefer.*'wasm'.*"gpu"/.test(e.message));
  await assert.rejects(useNodeBackend({ quiet: 'yes' } as unknown as NodeBackendOptions), AffinityConfigError);
  await assert.rejects(useNodeBackend({ workload: 'conv' } as unknown as NodeBackendOptions), (e: Error) => e instanceof AffinityConfigError && /workload.*"conv"/.test(e.message));
  await assert.rejects(useNodeBackend(null as unknown as NodeBackendOptions), AffinityConfigError);
});
