import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LabelError, ShapeError } from '../../src/errors.js';
import { checkDataset, countPerClass, featureSize, standardize, checkSplit, indicesByClass, takeRows } from '../../src/data/dataset.js';
import { trackedDataset } from './fixtures.js';

test('featureSize, countPerClass, indicesByClass', () => {
  assert.equal(featureSize([28, 28, 1]), 784);
  assert.equal(featureSize([30]), 30);
  assert.throws(() => featureSize([28, 0]), ShapeError);
  assert.throws(() => featureSize([2.5]), ShapeError);
  const labels = Int32Array.from([2, 0, 2, 1, 2]);
  assert.deepEqual(countPerClass(labels, 4), [1, 1, 3, 0]);
  assert.deepEqual(indicesByClass(labels, 4).map((rows) => [...rows]), [[1], [3], [0, 2, 4], []]);
  assert.throws(() => countPerClass(labels, 2), /: labels: label 2 at row 0 is not an integer class id in \[0, 1\]$/);
  assert.throws(() => countPerClass(Int32Array.from([-1]), 2), LabelError);
});

test('takeRows copies rows, labels and clean labels in the order given', () => {
  const split = { features: Float32Array.from([0, 0, 1, 1, 2, 2]), labels: Int32Array.from([0, 1, 0]), count: 3, trueLabels: Int32Array.from([1, 1, 0]) };
  const taken = takeRows(split, [2, 0], 2);
  assert.deepEqual(taken, { features: Float32Array.from([2, 2, 0, 0]), labels: Int32Array.from([0, 0]), count: 2, trueLabels: Int32Array.from([0, 1]) });
  assert.equal(takeRows({ ...split, trueLabels: undefined }, [1], 2).trueLabels, undefined);
  assert.throws(() => takeRows(split, [3], 2), /row index 3 is outside the split's 3 rows/);
});

test('checkSplit and checkDataset name the split and the mismatch', () => {
  const good = trackedDataset([3, 3], [2, 2]);
  checkDataset(good);
  assert.throws(() => checkSplit({ ...good.train, count: 5 }, 2, 2, 'x train'), /x train: 6 labels for 5 rows/);
  assert.throws(() => checkSplit({ ...good.train, features: new Float32Array(3) }, 2, 2, 'x'), /x: 3 feature values, expected 6 rows x 2 = 12/);
  assert.throws(() => checkSplit({ ...good.train, trueLabels: new Int32Array(1) }, 2, 2, 'x'), /x: 1 true labels for 6 rows/);
  assert.throws(() => checkDataset({ ...good, classNames: ['only'] }), /needs >= 2 class names/);
  assert.throws(() => checkDataset({ ...good, test: { ...good.test, labels: Int32Array.from([0, 1, 2, 0]) } }), (e: Error) => e instanceof LabelError && /tracked test labels: label 2 at row 2/.test(e.message));
  // Which array is wrong: the observed labels or the clean ones kept beside noisy labels.
  const badClean = { ...good.train, trueLabels: Int32Array.from([0, 0, 0, 1, 1, 5]) };
  assert.throws(() => checkSplit(badClean, 2, 2, 'x'), (e: Error) => e instanceof LabelError && /^x true labels: label 5 at row 5 /.test(e.message));
});

test('standardize uses training statistics for every split; constant features are centred only', () => {
  const dataset = {
    name: 't', description: 'd', classNames: ['a', 'b'], featureShape: [2],
    train: { features: Float32Array.from([1, 5, 3, 5, 5, 5]), labels: Int32Array.from([0, 1, 0]), count: 3 },
    test: { features: Float32Array.from([3, 7]), labels: Int32Array.from([1]), count: 1 },
  };
  const result = standardize(dataset);
  // Feature 0: mean 3, std sqrt(8/3). Feature 1: constant 5, std 0: centred, scale 1.
  const s = Math.sqrt(8 / 3);
  const expected = [-2 / s, 0, 0, 0, 2 / s, 0];
  result.train.features.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `train[${i}] ${v}`));
  assert.deepEqual([...result.test.features], [0, 2]);
  assert.deepEqual([...dataset.train.features], [1, 5, 3, 5, 5, 5], 'the input is not changed');
  assert.match(result.description, /Standardised per feature with the training split's mean and std/);
});
