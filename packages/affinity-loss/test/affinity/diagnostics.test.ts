import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { affinityDiagnostics } from '../../src/index.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

test('affinityDiagnostics on a hand-computed case', () => {
  const features = tf.tensor2d([[0, 0], [10, 0]]);
  const prototypes = tf.tensor3d([[[0, 0]], [[0, 1]]]); // 2 classes, 1 prototype each
  // Squared distances: sample 0 -> [0, 1], sample 1 -> [100, 101]. With sigma 1 the affinities are
  // [1, e^-1] and [e^-100, e^-101]: two of four vanish (< 1e-4), and all of sample 1's.
  const d = affinityDiagnostics(features, prototypes, 1);
  assert.equal(d.sigma, 1);
  assert.ok(Math.abs(d.meanSquaredDistance - 50.5) < 1e-4);
  assert.ok(Math.abs(d.nearestSquaredDistance - 50) < 1e-4);
  assert.equal(d.vanishedFraction, 0.5);
  assert.equal(d.deadSampleFraction, 0.5);
  // With sigma 1000 nothing vanishes.
  const wide = affinityDiagnostics(features, prototypes, 1000);
  assert.equal(wide.vanishedFraction, 0);
  assert.equal(wide.deadSampleFraction, 0);
  assert.throws(() => affinityDiagnostics(features, prototypes, 0), /sigma must be a finite number > 0/);
  tf.dispose([features, prototypes]);
});
