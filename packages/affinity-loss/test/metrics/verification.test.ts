import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError, LabelError, NonFiniteError, ShapeError, equalErrorRate, rocAuc, rocCurve, tprAtFpr } from '../../src/index.js';
import { assertClose } from '../helpers.js';
import { fixtures } from './fixtures.js';

for (const c of fixtures.verification) {
  test(`verification metrics match scikit-learn / SciPy: ${c.name}`, () => {
    if (c.fpr && c.tpr) {
      const roc = rocCurve(c.labels, c.scores);
      assertClose(roc.fpr, c.fpr, 1e-12, 'fpr');
      assertClose(roc.tpr, c.tpr, 1e-12, 'tpr');
    }
    assertClose([rocAuc(c.labels, c.scores)], [c.auc], 1e-12, 'AUC');
    // brentq stops within its tolerance of the root; the crossing here is exact.
    assertClose([equalErrorRate(c.labels, c.scores)], [c.eer], 1e-9, 'EER');
    for (const [target, expected] of Object.entries(c.tprStep)) {
      assertClose([tprAtFpr(c.labels, c.scores, Number(target))], [expected], 1e-12, `TPR at FPR ${target} (step)`);
    }
    for (const [target, expected] of Object.entries(c.tprLinear)) {
      const got = tprAtFpr(c.labels, c.scores, Number(target), { interpolation: 'linear' });
      assertClose([got], [expected], 1e-12, `TPR at FPR ${target} (linear)`);
    }
  });
}

test('by hand: a tie between a positive and a negative counts one half', () => {
  // Pairs (positive, negative): (0.8, 0.2) right, (0.8, 0.5) right, (0.5, 0.2) right, (0.5, 0.5) tie.
  const labels = [1, 1, 0, 0];
  const scores = [0.8, 0.5, 0.5, 0.2];
  assert.equal(rocAuc(labels, scores), 3.5 / 4);
  const roc = rocCurve(labels, scores);
  assert.deepEqual(roc.fpr, [0, 0, 0.5, 1]);
  assert.deepEqual(roc.tpr, [0, 0.5, 1, 1]);
  assert.deepEqual(roc.thresholds, [Infinity, 0.8, 0.5, 0.2]);
  // The input order of tied samples does not matter.
  assert.equal(rocAuc([0, 1, 1, 0], [0.5, 0.5, 0.8, 0.2]), 3.5 / 4);
  // EER: on the diagonal segment (0, 0.5) -> (0.5, 1), FPR = 1 - TPR at FPR = 0.25.
  assert.equal(equalErrorRate(labels, scores), 0.25);
});

test('perfect, constant and reversed scores', () => {
  const labels = [1, 0, 1, 0, 1];
  const perfect = [3, 1, 4, 2, 5];
  assert.equal(rocAuc(labels, perfect), 1);
  assert.equal(equalErrorRate(labels, perfect), 0);
  assert.equal(tprAtFpr(labels, perfect, 0), 1);
  const constant = [7, 7, 7, 7, 7];
  assert.equal(rocAuc(labels, constant), 0.5);
  assert.equal(equalErrorRate(labels, constant), 0.5);
  assert.equal(tprAtFpr(labels, constant, 0.2), 0); // no threshold reaches FPR <= 0.2 except "accept none"
  assertClose([tprAtFpr(labels, constant, 0.2, { interpolation: 'linear' })], [0.2], 1e-15, 'linear');
  const reversed = perfect.map((s) => -s);
  assert.equal(rocAuc(labels, reversed), 0);
  assert.equal(equalErrorRate(labels, reversed), 1);
});

test('TPR at FPR 1e-2 and 1e-3: step takes the last threshold within the target, linear interpolates', () => {
  // 1000 negatives scored 0..999; 6 positives at 1000 and 4 tied with the top negative at 999.
  const labels: number[] = [];
  const scores: number[] = [];
  for (let i = 0; i < 1000; i++) {
    labels.push(0);
    scores.push(i);
  }
  for (let i = 0; i < 10; i++) {
    labels.push(1);
    scores.push(i < 4 ? 999 : 1000);
  }
  // Accepting scores >= 1000: FPR 0, TPR 0.6. Accepting >= 999: FPR 1e-3, TPR 1 (a diagonal segment).
  assert.equal(tprAtFpr(labels, scores, 1e-3), 1);
  assert.equal(tprAtFpr(labels, scores, 5e-4), 0.6);
  assertClose([tprAtFpr(labels, scores, 5e-4, { interpolation: 'linear' })], [0.8], 1e-12, 'halfway');
  assert.equal(tprAtFpr(labels, scores, 1e-2), 1);
});

test('booleans are accepted as labels', () => {
  assert.equal(rocAuc([true, false, true], [0.9, 0.1, 0.4]), rocAuc([1, 0, 1], [0.9, 0.1, 0.4]));
});

test('validation: one class only, bad labels, NaN scores, lengths, target range', () => {
  assert.throws(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), (e: Error) => e instanceof LabelError && /3 positive and 0 negative/.test(e.message));
  assert.throws(() => rocAuc([1, 2, 0], [0.1, 0.2, 0.3]), (e: Error) => e instanceof LabelError && /labels\[1\] = 2/.test(e.message));
  assert.throws(() => equalErrorRate([1, 0], [0.1, NaN]), (e: Error) => e instanceof NonFiniteError && /scores\[1\] = NaN/.test(e.message));
  assert.throws(() => rocCurve([1, 0], [Infinity, 0]), NonFiniteError);
  assert.throws(() => rocAuc([1, 0], [0.1]), ShapeError);
  assert.throws(() => rocAuc([], []), ShapeError);
  assert.throws(() => tprAtFpr([1, 0], [1, 0], 1.5), AffinityConfigError);
  assert.throws(() => tprAtFpr([1, 0], [1, 0], NaN), AffinityConfigError);
  assert.throws(
    () => tprAtFpr([1, 0], [1, 0], 0.1, { interpolation: 'cubic' as 'linear' }),
    (e: Error) => e instanceof AffinityConfigError && /^interpolation must be one of 'step', 'linear', got "cubic"$/.test(e.message),
  );
  assert.throws(() => tprAtFpr([1, 0], [1, 0], -0.5), (e: Error) => /^targetFpr must be a number in \[0, 1\], got -0.5$/.test(e.message));
});
