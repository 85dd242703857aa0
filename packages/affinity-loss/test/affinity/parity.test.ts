/**
 * Parity with an independent float64 PyTorch implementation of docs/METHOD.md sections 1-3
 * (bench/torch/affinity_reference.py, which writes test/fixtures/affinity-reference.json).
 *
 * For every case the functional API computes the affinities, the hinge, the regularizer, their
 * sum and the gradients (of the total w.r.t. features and prototypes, of the hinge and of the
 * regularizer alone w.r.t. the prototypes), and each array is compared with the reference by
 * its norm-relative error max|ts - ref| / max|ref|. The reference's inputs are float32 values,
 * so the error measures only tfjs's float32 arithmetic, which is held to 1e-5 in every case,
 * including `*-offset`, whose points all sit far from the origin (squared norm 900 sigma):
 * without the centring inside squaredDistances, ||f||^2 + ||w||^2 - 2 f.w loses digits there
 * (2e-4 measured before it was added).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { normRelativeError } from '../helpers.js';
import { diversity, gaussianAffinity, maxMarginLoss, type DiversityOptions } from '../../src/index.js';
import { useTestBackend } from '../testBackend.js';

interface ReferenceCase {
  name: string;
  C: number;
  m: number;
  d: number;
  N: number;
  sigma: number;
  margin: number;
  diversity: Required<DiversityOptions>;
  inputs: { features: number[][]; prototypes: number[][][]; labels: number[] };
  expected: {
    affinities: number[][];
    hinge: number;
    regularizer: number;
    total: number;
    hingeTerms: { active: number; inactive: number };
    grads: {
      totalFeatures: number[][];
      totalPrototypes: number[][][];
      hingePrototypes: number[][][];
      regularizerPrototypes: number[][][];
    };
  };
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/affinity-reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };

/** The tolerance on every norm-relative error. */
const TOLERANCE = 1e-5;

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

/** Everything the TypeScript implementation computes for one case, as flat float arrays. */
function compute(c: ReferenceCase): Record<string, ArrayLike<number>> {
  return tf.tidy(() => {
    const features = tf.tensor2d(c.inputs.features);
    const prototypes = tf.tensor3d(c.inputs.prototypes);
    const labels = tf.tensor1d(c.inputs.labels, 'int32');
    const hingeOf = (f: tf.Tensor, w: tf.Tensor) =>
      maxMarginLoss(labels, gaussianAffinity(f as tf.Tensor2D, w as tf.Tensor3D, c.sigma), c.margin);
    const regularizerOf = (w: tf.Tensor) => diversity(w, c.diversity);
    const totalOf = (f: tf.Tensor, w: tf.Tensor) => tf.add(hingeOf(f, w), regularizerOf(w)) as tf.Scalar;

    const [totalFeatures, totalPrototypes] = tf.grads(totalOf)([features, prototypes]);
    const [, hingePrototypes] = tf.grads(hingeOf)([features, prototypes]);
    const regularizerPrototypes = tf.grad(regularizerOf)(prototypes);
    return {
      affinities: gaussianAffinity(features, prototypes, c.sigma).dataSync(),
      hinge: hingeOf(features, prototypes).dataSync(),
      regularizer: regularizerOf(prototypes).dataSync(),
      total: totalOf(features, prototypes).dataSync(),
      totalFeatures: totalFeatures.dataSync(),
      totalPrototypes: totalPrototypes.dataSync(),
      hingePrototypes: hingePrototypes.dataSync(),
      regularizerPrototypes: regularizerPrototypes.dataSync(),
    };
  });
}

/** Norm-relative error of every array. */
function errors(ours: Record<string, ArrayLike<number>>, theirs: Record<string, ArrayLike<number>>): [string, number][] {
  return Object.keys(theirs).map((key) => [key, normRelativeError(ours[key], theirs[key])]);
}

const describe = (errs: [string, number][]) => errs.map(([key, err]) => `${key} ${err.toExponential(1)}`).join(', ');

/** The reference's arrays, flattened in the same (row-major) order. */
function reference(c: ReferenceCase): Record<string, ArrayLike<number>> {
  const e = c.expected;
  return {
    affinities: e.affinities.flat(),
    hinge: [e.hinge],
    regularizer: [e.regularizer],
    total: [e.total],
    totalFeatures: e.grads.totalFeatures.flat(),
    totalPrototypes: e.grads.totalPrototypes.flat(2),
    hingePrototypes: e.grads.hingePrototypes.flat(2),
    regularizerPrototypes: e.grads.regularizerPrototypes.flat(2),
  };
}

test('the fixture is non-trivial', () => {
  const cases = fixture.cases;
  assert.ok(cases.length >= 12, `${cases.length} cases`);
  let active = 0;
  let inactive = 0;
  for (const c of cases) {
    const { features, prototypes, labels } = c.inputs;
    assert.deepEqual([features.length, features[0].length], [c.N, c.d], `${c.name}: features shape`);
    assert.deepEqual([prototypes.length, prototypes[0].length, prototypes[0][0].length], [c.C, c.m, c.d], `${c.name}: prototypes shape`);
    assert.ok(labels.every((y) => Number.isInteger(y) && y >= 0 && y < c.C), `${c.name}: labels`);
    const e = c.expected;
    active += e.hingeTerms.active;
    inactive += e.hingeTerms.inactive;
    assert.equal(e.hingeTerms.active + e.hingeTerms.inactive, c.N * (c.C - 1), `${c.name}: hinge terms`);
    assert.ok(Math.abs(e.total - (e.hinge + e.regularizer)) <= 1e-12 * Math.max(1, Math.abs(e.total)), `${c.name}: total`);
    // Two prototypes (or one pair across classes) have one distance, whose variance is 0.
    const pairs = c.diversity.scope === 'all' ? (c.C * c.m * (c.C * c.m - 1)) / 2 : (c.C * (c.C - 1) * c.m * c.m) / 2;
    if (pairs > 1) assert.ok(e.regularizer > 0, `${c.name}: regularizer ${e.regularizer}`);
    else assert.equal(e.regularizer, 0, `${c.name}: one pair, no variance`);
    const a = e.affinities.flat();
    assert.ok(a.every((v) => v > 0 && v <= 1), `${c.name}: affinities in (0, 1]`);
    assert.ok(
      e.grads.hingePrototypes.flat(2).some((v) => v !== 0) || e.hinge === 0,
      `${c.name}: hinge gradient reaches the prototypes`,
    );
  }
  assert.ok(active > 100 && inactive > 100, `hinge terms: ${active} active, ${inactive} inactive`);
  assert.ok(cases.filter((c) => c.expected.regularizer > 0).length >= cases.length - 1, 'regularizer > 0');
  // One case with saturated affinities (exp(-D / sigma) far below float32's epsilon).
  assert.ok(cases.some((c) => Math.min(...c.expected.affinities.flat()) < 1e-12), 'a saturated case');
  // Every option value is exercised.
  for (const [key, values] of Object.entries({
    reduction: ['mean', 'sum'],
    squared: [true, false],
    scope: ['all', 'acrossClasses'],
    weight: [1, 0.5],
  })) {
    for (const v of values) {
      assert.ok(cases.some((c) => c.diversity[key as keyof DiversityOptions] === v), `${key} = ${v}`);
    }
  }
  for (const margin of [0.1, 0.5, 0.75, 1]) assert.ok(cases.some((c) => c.margin === margin), `margin ${margin}`);
  for (const sigma of [1, 10, 100]) assert.ok(cases.some((c) => c.sigma === sigma), `sigma ${sigma}`);
});

for (const c of fixture.cases) {
  test(`parity with the float64 reference: ${c.name}`, (t) => {
    const errs = errors(compute(c), reference(c));
    t.diagnostic(describe(errs));
    for (const [key, err] of errs) {
      assert.ok(err <= TOLERANCE, `${c.name}: ${key} norm-relative error ${err.toExponential(2)} > ${TOLERANCE}`);
    }
  });
}
