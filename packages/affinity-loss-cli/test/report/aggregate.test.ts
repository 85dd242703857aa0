import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunRecord } from '../../src/bench/results.js';
import { aggregateRuns, clusterScalars, findCell, sampleStd, summarize } from '../../src/report/aggregate.js';
import { fixtureRuns, report, run } from './fixtures.js';

const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: got ${actual}, expected ${expected}`);

test('summarize: mean, sample std (n - 1) and n; one value has std 0; NaN and null are left out', () => {
  const two = summarize([0.9, 0.8]);
  close(two.mean, 0.85, 'mean');
  close(two.std, Math.sqrt(0.005), 'std'); // ((0.05)^2 * 2 / 1) ** 0.5 = 0.0707...
  assert.equal(two.n, 2);
  assert.deepEqual(summarize([0.5]), { mean: 0.5, std: 0, n: 1 });
  const gaps = summarize([0.2, NaN, null, undefined, 0.4]);
  close(gaps.mean, 0.3, 'mean over present values');
  assert.equal(gaps.n, 2);
  close(sampleStd([1, 2, 3]), 1, 'std of 1, 2, 3');
});

test('aggregateRuns: settings by settingOrder, methods in first-seen order, cells per (setting, method)', () => {
  const [aggregate] = aggregateRuns(fixtureRuns());
  assert.equal(aggregate.protocol, 'figure1');
  assert.deepEqual(aggregate.settings, ['k=10', 'k=20']);
  assert.deepEqual(aggregate.methods, ['softmax', 'affinity']);
  assert.equal(aggregate.cells.length, 4);
  assert.deepEqual(aggregate.seeds, { min: 1, max: 2 });
  assert.equal(aggregate.runs, 6);
});

test('aggregateRuns: macro-F1 0.9 and 0.8 give 85.00 ± 7.07 percent, for last and best separately', () => {
  const [aggregate] = aggregateRuns(fixtureRuns());
  const cell = findCell(aggregate, 'k=10', 'softmax')!;
  assert.deepEqual(cell.seeds, [1, 2]);
  assert.equal((cell.last.macroF1!.mean * 100).toFixed(2), '85.00');
  assert.equal((cell.last.macroF1!.std * 100).toFixed(2), '7.07');
  assert.equal(cell.last.macroF1!.n, 2);
  assert.equal((cell.best.macroF1!.mean * 100).toFixed(2), '88.00');
  const lone = findCell(aggregate, 'k=20', 'softmax')!;
  assert.deepEqual(lone.last.macroF1, { mean: 0.7, std: 0, n: 1 });
});

test('aggregateRuns: minority recall averages the minority classes, majority recall the rest', () => {
  const [aggregate] = aggregateRuns(fixtureRuns());
  const cell = findCell(aggregate, 'k=10', 'softmax')!;
  // Seed 1: minority (0.5 + 0.5) / 2 = 0.5, seed 2: (0.3 + 0.5) / 2 = 0.4.
  close(cell.last.minorityRecall!.mean, 0.45, 'minority recall');
  // Seed 1: majority (1 + 1) / 2 = 1, seed 2: (1 + 0.8) / 2 = 0.9.
  close(cell.last.majorityRecall!.mean, 0.95, 'majority recall');
  close(cell.perClassRecall.last[1].mean, 0.9, 'recall of class 1');
  assert.equal(cell.perClassRecall.last.length, 4);
});

test('aggregateRuns: shot groups and verification appear only when present; NaN groups are skipped', () => {
  const group = (accuracy: number) => ({ accuracy, classes: [0], samples: 1 });
  const runs = [
    run({
      setting: 's', method: 'focal', seed: 1,
      last: report(0.5, [0.5, 0.5], { shotGroups: { many: group(0.9), medium: group(0.5), few: group(NaN) } }),
      verification: { seen: { rocAuc: 0.9, equalErrorRate: 0.1, pairs: 10 }, unseen: { rocAuc: 0.7, equalErrorRate: 0.3, pairs: 10 } },
    }),
    run({
      setting: 's', method: 'focal', seed: 2,
      last: report(0.5, [0.5, 0.5], { shotGroups: { many: group(0.7), medium: group(0.5), few: group(0.1) } }),
      verification: { seen: { rocAuc: 0.8, equalErrorRate: 0.2, pairs: 10 }, unseen: { rocAuc: 0.6, equalErrorRate: 0.4, pairs: 10 } },
    }),
  ];
  const cell = aggregateRuns(runs)[0].cells[0];
  close(cell.last.manyShotAccuracy!.mean, 0.8, 'many-shot');
  assert.deepEqual(cell.last.fewShotAccuracy, { mean: 0.1, std: 0, n: 1 });
  close(cell.last.seenRocAuc!.mean, 0.85, 'seen ROC AUC');
  close(cell.last.unseenEqualErrorRate!.mean, 0.35, 'unseen EER');
  assert.equal(cell.best.manyShotAccuracy, undefined, 'best reports of the fixture have no shot groups');
  assert.equal(cell.best.seenRocAuc, undefined, 'verification belongs to the last-epoch model only');
});

test('aggregateRuns: one aggregate per protocol, in first-seen order', () => {
  const runs = [run({ setting: 'a', method: 'x', seed: 1, protocol: 'verification' }), run({ setting: 'a', method: 'x', seed: 1 })];
  assert.deepEqual(aggregateRuns(runs).map((aggregate) => aggregate.protocol), ['verification', 'figure1']);
});

test('aggregateRuns: methodOrder sets the rows; methods it does not name follow in first-seen order', () => {
  const runs = [run({ setting: 'a', method: 'focal', seed: 1 }), run({ setting: 'a', method: 'affinity', seed: 1 }), run({ setting: 'a', method: 'softmax', seed: 1 })];
  assert.deepEqual(aggregateRuns(runs, { methodOrder: ['softmax', 'affinity', 'ldam'] })[0].methods, ['softmax', 'affinity', 'focal']);
});

test('clusterScalars reads a Figure 1 snapshot: class means without anchors, mean anchor per class with them', () => {
  const features = {
    points: [[0, 0], [2, 0], [10, 0], [14, 0]] as [number, number][],
    labels: [0, 0, 1, 1],
    classMeans: [[1, 0], [12, 0]] as [number, number][],
    minorityClasses: [0],
  };
  const run = { features } as unknown as RunRecord;
  // Radii: class 0 -> 1, class 1 -> 2: ratio 0.5. Two centres: one distance, no variation.
  assert.deepEqual(clusterScalars(run), { minorityRadiusRatio: 0.5, anchorSpacingCv: 0 });
  const withAnchors = {
    features: { ...features, classMeans: [[1, 0], [12, 0], [0, 0]], anchors: [{ class: 0, point: [0, 0] }, { class: 0, point: [2, 0] }, { class: 1, point: [4, 0] }, { class: 2, point: [0, 3] }] },
  } as unknown as RunRecord;
  // Anchors per class: (1,0), (4,0), (0,3): distances 3, sqrt(10), 5.
  const d = [3, Math.sqrt(10), 5];
  const mean = (d[0] + d[1] + d[2]) / 3;
  const cv = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / 3) / mean;
  assert.ok(Math.abs(clusterScalars(withAnchors).anchorSpacingCv! - cv) < 1e-12);
  assert.deepEqual(clusterScalars({} as RunRecord), {});
});
