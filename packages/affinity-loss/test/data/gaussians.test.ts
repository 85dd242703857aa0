import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from '../../src/errors.js';
import { checkDataset, countPerClass } from '../../src/data/dataset.js';
import { makeGaussianBlobs, blobCentres } from '../../src/data/gaussians.js';

test('blobs: chosen per-class counts, balanced test by default, shape [d]', () => {
  const data = makeGaussianBlobs({ counts: [300, 30, 3] });
  checkDataset(data);
  assert.deepEqual(data.featureShape, [2]);
  assert.deepEqual(countPerClass(data.train.labels, 3), [300, 30, 3]);
  assert.deepEqual(countPerClass(data.test.labels, 3), [300, 300, 300]);
  assert.deepEqual(data.classNames, ['blob 0', 'blob 1', 'blob 2']);
  assert.deepEqual(countPerClass(makeGaussianBlobs({ counts: [5, 5], testCounts: [7, 1] }).test.labels, 2), [7, 1]);
  assert.deepEqual(countPerClass(makeGaussianBlobs({ counts: [5, 5], testCounts: 4 }).test.labels, 2), [4, 4]);
});

test('2-D centres lie evenly on the circle; samples scatter around them with the asked std', () => {
  const centres = blobCentres(4, 2, 5, 0);
  const expected = [[5, 0], [0, 5], [-5, 0], [0, -5]];
  centres.forEach((centre, c) => {
    assert.ok(Math.abs(centre[0] - expected[c][0]) < 1e-12 && Math.abs(centre[1] - expected[c][1]) < 1e-12, `centre ${c}: ${centre}`);
  });
  const data = makeGaussianBlobs({ counts: [4000, 4000, 4000, 4000], radius: 5, std: 0.5, seed: 1 });
  for (let c = 0; c < 4; c++) {
    let sx = 0, sy = 0, sxx = 0, n = 0;
    for (let i = 0; i < data.train.count; i++) {
      if (data.train.labels[i] !== c) continue;
      const x = data.train.features[2 * i], y = data.train.features[2 * i + 1];
      sx += x; sy += y; sxx += (x - expected[c][0]) ** 2; n++;
    }
    // Standard error of the mean: 0.5 / sqrt(4000) ~ 0.008.
    assert.ok(Math.abs(sx / n - expected[c][0]) < 0.04 && Math.abs(sy / n - expected[c][1]) < 0.04, `class ${c} mean`);
    assert.ok(Math.abs(Math.sqrt(sxx / n) - 0.5) < 0.03, `class ${c} std ${Math.sqrt(sxx / n)}`);
  }
});

test('centres in other dimensions: a line, unit axes, seeded random directions at the radius', () => {
  assert.deepEqual(blobCentres(3, 1, 2, 0).map((c) => [...c]), [[-2], [0], [2]]);
  assert.deepEqual(blobCentres(2, 3, 4, 0).map((c) => [...c]), [[4, 0, 0], [0, 4, 0]]);
  const random = blobCentres(6, 3, 4, 9);
  for (const centre of random) assert.ok(Math.abs(Math.hypot(...centre) - 4) < 1e-9);
  assert.deepEqual(blobCentres(6, 3, 4, 9), random);
  assert.notDeepEqual(blobCentres(6, 3, 4, 10), random);
  const wide = makeGaussianBlobs({ counts: [3, 3, 3, 3], dimensions: 3, seed: 2 });
  assert.deepEqual(wide.featureShape, [3]);
  assert.equal(wide.train.features.length, 12 * 3);
});

test('same seed same samples, other seed other samples', () => {
  const a = makeGaussianBlobs({ counts: [50, 5], seed: 4 });
  assert.deepEqual(makeGaussianBlobs({ counts: [50, 5], seed: 4 }), a);
  assert.notDeepEqual(makeGaussianBlobs({ counts: [50, 5], seed: 5 }).train.features, a.train.features);
  assert.notDeepEqual(a.test.features.subarray(0, 10), a.train.features.subarray(0, 10), 'train and test draw from different streams');
});

test('blob option errors', () => {
  assert.throws(() => makeGaussianBlobs({ counts: [5] }), /at least 2 classes/);
  assert.throws(() => makeGaussianBlobs({ counts: [5, -1] }), /counts\[1\] must be an integer >= 0, got -1/);
  assert.throws(() => makeGaussianBlobs({ counts: [5, 5], testCounts: [1] }), /one count per class \(2\)/);
  assert.throws(() => makeGaussianBlobs({ counts: [5, 5], std: 0 }), /std must be a finite number > 0/);
  assert.throws(() => makeGaussianBlobs({ counts: [5, 5], dimensions: 0 }), AffinityConfigError);
  assert.throws(() => makeGaussianBlobs({ counts: [5, 5], seed: -2 }), /seed must be an integer/);
});
