import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterRadii, radiusRatio, spacingVariation } from '../../src/metrics/clusters.js';

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
