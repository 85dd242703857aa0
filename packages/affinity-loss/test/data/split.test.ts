import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from '../../src/errors.js';
import { countPerClass } from '../../src/data/dataset.js';
import { splitValidation, heldOutCounts, stratifiedIndices } from '../../src/data/split.js';
import { sourceRows, trackedDataset } from './fixtures.js';

test('held-out counts: round(fraction * n_c), never a whole class', () => {
  assert.deepEqual(heldOutCounts([100, 60, 7, 1, 0, 2], 0.1), [10, 6, 1, 0, 0, 0]);
  assert.deepEqual(heldOutCounts([100, 60, 7, 1, 0, 2], 0.5), [50, 30, 4, 0, 0, 1]);
  assert.deepEqual(heldOutCounts([212, 357], 0.25), [53, 89]);
  assert.deepEqual(heldOutCounts([5, 5], 0), [0, 0]);
  for (const bad of [1, -0.1, NaN]) assert.throws(() => heldOutCounts([5], bad), AffinityConfigError);
});

test('stratified indices: exact per-class counts, disjoint, complete, ascending', () => {
  const labels = trackedDataset([100, 60, 7, 1], [1, 1, 1, 1]).train.labels;
  const { kept, heldOut } = stratifiedIndices(labels, 4, 0.1, 3);
  const classesOf = (rows: Int32Array) => countPerClass(Int32Array.from(rows, (i) => labels[i]), 4);
  assert.deepEqual(classesOf(heldOut), [10, 6, 1, 0]);
  assert.deepEqual(classesOf(kept), [90, 54, 6, 1]);
  assert.deepEqual([...kept, ...heldOut].sort((a, b) => a - b), Array.from({ length: 168 }, (_, i) => i));
  assert.deepEqual([...heldOut], [...heldOut].sort((a, b) => a - b));
  assert.deepEqual(stratifiedIndices(labels, 4, 0.1, 3), { kept, heldOut });
  assert.notDeepEqual(stratifiedIndices(labels, 4, 0.1, 4).heldOut, heldOut);
});

test('splitValidation: validation from train, test untouched, rows move with their features', () => {
  const dataset = trackedDataset([200, 20], [30, 30]);
  const split = splitValidation(dataset, 0.2, 0);
  assert.deepEqual(countPerClass(split.train.labels, 2), [160, 16]);
  assert.deepEqual(countPerClass(split.validation!.labels, 2), [40, 4]);
  assert.equal(split.test, dataset.test);
  const all = [...sourceRows(split.train), ...sourceRows(split.validation!)].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 220 }, (_, i) => i));
  split.validation!.labels.forEach((label, i) => assert.equal(split.validation!.features[2 * i + 1], label));
  assert.throws(() => splitValidation(split, 0.1, 0), /already has a validation split/);
  assert.throws(() => splitValidation(dataset, 1, 0), /held-out fraction must be a number in \[0, 1\), got 1/);
});
