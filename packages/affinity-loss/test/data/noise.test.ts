import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from '../../src/errors.js';
import { MNIST_ASYMMETRIC_MAP, addLabelNoise, applyLabelNoise, type NoiseSpec } from '../../src/data/noise.js';
import { countPerClass } from '../../src/data/dataset.js';
import { trackedDataset } from './fixtures.js';

const COUNTS = [100, 100, 100, 100, 100, 100, 100, 100, 100, 7];
const labels = trackedDataset(COUNTS, [1]).train.labels;

/** flipped[c] = rows of clean class c whose label changed. */
function flipsPerClass(clean: Int32Array, noisy: Int32Array, classes: number): number[] {
  const flips = new Array<number>(classes).fill(0);
  clean.forEach((label, i) => {
    if (noisy[i] !== label) flips[label]++;
  });
  return flips;
}

test('symmetric noise flips exactly round(r * n_c) labels of every class, to other classes', () => {
  const noisy = addLabelNoise(labels, 10, { kind: 'symmetric', rate: 0.2 }, 3);
  // round(0.2 * 7) = 1 in the small class.
  assert.deepEqual(flipsPerClass(labels, noisy.labels, 10), [20, 20, 20, 20, 20, 20, 20, 20, 20, 1]);
  assert.deepEqual(noisy.trueLabels, labels);
  assert.notEqual(noisy.trueLabels, labels, 'a copy, not the caller’s array');
  const changed = [...noisy.labels.keys()].filter((i) => noisy.labels[i] !== labels[i]);
  assert.deepEqual([...noisy.flipped], changed);
  assert.equal(noisy.flipped.length, 181);
  // Targets: uniform over the 9 other classes, so 181 flips reach every class but rarely many times one.
  const targets = countPerClass(Int32Array.from(changed, (i) => noisy.labels[i]), 10);
  assert.ok(targets.every((n) => n > 5 && n < 40), `targets ${targets}`);
});

test('symmetric rate is honoured to the sample at the edges and with halves', () => {
  assert.equal(addLabelNoise(labels, 10, { kind: 'symmetric', rate: 0 }, 1).flipped.length, 0);
  const all = addLabelNoise(labels, 10, { kind: 'symmetric', rate: 1 }, 1);
  assert.equal(all.flipped.length, labels.length);
  assert.ok(all.labels.every((label, i) => label !== labels[i]));
  // Halves go up: round(0.25 * 10) = 3. And round(0.29 * 50) = 15 although 0.29 * 50 is
  // 14.499999999999998 in floating point.
  const ten = new Int32Array(20).map((_, i) => i % 2);
  assert.deepEqual(flipsPerClass(ten, addLabelNoise(ten, 2, { kind: 'symmetric', rate: 0.25 }, 1).labels, 2), [3, 3]);
  assert.deepEqual(flipsPerClass(ten, addLabelNoise(ten, 2, { kind: 'symmetric', rate: 0.2 }, 1).labels, 2), [2, 2]);
  const fifty = new Int32Array(100).map((_, i) => i % 2);
  assert.deepEqual(flipsPerClass(fifty, addLabelNoise(fifty, 2, { kind: 'symmetric', rate: 0.29 }, 1).labels, 2), [15, 15]);
  // With two classes the only other class is the target.
  assert.ok(addLabelNoise(ten, 2, { kind: 'symmetric', rate: 1 }, 1).labels.every((label, i) => label === 1 - ten[i]));
});

test('asymmetric MNIST map: 2->7, 3->8, 5<->6, 7->1, exact counts, other classes clean', () => {
  const noisy = addLabelNoise(labels, 10, { kind: 'asymmetric', rate: 0.4, map: MNIST_ASYMMETRIC_MAP }, 5);
  assert.deepEqual(flipsPerClass(labels, noisy.labels, 10), [0, 0, 40, 40, 0, 40, 40, 40, 0, 0]);
  const pairs = new Set([...noisy.flipped].map((i) => `${labels[i]}>${noisy.labels[i]}`));
  assert.deepEqual([...pairs].sort(), ['2>7', '3>8', '5>6', '6>5', '7>1']);
  // The map applies to clean labels: a 2 turned 7 is not turned again into a 1.
  assert.equal([...noisy.flipped].filter((i) => labels[i] === 2 && noisy.labels[i] === 1).length, 0);
  assert.deepEqual(countPerClass(noisy.labels, 10), [100, 140, 60, 60, 100, 100, 100, 100, 140, 7]);
});

test('same seed same flips, other seed other flips; classes draw from their own streams', () => {
  const spec: NoiseSpec = { kind: 'symmetric', rate: 0.3 };
  const a = addLabelNoise(labels, 10, spec, 8);
  assert.deepEqual(addLabelNoise(labels, 10, spec, 8), a);
  assert.notDeepEqual(addLabelNoise(labels, 10, spec, 9).flipped, a.flipped);
  // Asymmetric noise on class 2 alone flips the same rows of class 2 as the MNIST map does.
  const mnist = addLabelNoise(labels, 10, { kind: 'asymmetric', rate: 0.4, map: MNIST_ASYMMETRIC_MAP }, 5);
  const only = addLabelNoise(labels, 10, { kind: 'asymmetric', rate: 0.4, map: [[2, 7]] }, 5);
  const ofClass2 = (rows: Int32Array) => [...rows].filter((i) => labels[i] === 2);
  assert.deepEqual(ofClass2(only.flipped), ofClass2(mnist.flipped));
});

test('applyLabelNoise: noisy train with its clean labels, test untouched, only once', () => {
  const dataset = trackedDataset([50, 50, 50], [10, 10, 10]);
  const noisy = applyLabelNoise(dataset, { kind: 'symmetric', rate: 0.1 }, 0);
  assert.deepEqual(noisy.train.trueLabels, dataset.train.labels);
  assert.deepEqual(flipsPerClass(dataset.train.labels, noisy.train.labels, 3), [5, 5, 5]);
  assert.equal(noisy.train.features, dataset.train.features);
  assert.equal(noisy.test, dataset.test);
  assert.equal(dataset.train.trueLabels, undefined, 'the input is not changed');
  assert.throws(() => applyLabelNoise(noisy, { kind: 'symmetric', rate: 0.1 }, 0), /already carries label noise/);
});

test('noise spec errors name the bad value', () => {
  const cases: Array<[NoiseSpec, RegExp]> = [
    [{ kind: 'symmetric', rate: 1.5 }, /noise rate must be a number in \[0, 1\], got 1.5/],
    [{ kind: 'symmetric', rate: -0.1 }, /noise rate must be a number in \[0, 1\], got -0.1/],
    [{ kind: 'symmetric', rate: NaN }, /noise rate must be a number in \[0, 1\], got NaN/],
    [{ kind: 'asymmetric', rate: 0.2, map: [] }, /non-empty map/],
    [{ kind: 'asymmetric', rate: 0.2, map: [[1, 1]] }, /1>1 maps a class to itself/],
    [{ kind: 'asymmetric', rate: 0.2, map: [[1, 2], [1, 3]] }, /class 1 has two targets/],
    [{ kind: 'asymmetric', rate: 0.2, map: [[1, 10]] }, /10 is not a class id of this dataset \(0-9\)/],
    [{ kind: 'flip', rate: 0.2 } as unknown as NoiseSpec, /unknown noise kind "flip"/],
  ];
  for (const [spec, message] of cases) {
    assert.throws(() => addLabelNoise(labels, 10, spec, 0), (e: Error) => e instanceof AffinityConfigError && message.test(e.message), JSON.stringify(spec));
  }
  assert.throws(() => addLabelNoise(Int32Array.from([0, 0]), 1, { kind: 'symmetric', rate: 0.5 }, 0), /at least 2 classes/);
  assert.throws(() => addLabelNoise(labels, 10, { kind: 'symmetric', rate: 0.5 }, -1), /seed must be an integer/);
});
