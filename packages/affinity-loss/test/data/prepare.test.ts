import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from '../../src/errors.js';
import { classCounts, countPerClass } from '../../src/data/dataset.js';
import { prepareDataset } from '../../src/data/prepare.js';
import { sourceRows, trackedDataset } from './fixtures.js';

const TEN = new Array<number>(10).fill(400);
const base = trackedDataset(TEN, new Array<number>(10).fill(50));

test('a recipe gives exact counts in train, validation and test', () => {
  const prepared = prepareDataset(base, 'exp:10:300+noise:sym:0.2+val:0.1', 7);
  // floor(300 * 10^(-i/9)), as Cao's Python code computes it.
  const imbalanced = [300, 232, 179, 139, 107, 83, 64, 50, 38, 30];
  // Validation is stratified on the observed (noisy) labels, so count the clean ones in both.
  const clean = [...countPerClass(prepared.train.trueLabels!, 10)].map((n, c) => n + countPerClass(prepared.validation!.trueLabels!, 10)[c]);
  assert.deepEqual(clean, imbalanced);
  assert.equal(prepared.train.count + prepared.validation!.count, 1222);
  const observed = countPerClass(prepared.train.labels, 10).map((n, c) => n + countPerClass(prepared.validation!.labels, 10)[c]);
  assert.deepEqual(countPerClass(prepared.validation!.labels, 10), observed.map((n) => Math.floor(n * 0.1 + 0.5)));
  assert.deepEqual(countPerClass(prepared.test.labels, 10), new Array<number>(10).fill(50));
  assert.equal(prepared.test.trueLabels, undefined, 'the test set is never noisy');
  assert.equal(prepared.recipe, 'exp:10:300+noise:sym:0.2+val:0.1');
  assert.equal(prepared.seed, 7);
  assert.match(prepared.description, /Recipe exp:10:300\+noise:sym:0\.2\+val:0\.1, seed 7\.$/);
});

test('noise flips exactly round(0.2 n_c) of each imbalanced class before the validation split', () => {
  const prepared = prepareDataset(base, 'exp:10:300+noise:sym:0.2+val:0.1', 7);
  const flips = new Array<number>(10).fill(0);
  for (const split of [prepared.train, prepared.validation!]) {
    split.labels.forEach((label, i) => {
      if (label !== split.trueLabels![i]) flips[split.trueLabels![i]]++;
    });
  }
  assert.deepEqual(flips, [60, 46, 36, 28, 21, 17, 13, 10, 8, 6]);
});

test('without noise the validation counts are exact per class', () => {
  const prepared = prepareDataset(base, 'step:0-4:0.1+val:0.2', 1);
  assert.deepEqual(countPerClass(prepared.train.labels, 10), [32, 32, 32, 32, 32, 320, 320, 320, 320, 320]);
  assert.deepEqual(countPerClass(prepared.validation!.labels, 10), [8, 8, 8, 8, 8, 80, 80, 80, 80, 80]);
  assert.equal(prepared.train.trueLabels, undefined);
  assert.deepEqual(classCounts(prepared), {
    train: [32, 32, 32, 32, 32, 320, 320, 320, 320, 320],
    validation: [8, 8, 8, 8, 8, 80, 80, 80, 80, 80],
    test: new Array<number>(10).fill(50),
  });
  assert.deepEqual(Object.keys(classCounts(base)), ['train', 'test']);
});

test('stages draw from separate streams: the noise rate does not change which rows are kept', () => {
  const rowsOf = (recipe: string, seed: number) => {
    const p = prepareDataset(base, recipe, seed);
    return [...sourceRows(p.train), ...sourceRows(p.validation ?? p.train)].sort((a, b) => a - b);
  };
  assert.deepEqual(rowsOf('exp:10+noise:sym:0.1+val:0.1', 3), rowsOf('exp:10+noise:sym:0.4+val:0.1', 3));
  assert.deepEqual(rowsOf('exp:10+val:0.1', 3), rowsOf('exp:10+noise:sym:0.1+val:0.1', 3));
  assert.notDeepEqual(rowsOf('exp:10+val:0.1', 3), rowsOf('exp:10+val:0.1', 4));
  assert.deepEqual(prepareDataset(base, 'exp:10+noise:sym:0.1+val:0.1', 3), prepareDataset(base, 'exp:10+noise:sym:0.1+val:0.1', 3));
});

test('an empty recipe returns the dataset as it is; bad input is rejected', () => {
  const same = prepareDataset(base, 'none');
  assert.equal(same.train, base.train);
  assert.equal(same.description, base.description);
  assert.equal(same.recipe, 'none');
  assert.equal(same.seed, 0);
  assert.equal(prepareDataset(base, { imbalance: { kind: 'evencap', testCount: 5 } }).recipe, 'evencap:5');
  assert.throws(() => prepareDataset(base, 'exp:10', -1), AffinityConfigError);
  assert.throws(() => prepareDataset(base, 'step:12:0.1'), /12 is not a class id of this dataset \(0-9\)/);
  assert.throws(() => prepareDataset({ ...base, featureShape: [3] }, 'none'), /tracked train: 8000 feature values, expected 4000 rows x 3/);
});
