import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError, LabelError, NonFiniteError, ShapeError, makeVerificationPairs, rocAuc, scorePairs } from '../../src/index.js';
import { assertClose } from '../helpers.js';

function checkPairs(labels: number[], pairs: ReturnType<typeof makeVerificationPairs>, perKind: number): void {
  assert.equal(pairs.first.length, 2 * perKind);
  assert.equal(pairs.second.length, 2 * perKind);
  assert.equal(pairs.same.filter((s) => s === 1).length, perKind, 'balanced: as many same as different pairs');
  const keys = new Set<string>();
  pairs.first.forEach((a, k) => {
    const b = pairs.second[k];
    assert.ok(a < b, `pair ${k} is ordered and not a self pair: (${a}, ${b})`);
    assert.equal(pairs.same[k], labels[a] === labels[b] ? 1 : 0, `pair ${k} is labelled correctly`);
    keys.add(`${a},${b}`);
  });
  assert.equal(keys.size, 2 * perKind, 'no pair repeats');
}

// An imbalanced labelled set: class 0 has 60 samples, class 1 has 25, class 2 has 4, class 3 one.
const labels = [...Array(60).fill(0), ...Array(25).fill(1), ...Array(4).fill(2), 3].sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));

test('pairs: balanced, distinct, correctly labelled, reproducible by seed', () => {
  const pairs = makeVerificationPairs(labels, { pairsPerKind: 200, seed: 7 });
  checkPairs(labels, pairs, 200);
  assert.deepEqual(makeVerificationPairs(labels, { pairsPerKind: 200, seed: 7 }), pairs, 'same seed, same pairs');
  assert.notDeepEqual(makeVerificationPairs(labels, { pairsPerKind: 200, seed: 8 }), pairs, 'another seed, other pairs');
  // Default: as many pairs of each kind as there are samples.
  checkPairs(labels, makeVerificationPairs(labels), labels.length);
});

test('pairs: same pairs are uniform over all same-class pairs (large classes supply more)', () => {
  // Same-class pairs that exist: class 0: 1770, class 1: 300, class 2: 6 (class 3 has none).
  const pairs = makeVerificationPairs(labels, { pairsPerKind: 1000, seed: 3 });
  const fromClass = [0, 0, 0, 0];
  pairs.first.forEach((a, k) => {
    if (pairs.same[k] === 1) fromClass[labels[a]] += 1;
  });
  assert.equal(fromClass[3], 0);
  // Expected 1000 * 1770 / 2076 = 853 from class 0; sampling without replacement keeps it close.
  assert.ok(Math.abs(fromClass[0] - 853) < 40, `class 0 supplies ${fromClass[0]}`);
});

test('pairs: asking for every existing pair returns exactly all of them', () => {
  const small = [0, 0, 0, 1, 1]; // 3 + 1 = 4 same pairs, 6 different pairs
  const pairs = makeVerificationPairs(small, { pairsPerKind: 4, seed: 1 });
  checkPairs(small, pairs, 4);
  const same = pairs.first.flatMap((a, k) => (pairs.same[k] ? [`${a},${pairs.second[k]}`] : [])).sort();
  assert.deepEqual(same, ['0,1', '0,2', '1,2', '3,4']);
  assert.throws(
    () => makeVerificationPairs(small, { pairsPerKind: 5 }),
    (e: Error) => e instanceof AffinityConfigError && /at most 4/.test(e.message),
  );
});

test('pairs: validation', () => {
  assert.throws(() => makeVerificationPairs([0, 1, 2]), AffinityConfigError); // no same-class pair
  assert.throws(() => makeVerificationPairs([1, 1, 1]), AffinityConfigError); // no different-class pair
  assert.throws(() => makeVerificationPairs([0]), ShapeError);
  assert.throws(() => makeVerificationPairs([0, 0, -1]), LabelError);
  assert.throws(() => makeVerificationPairs([0, 0, 1, 1], { seed: -1 }), AffinityConfigError);
  // The library-wide seed check: its message says what a seed may be.
  for (const seed of [1.5, 2 ** 53]) {
    assert.throws(
      () => makeVerificationPairs([0, 0, 1, 1], { seed }),
      (e: Error) => e instanceof AffinityConfigError && /^seed must be an integer in \[0, 2\^53\), got /.test(e.message),
      String(seed),
    );
  }
  assert.throws(() => makeVerificationPairs([0, 0, 1, 1], { pairsPerKind: 0 }), AffinityConfigError);
});

test('scores by hand: negative distance, negative squared distance, affinity, cosine', () => {
  const features = [
    [0, 0],
    [3, 4],
    [6, 8],
    [0, 0],
  ];
  const pairs = { first: [0, 1, 1], second: [1, 2, 3] };
  assert.deepEqual(scorePairs(features, pairs), [-5, -5, -5]);
  assert.deepEqual(scorePairs(features, pairs, { score: 'negativeSquaredDistance' }), [-25, -25, -25]);
  assertClose(scorePairs(features, pairs, { score: 'affinity', sigma: 10 }), [Math.exp(-2.5), Math.exp(-2.5), Math.exp(-2.5)], 1e-15, 'affinity');
  assert.deepEqual(scorePairs(features, pairs, { score: 'cosine' }), [0, 1, 0]); // zero vectors score 0
  assert.deepEqual(scorePairs([Float32Array.from([1, 0]), Float32Array.from([0, 2])], { first: [0], second: [1] }, { score: 'cosine' }), [0]);
});

test('scores: features of well separated classes give AUC 1 on built pairs', () => {
  const features = labels.map((c, i) => [10 * c + Math.sin(i), -5 * c + Math.cos(i)]);
  const pairs = makeVerificationPairs(labels, { pairsPerKind: 300, seed: 11 });
  assert.equal(rocAuc(pairs.same, scorePairs(features, pairs)), 1);
  assert.equal(rocAuc(pairs.same, scorePairs(features, pairs, { score: 'affinity', sigma: 50 })), 1);
});

test('scores: validation', () => {
  const pairs = { first: [0], second: [1] };
  assert.throws(() => scorePairs([[0, 0], [1]], pairs), ShapeError);
  assert.throws(() => scorePairs([[0, 0], [1, NaN]], pairs), NonFiniteError);
  assert.throws(() => scorePairs([[0], [1]], { first: [0], second: [2] }), (e: Error) => e instanceof ShapeError && /pairs.second\[0\] = 2/.test(e.message));
  assert.throws(() => scorePairs([[0], [1]], { first: [0, 1], second: [1] }), ShapeError);
  assert.throws(() => scorePairs([[0], [1]], pairs, { score: 'affinity' }), AffinityConfigError); // sigma missing
  assert.throws(() => scorePairs([[0], [1]], pairs, { score: 'manhattan' as 'cosine' }), AffinityConfigError);
});
