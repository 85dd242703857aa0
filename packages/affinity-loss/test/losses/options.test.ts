// Every loss factory and head, called without options, with null or with a non-object: a typed
// error naming the factory, never a TypeError from reading a field of undefined.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  AffinityConfigError,
  CenterLossHead,
  CosineHead,
  DeferredReweighting,
  balancedSoftmaxLoss,
  centerLoss,
  classBalancedLoss,
  crossEntropyLoss,
  focalLoss,
  ldamLoss,
  logitAdjustedLoss,
  weightedCrossEntropyLoss,
} from '../../src/index.js';

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

// Casts through unknown: these calls are what the types forbid and JavaScript callers still make.
const loose = <T>(f: (options: T) => unknown) => (options: unknown) => f(options as T);

/** Factories whose options object is required (it holds counts, a weight or a class count). */
const required: Array<[string, (options: unknown) => unknown]> = [
  ['classBalancedLoss', loose(classBalancedLoss)],
  ['ldamLoss', loose(ldamLoss)],
  ['weightedCrossEntropyLoss', loose(weightedCrossEntropyLoss)],
  ['balancedSoftmaxLoss', loose(balancedSoftmaxLoss)],
  ['logitAdjustedLoss', loose(logitAdjustedLoss)],
  ['centerLoss', loose(centerLoss)],
  ['DeferredReweighting', (options) => new DeferredReweighting(options as { counts: number[]; startEpoch: number })],
  ['CosineHead', (options) => new CosineHead(options as { classes: number })],
  ['CenterLossHead', (options) => new CenterLossHead(options as { classes: number })],
];

/** Factories whose options are all optional: undefined means the defaults. */
const optional: Array<[string, (options: unknown) => unknown]> = [
  ['focalLoss', loose(focalLoss)],
  ['crossEntropyLoss', loose(crossEntropyLoss)],
];

test('required options: undefined, null and non-objects give an AffinityConfigError naming the factory', () => {
  for (const [name, make] of required) {
    for (const bad of [undefined, null, 5, 'counts']) {
      assert.throws(
        () => make(bad),
        (e: Error) => e instanceof AffinityConfigError && e.message.startsWith(`${name} needs an options object {`) && e.message.includes(String(bad)),
        `${name}(${String(bad)})`,
      );
    }
  }
});

test('all-optional options: undefined gives the defaults; null and non-objects are refused', () => {
  const y = tf.tensor1d([1, 0], 'int32');
  const z = tf.tensor2d([[0, 1], [2, 0]]);
  for (const [name, make] of optional) {
    const loss = make(undefined) as (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
    assert.ok(Number.isFinite(loss(y, z).dataSync()[0]), `${name}() works`);
    for (const bad of [null, 2, 'gamma']) {
      assert.throws(
        () => make(bad),
        (e: Error) => e instanceof AffinityConfigError && e.message.startsWith(`${name} needs an options object {`),
        `${name}(${String(bad)})`,
      );
    }
  }
  tf.dispose([y, z]);
});

test('an options object without its required fields names the missing field', () => {
  assert.throws(() => classBalancedLoss({} as { counts: number[] }), /counts must be an array/);
  assert.throws(() => ldamLoss({} as { counts: number[] }), /counts must be an array/);
  assert.throws(() => weightedCrossEntropyLoss({} as { counts: number[] }), /counts must be an array/);
  assert.throws(() => balancedSoftmaxLoss({} as { counts: number[] }), /counts must be an array/);
  assert.throws(() => logitAdjustedLoss({} as { counts: number[] }), /counts must be an array/);
  assert.throws(() => centerLoss({} as { weight: number }), /weight must be a finite number >= 0, got undefined/);
  assert.throws(() => new CosineHead({} as { classes: number }), /classes must be an integer >= 2, got undefined/);
  assert.throws(() => new CenterLossHead({} as { classes: number }), /classes must be an integer >= 2, got undefined/);
});
