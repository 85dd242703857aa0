import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from '../../src/errors.js';
import { Rng, deriveSeed, requireSeed } from '../../src/data/rng.js';

const firstOutputs = (seed: number, n = 6) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.nextUint32());
};

test('xoshiro128** seeded by SplitMix64 matches the C reference implementation', () => {
  // Expected values: Vigna's xoshiro128starstar.c and splitmix64.c, state words s0..s3 =
  // low, high half of the first SplitMix64 output, then low, high of the second.
  assert.deepEqual(firstOutputs(0), [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774]);
  assert.deepEqual(firstOutputs(42), [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]);
  assert.deepEqual(firstOutputs(2 ** 53 - 1), [1233166643, 1287031142, 661813442, 2960669951, 2601079046, 1036114921]);
});

test('seeds must be integers in [0, 2^53)', () => {
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, '3' as unknown as number]) {
    assert.throws(() => new Rng(bad), AffinityConfigError, String(bad));
    assert.throws(() => requireSeed(bad), AffinityConfigError);
  }
});

test('next() lies in [0, 1) and int(n) in [0, n), roughly uniform', () => {
  const rng = new Rng(7);
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60000; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    counts[rng.int(6)]++;
  }
  // 10000 expected per face; the binomial std is ~91, so 400 is > 4 sigma.
  for (const count of counts) assert.ok(Math.abs(count - 10000) < 400, `counts ${counts}`);
  assert.throws(() => rng.int(0), AffinityConfigError);
  assert.throws(() => rng.int(2 ** 32 + 1), AffinityConfigError);
  assert.throws(() => rng.int(2.5), AffinityConfigError);
  assert.equal(new Rng(1).int(1), 0);
});

test('normal() has the asked mean and standard deviation', () => {
  const rng = new Rng(3);
  const n = 40000;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.normal(2, 3);
    sum += x;
    squares += x * x;
  }
  const mean = sum / n;
  const std = Math.sqrt(squares / n - mean * mean);
  assert.ok(Math.abs(mean - 2) < 0.06, `mean ${mean}`);
  assert.ok(Math.abs(std - 3) < 0.06, `std ${std}`);
});

test('permutation: every index once; same seed same order, other seed other order', () => {
  const a = new Rng(11).permutation(1000);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(new Rng(11).permutation(1000), a);
  assert.notDeepEqual(new Rng(12).permutation(1000), a);
  const words = ['a', 'b', 'c', 'd', 'e'];
  new Rng(5).shuffle(words);
  assert.deepEqual([...words].sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.equal(new Rng(5).permutation(0).length, 0);
});

test('shuffle is unbiased: each of the 6 orders of 3 items about equally often', () => {
  const rng = new Rng(99);
  const seen = new Map<string, number>();
  for (let i = 0; i < 60000; i++) {
    const key = rng.shuffle([0, 1, 2]).join('');
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  assert.equal(seen.size, 6);
  for (const [order, count] of seen) assert.ok(Math.abs(count - 10000) < 400, `${order}: ${count}`);
});

test('deriveSeed: deterministic, distinct per stream and path, a valid seed', () => {
  assert.equal(deriveSeed(5, 1, 2), deriveSeed(5, 1, 2));
  const seeds = new Set([deriveSeed(5), deriveSeed(5, 0), deriveSeed(5, 1), deriveSeed(5, 0, 0), deriveSeed(5, 1, 0), deriveSeed(6, 1)]);
  assert.equal(seeds.size, 6);
  for (const seed of seeds) assert.doesNotThrow(() => requireSeed(seed));
  assert.equal(deriveSeed(5), 5);
  assert.throws(() => deriveSeed(5, -1), AffinityConfigError);
});
