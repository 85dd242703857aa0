import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError, classificationReport } from '../../src/index.js';
import { assertClose } from '../helpers.js';

// Six samples of three classes:
//   labels    [0, 0, 0, 1, 1, 2]
//   predicted [0, 0, 1, 1, 2, 2]
// Confusion (rows true, columns predicted):
//   true 0: [2, 1, 0]   (two right, one taken for class 1)
//   true 1: [0, 1, 1]   (one right, one taken for class 2)
//   true 2: [0, 0, 1]
// accuracy  = (2 + 1 + 1) / 6 = 2/3
// recall    = [2/3, 1/2, 1/1]                          (diagonal / row sums 3, 2, 1)
// precision = [2/2, 1/2, 1/2]                          (diagonal / column sums 2, 2, 2)
// F1 = 2 TP / (2 TP + FP + FN) = [4/5, 2/4, 2/3]
// macroF1 = (4/5 + 1/2 + 2/3) / 3 = (24 + 15 + 20) / 90 = 59/90
// balancedAccuracy = (2/3 + 1/2 + 1) / 3 = 13/18
// gMean = (2/3 * 1/2 * 1)^(1/3) = (1/3)^(1/3)
const labels = [0, 0, 0, 1, 1, 2];
const predicted = [0, 0, 1, 1, 2, 2];
const TOL = 1e-12;

test('a 3-class example, every field by hand', () => {
  const report = classificationReport(labels, predicted, 3);
  assert.equal(report.samples, 6);
  assertClose([report.accuracy], [2 / 3], TOL, 'accuracy');
  assertClose(report.perClassRecall, [2 / 3, 1 / 2, 1], TOL, 'recall');
  assertClose(report.perClassPrecision, [1, 1 / 2, 1 / 2], TOL, 'precision');
  assertClose(report.perClassF1, [4 / 5, 1 / 2, 2 / 3], TOL, 'F1');
  assertClose([report.macroF1], [59 / 90], TOL, 'macroF1');
  assertClose([report.balancedAccuracy], [13 / 18], TOL, 'balancedAccuracy');
  assertClose([report.gMean], [Math.cbrt(1 / 3)], TOL, 'gMean');
  assert.deepEqual(report.confusion, [
    [2, 1, 0],
    [0, 1, 1],
    [0, 0, 1],
  ]);
  assert.equal('shotGroups' in report, false, 'no shotGroups without trainCounts');
  assert.deepEqual(Object.keys(report).sort(), [
    'accuracy', 'balancedAccuracy', 'confusion', 'gMean', 'macroF1', 'perClassF1', 'perClassPrecision', 'perClassRecall', 'samples',
  ]);
});

test('typed arrays score as plain arrays; the record survives a JSON round trip', () => {
  const report = classificationReport(Int32Array.from(labels), Float32Array.from(predicted), 3);
  assert.deepEqual(report, classificationReport(labels, predicted, 3));
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
});

test('classes = 4: the class in neither array gets a zero row, column and scores', () => {
  // Class 3 never occurs: recall, precision and F1 are 0/0, counted as 0.
  // macroF1 averages over all 4 classes: (59/30) / 4 = 59/120.
  // balancedAccuracy leaves out classes with no true sample: still 13/18.
  // gMean takes all 4 recalls, and a recall of 0 makes it 0.
  const report = classificationReport(labels, predicted, 4);
  assert.equal(report.samples, 6);
  assertClose([report.accuracy], [2 / 3], TOL, 'accuracy');
  assertClose(report.perClassRecall, [2 / 3, 1 / 2, 1, 0], TOL, 'recall');
  assertClose(report.perClassPrecision, [1, 1 / 2, 1 / 2, 0], TOL, 'precision');
  assertClose(report.perClassF1, [4 / 5, 1 / 2, 2 / 3, 0], TOL, 'F1');
  assertClose([report.macroF1], [59 / 120], TOL, 'macroF1');
  assertClose([report.balancedAccuracy], [13 / 18], TOL, 'balancedAccuracy');
  assert.equal(report.gMean, 0);
  assert.deepEqual(report.confusion, [
    [2, 1, 0, 0],
    [0, 1, 1, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 0],
  ]);
});

test('trainCounts adds the many / medium / few groups: many > 100, medium 20..100, few < 20', () => {
  // Counts on the boundaries: 101 is many; 100 and 20 are medium; 19 is few.
  //   many   = [0]:    accuracy = recall_0 = 2/3,                samples 3
  //   medium = [1, 2]: accuracy = mean(1/2, 1) = 3/4,            samples 2 + 1 = 3
  //   few    = [3]:    no test sample of class 3: accuracy NaN,  samples 0
  const report = classificationReport(labels, predicted, 4, [101, 100, 20, 19]);
  const groups = report.shotGroups;
  assert.ok(groups !== undefined);
  assert.deepEqual(groups.many.classes, [0]);
  assert.deepEqual(groups.medium.classes, [1, 2]);
  assert.deepEqual(groups.few.classes, [3]);
  assertClose([groups.many.accuracy, groups.medium.accuracy], [2 / 3, 3 / 4], TOL, 'group accuracy');
  assert.ok(Number.isNaN(groups.few.accuracy));
  assert.deepEqual([groups.many.samples, groups.medium.samples, groups.few.samples], [3, 3, 0]);
  // The other fields do not depend on trainCounts.
  const { shotGroups: _shotGroups, ...rest } = report;
  assert.deepEqual(rest, classificationReport(labels, predicted, 4));
});

test('trainCounts in the order they come: a tail that is not sorted groups by count, not by id', () => {
  // Counts 5, 1000, 50: class 0 few, class 1 many, class 2 medium.
  //   many   = [1]: recall 1/2, samples 2
  //   medium = [2]: recall 1,   samples 1
  //   few    = [0]: recall 2/3, samples 3
  const groups = classificationReport(labels, predicted, 3, [5, 1000, 50]).shotGroups!;
  assert.deepEqual([groups.many.classes, groups.medium.classes, groups.few.classes], [[1], [2], [0]]);
  assertClose([groups.many.accuracy, groups.medium.accuracy, groups.few.accuracy], [1 / 2, 1, 2 / 3], TOL, 'group accuracy');
  assert.deepEqual([groups.many.samples, groups.medium.samples, groups.few.samples], [2, 1, 3]);
});

test('bad trainCounts are refused', () => {
  assert.throws(() => classificationReport(labels, predicted, 3, []), AffinityConfigError);
  assert.throws(() => classificationReport(labels, predicted, 3, [10, -1, 5]), /trainCounts\[1\]/);
});

test('classificationReport refuses training counts that do not match the classes', () => {
  assert.throws(() => classificationReport([0, 1, 2], [0, 1, 2], 3, [101, 100]), /trainCounts must list 3 per-class training counts \(one per class\), got 2/);
  assert.throws(() => classificationReport([0, 1, 2], [0, 1, 2], 3, [101, 100, 20, 19]), /got 4/);
});
