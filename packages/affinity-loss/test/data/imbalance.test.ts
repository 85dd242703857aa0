import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError, LabelError } from '../../src/errors.js';
import { applyImbalance, imbalanceTestCounts, imbalanceTrainCounts, type ImbalanceSpec, selectPerClass } from '../../src/data/imbalance.js';
import { countPerClass } from '../../src/data/dataset.js';
import { sourceRows, trackedDataset } from './fixtures.js';

const TEN = 10;
const uniform = (n: number) => new Array<number>(TEN).fill(n);
const labelsOf = (counts: number[]) => trackedDataset(counts, counts).train.labels;

test('step imbalance by fraction: minority classes keep floor(fraction * n), to the sample', () => {
  const available = [100, 57, 233, 10, 999, 100, 100, 100, 100, 100];
  const counts = imbalanceTrainCounts({ kind: 'step', minorityClasses: [0, 1, 2, 3, 4], keepFraction: 0.1 }, available);
  assert.deepEqual(counts, [10, 5, 23, 1, 99, 100, 100, 100, 100, 100]);
  // 0.29 * 100 is 28.999999999999996 in floating point: still 29 rows.
  assert.deepEqual(imbalanceTrainCounts({ kind: 'step', minorityClasses: [1], keepFraction: 0.29 }, [100, 100]), [100, 29]);
  assert.deepEqual(imbalanceTrainCounts({ kind: 'step', minorityClasses: [0], keepFraction: 1 }, [7, 3]), [7, 3]);
});

test('step imbalance applied: exact per-class counts, test split untouched, rows stay in source order', () => {
  const dataset = trackedDataset(uniform(200), uniform(50));
  const result = applyImbalance(dataset, { kind: 'step', minorityClasses: [0, 1, 2, 3, 4], keepFraction: 0.1 }, 1);
  assert.deepEqual(countPerClass(result.train.labels, TEN), [20, 20, 20, 20, 20, 200, 200, 200, 200, 200]);
  assert.equal(result.test, dataset.test);
  const rows = sourceRows(result.train);
  assert.deepEqual(rows, [...rows].sort((a, b) => a - b));
  // The features moved with their labels: feature 1 of a tracked row is its label.
  for (let i = 0; i < result.train.count; i++) {
    assert.equal(result.train.features[2 * i + 1], result.train.labels[i]);
    assert.equal(dataset.train.labels[rows[i]], result.train.labels[i]);
  }
  assert.equal(dataset.train.count, 2000, 'the input is not changed');
});

test('step imbalance by count, and the spec error paths', () => {
  assert.deepEqual(imbalanceTrainCounts({ kind: 'step', minorityClasses: [2, 0], keepCount: 3 }, [10, 10, 10]), [3, 10, 3]);
  const bad: Array<[ImbalanceSpec, RegExp]> = [
    [{ kind: 'step', minorityClasses: [3], keepCount: 1 }, /3 is not a class id of this dataset \(0-2\)/],
    [{ kind: 'step', minorityClasses: [0, 0], keepCount: 1 }, /listed twice/],
    [{ kind: 'step', minorityClasses: [], keepCount: 1 }, /non-empty/],
    [{ kind: 'step', minorityClasses: [0], keepCount: 11 }, /class 0 to keep 11 rows but it has only 10/],
    [{ kind: 'step', minorityClasses: [0] }, /exactly one of keepFraction and keepCount/],
    [{ kind: 'step', minorityClasses: [0], keepFraction: 0.5, keepCount: 1 }, /exactly one/],
    [{ kind: 'step', minorityClasses: [0], keepFraction: 0 }, /keepFraction must be > 0, got 0/],
    [{ kind: 'step', minorityClasses: [0], keepFraction: 1.5 }, /keepFraction must be a number in \[0, 1\], got 1.5/],
    [{ kind: 'step', minorityClasses: [0], keepFraction: NaN }, /keepFraction must be a number in \[0, 1\], got NaN/],
    [{ kind: 'step', minorityClasses: [0], keepFraction: 0.01 }, /leaves class 0 with 0 of its 10 rows/],
  ];
  for (const [spec, message] of bad) {
    assert.throws(() => imbalanceTrainCounts(spec, [10, 10, 10]), (e: Error) => e instanceof AffinityConfigError && message.test(e.message), JSON.stringify(spec));
  }
});

test("exponential long tail reproduces Cao et al.'s CIFAR-10 counts exactly", () => {
  const cifar = uniform(5000);
  assert.deepEqual(imbalanceTrainCounts({ kind: 'exponential', ratio: 100 }, cifar), [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
  assert.deepEqual(imbalanceTrainCounts({ kind: 'exponential', ratio: 10 }, cifar), [5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500]);
  assert.deepEqual(imbalanceTrainCounts({ kind: 'exponential', ratio: 1 }, cifar), cifar);
  // n_max defaults to the smallest class: every class can then give its share.
  assert.deepEqual(imbalanceTrainCounts({ kind: 'exponential', ratio: 100 }, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]), [5421, 3249, 1948, 1167, 700, 419, 251, 150, 90, 54]);
  // CIFAR-100-LT (500 per class, 100 classes), as Cao's code gives it: the tail is 5 rows.
  const hundred = imbalanceTrainCounts({ kind: 'exponential', ratio: 100 }, new Array<number>(100).fill(500));
  assert.deepEqual([hundred[0], hundred[1], hundred[50], hundred[98], hundred[99]], [500, 477, 48, 5, 5]);
  assert.equal(hundred.reduce((a, b) => a + b, 0), 10847);
});

test('exponential: explicit maxCount, applied counts, and errors', () => {
  const dataset = trackedDataset(uniform(300), uniform(30));
  const result = applyImbalance(dataset, { kind: 'exponential', ratio: 10, maxCount: 200 }, 4);
  const expected = [200, 154, 119, 92, 71, 55, 43, 33, 25, 20];
  assert.deepEqual(countPerClass(result.train.labels, TEN), expected);
  assert.deepEqual(countPerClass(result.test.labels, TEN), uniform(30), 'the test set stays balanced');
  assert.throws(() => imbalanceTrainCounts({ kind: 'exponential', ratio: 0.5 }, uniform(10)), /ratio must be a finite number >= 1, got 0.5/);
  assert.throws(() => imbalanceTrainCounts({ kind: 'exponential', ratio: 10, maxCount: 400 }, uniform(300)), /class 0 to keep 400 rows but it has only 300/);
  assert.throws(() => imbalanceTrainCounts({ kind: 'exponential', ratio: 1000 }, uniform(300)), /leaves class 8 with 0 of its 300 rows/);
});

test('evencap: even classes keep their first 6k training and first k test rows, odd classes everything', () => {
  const dataset = trackedDataset(uniform(100), uniform(40));
  const result = applyImbalance(dataset, { kind: 'evencap', testCount: 10 }, 0);
  assert.deepEqual(countPerClass(result.train.labels, TEN), [60, 100, 60, 100, 60, 100, 60, 100, 60, 100]);
  assert.deepEqual(countPerClass(result.test.labels, TEN), [10, 40, 10, 40, 10, 40, 10, 40, 10, 40]);
  // File order, as the public code's cumsum filter: class 0 keeps its first 60 rows, 0, 10, ..., 590.
  const classZero = sourceRows(result.train).filter((_, i) => result.train.labels[i] === 0);
  assert.deepEqual(classZero, Array.from({ length: 60 }, (_, i) => 10 * i));
  // No seed is involved.
  assert.deepEqual(applyImbalance(dataset, { kind: 'evencap', testCount: 10 }, 99).train.labels, result.train.labels);
  // A cap above what a class has keeps the class whole.
  assert.deepEqual(imbalanceTrainCounts({ kind: 'evencap', testCount: 1000 }, [50, 50]), [50, 50]);
  assert.deepEqual(imbalanceTestCounts({ kind: 'evencap', testCount: 3 }, [5, 5, 2]), [3, 5, 2]);
  assert.equal(imbalanceTestCounts({ kind: 'exponential', ratio: 10 }, [5, 5]), undefined);
});

test('evencap:0 is refused: it would delete every even class from train and test', () => {
  const refusesZero = (e: Error) => e instanceof AffinityConfigError && /evencap testCount must be an integer >= 1, got 0/.test(e.message);
  assert.throws(() => imbalanceTrainCounts({ kind: 'evencap', testCount: 0 }, [50, 50]), refusesZero);
  assert.throws(() => imbalanceTestCounts({ kind: 'evencap', testCount: 0 }, [5, 5]), refusesZero);
  assert.throws(() => applyImbalance(trackedDataset([10, 10], [5, 5]), { kind: 'evencap', testCount: 0 }, 0), refusesZero);
  assert.deepEqual(imbalanceTrainCounts({ kind: 'evencap', testCount: 1 }, [50, 50]), [6, 50]);
});

test('exponential with an empty class names the empty class, not the ratio', () => {
  const names = (pattern: RegExp) => (e: Error) => e instanceof AffinityConfigError && pattern.test(e.message) && !/ratio/.test(e.message);
  assert.throws(
    () => imbalanceTrainCounts({ kind: 'exponential', ratio: 10 }, [100, 100, 0, 100]),
    names(/^exp:10 needs training rows in every class, but class 2 has none \(rows per class: 100, 100, 0, 100\)$/),
  );
  assert.throws(() => imbalanceTrainCounts({ kind: 'exponential', ratio: 10, maxCount: 50 }, [100, 0, 100]), names(/class 1 has none/));
});

test('explicit counts', () => {
  const dataset = trackedDataset([600, 600, 600], [20, 20, 20]);
  const result = applyImbalance(dataset, { kind: 'counts', counts: [500, 500, 50] }, 2);
  assert.deepEqual(countPerClass(result.train.labels, 3), [500, 500, 50]);
  assert.deepEqual(countPerClass(applyImbalance(dataset, { kind: 'counts', counts: [0, 1, 600] }, 2).train.labels, 3), [0, 1, 600]);
  assert.throws(() => applyImbalance(dataset, { kind: 'counts', counts: [500, 50] }, 2), /one count per class \(3\), got 2/);
  assert.throws(() => applyImbalance(dataset, { kind: 'counts', counts: [500, 50, 601] }, 2), /class 2 to keep 601 rows but it has only 600/);
  assert.throws(() => applyImbalance(dataset, { kind: 'counts', counts: [500, 50, 1.5] }, 2), /counts\[2\] must be an integer >= 0, got 1.5/);
  assert.throws(() => applyImbalance(dataset, { kind: 'bogus' } as unknown as ImbalanceSpec, 2), /unknown imbalance kind "bogus"/);
});

test('seeded selection: same seed same rows, other seed other rows, nested as the count grows', () => {
  const labels = labelsOf(uniform(500));
  const a = selectPerClass(labels, uniform(50), { seed: 1 });
  assert.deepEqual(selectPerClass(labels, uniform(50), { seed: 1 }), a);
  assert.notDeepEqual(selectPerClass(labels, uniform(50), { seed: 2 }), a);
  const larger = new Set(selectPerClass(labels, uniform(100), { seed: 1 }));
  for (const row of a) assert.ok(larger.has(row), `row ${row} of the 50-per-class subset is in the 100-per-class one`);
  // Each class draws from its own stream: changing class 1's count leaves class 0's rows alone.
  const classZero = (rows: Int32Array) => [...rows].filter((row) => labels[row] === 0);
  const changed = selectPerClass(labels, [50, 7, ...uniform(50).slice(2)], { seed: 1 });
  assert.deepEqual(classZero(changed), classZero(a));
  assert.deepEqual([...a], [...a].sort((x, y) => x - y));
});

test('labels outside the classes are rejected', () => {
  assert.throws(() => selectPerClass(Int32Array.from([0, 1, 5]), [1, 1], { seed: 0 }), LabelError);
  assert.throws(() => selectPerClass(Int32Array.from([0, 1]), [2, 1], 'first'), /class 0 cannot keep 2 of its 1 rows/);
});
