import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AffinityConfigError,
  LabelError,
  ShapeError,
  accuracy,
  balancedAccuracy,
  balancedMacroF1,
  confusionMatrix,
  gMean,
  macroF1,
  perClassF1,
  perClassPrecision,
  perClassRecall,
  shotGroupAccuracy,
} from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { fixtures } from './fixtures.js';

for (const c of fixtures.classification) {
  test(`classification metrics match scikit-learn: ${c.name}`, () => {
    const options = { classes: c.classes };
    assert.deepEqual(confusionMatrix(c.yTrue, c.yPred, options), c.confusion);
    assertClose([accuracy(c.yTrue, c.yPred)], [c.accuracy], 1e-12, 'accuracy');
    assertClose(perClassPrecision(c.yTrue, c.yPred, options), c.precision, 1e-12, 'precision');
    assertClose(perClassRecall(c.yTrue, c.yPred, options), c.recall, 1e-12, 'recall');
    assertClose(perClassF1(c.yTrue, c.yPred, options), c.f1, 1e-12, 'f1');
    assertClose([macroF1(c.yTrue, c.yPred)], [c.macroF1Present], 1e-12, 'macro-F1 over present classes');
    assertClose([macroF1(c.yTrue, c.yPred, options)], [c.macroF1All], 1e-12, 'macro-F1 over all classes');
    assertClose([balancedAccuracy(c.yTrue, c.yPred)], [c.balancedAccuracy], 1e-12, 'balanced accuracy');
    assertClose([gMean(c.yTrue, c.yPred)], [c.gMeanPresent], 1e-12, 'G-mean over present classes');
    assertClose([gMean(c.yTrue, c.yPred, options)], [c.gMeanAll], 1e-12, 'G-mean over all classes');
    assertClose([gMean(c.yTrue, c.yPred, { correction: 0.001 })], [c.gMeanCorrected], 1e-12, 'G-mean with correction');
    if (c.trainCounts && c.shotGroups) {
      const groups = shotGroupAccuracy(c.yTrue, c.yPred, c.trainCounts);
      for (const key of ['many', 'medium', 'few'] as const) {
        const expected = c.shotGroups[key];
        if (expected === null) assert.ok(Number.isNaN(groups[key].accuracy), `${key}: no tested class gives NaN`);
        else assertClose([groups[key].accuracy], [expected], 1e-12, `${key}-shot accuracy`);
      }
    }
  });
}

test('typed arrays give the same numbers as plain arrays', () => {
  const c = fixtures.classification[3];
  assert.deepEqual(confusionMatrix(Int32Array.from(c.yTrue), Float32Array.from(c.yPred)), confusionMatrix(c.yTrue, c.yPred));
  assert.equal(macroF1(Uint8Array.from(c.yTrue), Int32Array.from(c.yPred)), macroF1(c.yTrue, c.yPred));
});

test('by hand: an empty class counts 0 (zero_division = 0), and the class set of the averages', () => {
  // Class 1 is never true and never predicted; class 2 is predicted once but never true.
  const yTrue = [0, 0, 3, 3];
  const yPred = [0, 2, 3, 0];
  assert.deepEqual(confusionMatrix(yTrue, yPred), [
    [1, 0, 1, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [1, 0, 0, 1],
  ]);
  assert.deepEqual(perClassPrecision(yTrue, yPred), [0.5, 0, 0, 1]);
  assert.deepEqual(perClassRecall(yTrue, yPred), [0.5, 0, 0, 0.5]);
  // F1: class 0 = 2*1/(2+2) = 0.5, class 3 = 2*1/(2+1) = 2/3; classes 1 and 2 score 0.
  assertClose(perClassF1(yTrue, yPred), [0.5, 0, 0, 2 / 3], 1e-12, 'f1');
  // Default: classes occurring in yTrue or yPred (0, 2, 3); with classes: 4, all four.
  assertClose([macroF1(yTrue, yPred)], [(0.5 + 0 + 2 / 3) / 3], 1e-12, 'macro-F1 present');
  assertClose([macroF1(yTrue, yPred, { classes: 4 })], [(0.5 + 2 / 3) / 4], 1e-12, 'macro-F1 all');
  // Balanced accuracy leaves out classes with no true sample: (0.5 + 0.5) / 2.
  assert.equal(balancedAccuracy(yTrue, yPred), 0.5);
  // G-mean over 0, 2, 3: class 2's recall is 0/0 = 0, so the G-mean is 0 unless corrected.
  assert.equal(gMean(yTrue, yPred), 0);
  assertClose([gMean(yTrue, yPred, { correction: 0.1 })], [Math.cbrt(0.5 * 0.1 * 0.5)], 1e-12, 'corrected');
  assert.equal(accuracy(yTrue, yPred), 0.5);
});

test('G-mean of two classes is sqrt(sensitivity * specificity)', () => {
  const yTrue = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
  const yPred = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1];
  assertClose([gMean(yTrue, yPred)], [Math.sqrt(0.75 * (4 / 6))], 1e-12, 'G-mean');
});

test('G-mean does not underflow with many classes', () => {
  // 400 classes each with recall 0.1: the product 1e-400 underflows, its 400th root is 0.1.
  const yTrue: number[] = [];
  const yPred: number[] = [];
  for (let c = 0; c < 400; c++) {
    for (let k = 0; k < 10; k++) {
      yTrue.push(c);
      yPred.push(k === 0 ? c : (c + 1) % 400);
    }
  }
  assertClose([gMean(yTrue, yPred)], [0.1], 1e-12, 'G-mean');
});

test('shot groups: default thresholds > 100, 20..100, < 20, configurable, per-class mean', () => {
  const trainCounts = [500, 101, 100, 20, 19, 3];
  // Test set: class 0 has 4 samples (3 right), class 1 has 1 (right), class 2 has 2 (0 right), ...
  const yTrue = [0, 0, 0, 0, 1, 2, 2, 3, 4, 4];
  const yPred = [0, 0, 0, 1, 1, 0, 0, 3, 4, 0];
  const groups = shotGroupAccuracy(yTrue, yPred, trainCounts);
  assert.deepEqual(groups.many.classes, [0, 1]);
  assert.deepEqual(groups.medium.classes, [2, 3]);
  assert.deepEqual(groups.few.classes, [4, 5]);
  assert.equal(groups.many.accuracy, (0.75 + 1) / 2); // per-class mean, not 4/5 over samples
  assert.equal(groups.medium.accuracy, (0 + 1) / 2);
  assert.equal(groups.few.accuracy, 0.5); // class 5 has no test sample and is left out
  assert.deepEqual([groups.many.samples, groups.medium.samples, groups.few.samples], [5, 3, 2]);
  const custom = shotGroupAccuracy(yTrue, yPred, trainCounts, { manyAbove: 200, fewBelow: 100 });
  assert.deepEqual(custom.many.classes, [0]);
  assert.deepEqual(custom.medium.classes, [1, 2]);
  assert.deepEqual(custom.few.classes, [3, 4, 5]);
  assert.throws(() => shotGroupAccuracy(yTrue, yPred, trainCounts, { manyAbove: 10, fewBelow: 20 }), AffinityConfigError);
  assert.throws(() => shotGroupAccuracy(yTrue, yPred, [10, 10]), LabelError); // label 5 >= 2 classes
  assert.throws(() => shotGroupAccuracy(yTrue, yPred, [10, -1, 3, 3, 3, 3]), AffinityConfigError);
});

test('validation: length mismatch, empty input, labels out of range or not integers', () => {
  assert.throws(() => accuracy([0, 1], [0]), (e: Error) => e instanceof ShapeError && /2 entries.*1/.test(e.message));
  assert.throws(() => macroF1([], []), ShapeError);
  assert.throws(() => confusionMatrix([0, 3], [0, 1], { classes: 3 }), (e: Error) => e instanceof LabelError && /^confusionMatrix: yTrue: label 3 at row 1 is not an integer class id in \[0, 2\]$/.test(e.message));
  assert.throws(() => perClassRecall([0, 1], [0, -1]), (e: Error) => e instanceof LabelError && /^perClassRecall: yPred: label -1 at row 1 is not an integer class id >= 0$/.test(e.message));
  assert.throws(() => perClassPrecision([0, 1.5], [0, 1]), LabelError);
  assert.throws(() => balancedAccuracy([0, NaN], [0, 1]), LabelError);
  assert.throws(() => gMean([0, 1], [0, 1], { correction: -1 }), AffinityConfigError);
  assert.throws(() => confusionMatrix([0, 1], [0, 1], { classes: 0 }), AffinityConfigError);
});

test('a stray label cannot size the class set, and options must be an object', () => {
  // 10 classes and one label of 100000: 100001 inferred classes (a 1e10-entry confusion matrix).
  const yTrue = [...Array.from({ length: 20 }, (_, i) => i % 10), 100000];
  const yPred = [...Array.from({ length: 20 }, (_, i) => i % 10), 3];
  for (const metric of [macroF1, balancedAccuracy, confusionMatrix, perClassRecall]) {
    assert.throws(() => metric(yTrue, yPred), (e: Error) => e instanceof LabelError && /label 100000 would make 100001 classes .* 11 distinct/.test(e.message));
  }
  // Given the class count, the stray label is out of range instead.
  assert.throws(() => macroF1(yTrue, yPred, { classes: 10 }), LabelError);
  // A few unused ids stay allowed: 0, 1 and 3 make 4 classes from 3 labels.
  assertClose([macroF1([0, 1, 3], [0, 1, 3])], [1], 1e-12, 'gapped ids');
  // A bare number is not { classes }: refused rather than silently ignored.
  assert.throws(() => macroF1([0, 1], [0, 1], 3 as never), (e: Error) => e instanceof AffinityConfigError && /options must be an object such as \{ classes: 10 \}, got 3/.test(e.message));
  assert.throws(() => gMean([0, 1], [0, 1], 'x' as never), AffinityConfigError);
  assert.throws(() => shotGroupAccuracy([0, 1], [0, 1], [5, 5], 20 as never), AffinityConfigError);
});

test('balancedMacroF1: macro-F1 with every row weighted by 1 / its class count, by hand', () => {
  // Class 0 has 4 rows (3 right), class 1 one (right). Weighted confusion [[0.75, 0.25], [0, 1]]:
  // F1_0 = 1.5 / 1.75, F1_1 = 2 / 2.25. Plain macro-F1 is (6/7 + 2/3) / 2: the one class-0 row
  // predicted as 1 halves class 1's precision there, a quarter of it here.
  const yTrue = [0, 0, 0, 0, 1];
  const yPred = [0, 0, 0, 1, 1];
  assert.ok(Math.abs(balancedMacroF1(yTrue, yPred) - (1.5 / 1.75 + 2 / 2.25) / 2) < 1e-12);
  assert.ok(Math.abs(macroF1(yTrue, yPred) - (6 / 7 + 2 / 3) / 2) < 1e-12);
  // With equal class counts the weighting changes nothing.
  const even = [0, 0, 1, 1, 2, 2];
  const guess = [0, 1, 1, 1, 2, 0];
  assert.ok(Math.abs(balancedMacroF1(even, guess) - macroF1(even, guess)) < 1e-12);
  // A class absent from yTrue is left out (its weight would be 1/0).
  assert.ok(Math.abs(balancedMacroF1([0, 0, 1], [0, 2, 1], { classes: 3 }) - (2 * 0.5 / 1.5 + 1) / 2) < 1e-12);
});
