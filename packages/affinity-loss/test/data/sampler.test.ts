import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError, LabelError } from '../../src/errors.js';
import { ClassAwareSampler } from '../../src/data/sampler.js';
import { trackedSplit } from './fixtures.js';

const labels = trackedSplit([90, 10]).labels;
const epoch = (sampler: ClassAwareSampler, e: number) => [...sampler.batches(e)];

test('class probabilities: n_c, sqrt(n_c), equal, normalised', () => {
  const make = (mode: 'instance' | 'sqrt' | 'class-balanced') => new ClassAwareSampler({ labels, classes: 3, mode, batchSize: 8, seed: 0 });
  assert.deepEqual(make('instance').classProbabilities, [0.9, 0.1, 0]);
  const sqrt = make('sqrt').classProbabilities;
  assert.ok(Math.abs(sqrt[0] - 0.75) < 1e-12 && Math.abs(sqrt[1] - 0.25) < 1e-12 && sqrt[2] === 0, `sqrt ${sqrt}`);
  assert.deepEqual(make('class-balanced').classProbabilities, [0.5, 0.5, 0]);
});

test('instance mode: each epoch uses every row once, in batches of batchSize and a remainder', () => {
  const sampler = new ClassAwareSampler({ labels, classes: 2, batchSize: 32, seed: 1 });
  assert.equal(sampler.batchesPerEpoch, 4);
  const batches = epoch(sampler, 0);
  assert.deepEqual(batches.map((b) => b.length), [32, 32, 32, 4]);
  const rows = batches.flatMap((b) => [...b]).sort((a, b) => a - b);
  assert.deepEqual(rows, Array.from({ length: 100 }, (_, i) => i));
  const dropped = new ClassAwareSampler({ labels, classes: 2, batchSize: 32, seed: 1, dropLast: true });
  assert.equal(dropped.batchesPerEpoch, 3);
  assert.deepEqual(epoch(dropped, 0).map((b) => b.length), [32, 32, 32]);
});

test('class-balanced mode draws each class about half the time, minority rows cycle before repeating', () => {
  const sampler = new ClassAwareSampler({ labels, classes: 2, mode: 'class-balanced', batchSize: 25, seed: 2 });
  let minority = 0;
  let draws = 0;
  for (let e = 0; e < 50; e++) {
    const rows = epoch(sampler, e).flatMap((b) => [...b]);
    assert.equal(rows.length, 100);
    const minorityRows = rows.filter((i) => labels[i] === 1);
    // Every one of the 10 minority rows is used before any is used again.
    for (let start = 0; start + 10 <= minorityRows.length; start += 10) {
      assert.equal(new Set(minorityRows.slice(start, start + 10)).size, 10);
    }
    minority += minorityRows.length;
    draws += rows.length;
  }
  // 5000 draws at p = 0.5: std ~35, so 0.5 +- 0.03 is > 4 sigma.
  assert.ok(Math.abs(minority / draws - 0.5) < 0.03, `minority share ${minority / draws}`);
});

test('sqrt mode draws the minority about a quarter of the time', () => {
  const sampler = new ClassAwareSampler({ labels, classes: 2, mode: 'sqrt', batchSize: 50, seed: 3 });
  let minority = 0;
  for (let e = 0; e < 50; e++) minority += epoch(sampler, e).flatMap((b) => [...b]).filter((i) => labels[i] === 1).length;
  assert.ok(Math.abs(minority / 5000 - 0.25) < 0.03, `minority share ${minority / 5000}`);
});

test('seeded: an epoch is the same whatever ran before; epochs and seeds differ', () => {
  for (const mode of ['instance', 'sqrt', 'class-balanced'] as const) {
    const a = new ClassAwareSampler({ labels, classes: 2, mode, batchSize: 16, seed: 5 });
    const b = new ClassAwareSampler({ labels, classes: 2, mode, batchSize: 16, seed: 5 });
    epoch(a, 0);
    epoch(a, 1);
    assert.deepEqual(epoch(a, 2), epoch(b, 2), mode);
    assert.notDeepEqual(epoch(a, 2), epoch(a, 3), mode);
    assert.notDeepEqual(epoch(new ClassAwareSampler({ labels, classes: 2, mode, batchSize: 16, seed: 6 }), 2), epoch(b, 2), mode);
  }
});

test('sampler errors', () => {
  const base = { labels, classes: 2, batchSize: 4, seed: 0 };
  assert.throws(() => new ClassAwareSampler({ ...base, mode: 'oversample' as 'sqrt' }), /sampling mode must be one of 'instance', 'sqrt', 'class-balanced'/);
  assert.throws(() => new ClassAwareSampler({ ...base, batchSize: 0 }), AffinityConfigError);
  assert.throws(() => new ClassAwareSampler({ ...base, labels: new Int32Array(0) }), /at least one row/);
  assert.throws(() => new ClassAwareSampler({ ...base, batchSize: 101, dropLast: true }), /leaves no batch/);
  assert.throws(() => new ClassAwareSampler({ ...base, classes: 1 }), LabelError);
  assert.throws(() => new ClassAwareSampler(base).batches(-1).next(), AffinityConfigError);
});
