import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterRadii, radiusRatio, spacingVariation } from '../../src/metrics/clusters.js';
import { clusterScalars } from 'affinity-loss-cli/internal/report/aggregate.js';
import type { RunRecord } from 'affinity-loss-cli/internal/bench/results.js';

test('clusterRadii: mean distance to the class mean, by hand', () => {
  // Class 0: (0,0), (2,0) -> mean (1,0), distances 1, 1 -> radius 1.
  // Class 1: (0,3), (0,5), (0,7) -> mean (0,5), distances 2, 0, 2 -> radius 4/3. Class 2: empty.
  const radii = clusterRadii([[0, 0], [2, 0], [0, 3], [0, 5], [0, 7]], [0, 0, 1, 1, 1], 3);
  assert.equal(radii[0], 1);
  assert.ok(Math.abs(radii[1] - 4 / 3) < 1e-12);
  assert.ok(Number.isNaN(radii[2]));
  assert.throws(() => clusterRadii([[0, 0]], [0, 1], 2), /1 points but 2 labels/);
});

test('radiusRatio: minority over majority mean radius; spacingVariation: 0 for equidistant centres', () => {
  assert.equal(radiusRatio([1, 2, 3, 6], [0, 1]), 1.5 / 4.5);
  assert.ok(Number.isNaN(radiusRatio([1, 2], [])));
  // An equilateral triangle: every distance is 2.
  assert.ok(Math.abs(spacingVariation([[0, 0], [2, 0], [1, Math.sqrt(3)]])) < 1e-12);
  // Points 0, 1, 3 on a line: distances 1, 3, 2 -> mean 2, population std sqrt(2/3) -> CV sqrt(2/3)/2.
  assert.ok(Math.abs(spacingVariation([[0], [1], [3]]) - Math.sqrt(2 / 3) / 2) < 1e-12);
  assert.ok(Number.isNaN(spacingVariation([[1, 1]])));
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
