/**
 * Verification pairs from a labelled set: build balanced same / different pairs with a seed,
 * then score them from features (by Gaussian affinity, negative distance or cosine) for
 * `rocAuc`, `equalErrorRate` and `tprAtFpr`.
 */
import { AffinityConfigError, NonFiniteError, ShapeError } from '../errors.js';
import { requireInteger, requireOneOf, requirePositive, requireSeed } from '../validate.js';
import { checkIndices, checkOptionsObject, largestClassId } from './checks.js';
import { Rng } from '../data/rng.js';

/** Options of `makeVerificationPairs`. */
export interface VerificationPairOptions {
  /**
   * How many same-class pairs, and as many different-class pairs, to draw (>= 1). Default: the
   * number of samples, capped by how many pairs of each kind exist.
   */
  pairsPerKind?: number;
  /** Seed of the draw (integer in [0, 2^53)); the same seed gives the same pairs. Default 0. */
  seed?: number;
}

/** Pairs of sample indices; pair k is (first[k], second[k]) with first[k] < second[k]. */
export interface VerificationPairs {
  /** Index of the pair's first sample. */
  first: number[];
  /** Index of the pair's second sample. */
  second: number[];
  /** 1 when both samples have the same label, else 0: the labels for `rocAuc` and friends. */
  same: number[];
}

/**
 * Draws `pairsPerKind` distinct same-class pairs and as many distinct different-class pairs,
 * each uniformly among all unordered pairs of its kind (so a large class supplies more same pairs,
 * in proportion to n_c (n_c - 1) / 2). No sample is paired with itself and no pair repeats.
 * Same pairs come first in the result, then different ones.
 *
 * @param labels class ids, one per sample.
 * @throws AffinityConfigError when more pairs of a kind are asked for than exist (the message
 *   gives the maximum), or when no pair of some kind exists.
 */
export function makeVerificationPairs(labels: ArrayLike<number>, options: VerificationPairOptions = {}): VerificationPairs {
  if (labels === null || typeof labels !== 'object' || labels.length < 2) {
    throw new ShapeError('makeVerificationPairs: needs at least two labelled samples');
  }
  checkOptionsObject('makeVerificationPairs', options, '{ pairsPerKind: 1000, seed: 1 }');
  largestClassId('makeVerificationPairs', 'labels', labels);
  const seed = requireSeed(options.seed ?? 0);
  const groups = new ClassGroups(labels);
  const { same: sameTotal, different: differentTotal } = pairTotals(groups.sizes, labels.length);
  if (sameTotal === 0 || differentTotal === 0) {
    throw new AffinityConfigError(
      `makeVerificationPairs: labels allow ${sameTotal} same-class and ${differentTotal} different-class pairs; both kinds are needed`,
    );
  }
  const requested = requireInteger('pairsPerKind', options.pairsPerKind ?? Math.min(labels.length, sameTotal, differentTotal), 1);
  if (requested > sameTotal || requested > differentTotal) {
    throw new AffinityConfigError(
      `pairsPerKind must be at most ${Math.min(sameTotal, differentTotal)} for these labels ` +
        `(${sameTotal} same-class and ${differentTotal} different-class pairs exist), got ${requested}`,
    );
  }
  const random = new Rng(seed);
  const same = drawPairs(groups, true, requested, sameTotal, random);
  const different = drawPairs(groups, false, requested, differentTotal, random);
  const all = [...same, ...different];
  return {
    first: all.map(([a]) => a),
    second: all.map(([, b]) => b),
    same: all.map((_, k) => (k < same.length ? 1 : 0)),
  };
}

/** How many distinct same-class and different-class pairs the labels allow. */
export function countPairs(labels: ArrayLike<number>): { same: number; different: number } {
  return pairTotals(new ClassGroups(labels).sizes, labels.length);
}

function pairTotals(sizes: readonly number[], samples: number): { same: number; different: number } {
  const same = sizes.reduce((sum, size) => sum + (size * (size - 1)) / 2, 0);
  return { same, different: (samples * (samples - 1)) / 2 - same };
}

/** Samples grouped by class: `sorted` lists sample indices class by class. */
class ClassGroups {
  readonly sizes: number[] = [];
  readonly starts: number[] = [];
  readonly sorted: number[] = [];
  /** Group number of each sample, and its position inside its group. */
  readonly groupOf: number[];
  readonly positionOf: number[];

  constructor(labels: ArrayLike<number>) {
    const byId = new Map<number, number[]>();
    for (let i = 0; i < labels.length; i++) {
      const members = byId.get(labels[i]);
      if (members === undefined) byId.set(labels[i], [i]);
      else members.push(i);
    }
    this.groupOf = new Array<number>(labels.length);
    this.positionOf = new Array<number>(labels.length);
    [...byId.values()].forEach((members, g) => {
      this.starts.push(this.sorted.length);
      this.sizes.push(members.length);
      members.forEach((i, p) => {
        this.groupOf[i] = g;
        this.positionOf[i] = p;
        this.sorted.push(i);
      });
    });
  }

  member(g: number, p: number): number {
    return this.sorted[this.starts[g] + p];
  }
}

type Pair = [number, number];

function drawPairs(groups: ClassGroups, same: boolean, count: number, total: number, random: Rng): Pair[] {
  if (2 * count > total) {
    // Asked for more than half of all pairs of this kind: rejecting repeats would stall, so list
    // them all (at most 2 * count) and take a random subset by a partial Fisher-Yates shuffle.
    const all = enumeratePairs(groups, same);
    for (let t = 0; t < count; t++) {
      const u = t + random.int(all.length - t);
      [all[t], all[u]] = [all[u], all[t]];
    }
    return all.slice(0, count);
  }
  // Uniform over ordered pairs (i, j) of the kind: i with probability proportional to its number
  // of partners, then j uniform among them. Repeats are rejected; at most half the pairs are taken,
  // so each draw succeeds with probability >= 1/2.
  const n = groups.sorted.length;
  const partners = (i: number) => (same ? groups.sizes[groups.groupOf[i]] - 1 : n - groups.sizes[groups.groupOf[i]]);
  const cumulative = new Float64Array(n);
  let running = 0;
  for (let i = 0; i < n; i++) {
    running += partners(i);
    cumulative[i] = running;
  }
  const seen = new Set<number>();
  const pairs: Pair[] = [];
  while (pairs.length < count) {
    const i = searchCumulative(cumulative, random.next() * running);
    const g = groups.groupOf[i];
    let j: number;
    if (same) {
      let p = random.int(groups.sizes[g] - 1);
      if (p >= groups.positionOf[i]) p += 1; // skip i itself
      j = groups.member(g, p);
    } else {
      let r = random.int(n - groups.sizes[g]);
      if (r >= groups.starts[g]) r += groups.sizes[g]; // skip i's own class
      j = groups.sorted[r];
    }
    const pair: Pair = i < j ? [i, j] : [j, i];
    const key = pair[0] * n + pair[1];
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push(pair);
  }
  return pairs;
}

/** The first index whose cumulative weight exceeds `target`. */
function searchCumulative(cumulative: Float64Array, target: number): number {
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (cumulative[mid] > target) high = mid;
    else low = mid + 1;
  }
  return low;
}

function enumeratePairs(groups: ClassGroups, same: boolean): Pair[] {
  const pairs: Pair[] = [];
  const classes = groups.sizes.length;
  for (let g = 0; g < classes; g++) {
    for (let h = same ? g : g + 1; h < (same ? g + 1 : classes); h++) {
      for (let p = 0; p < groups.sizes[g]; p++) {
        for (let q = same ? p + 1 : 0; q < groups.sizes[h]; q++) {
          const a = groups.member(g, p);
          const b = groups.member(h, q);
          pairs.push(a < b ? [a, b] : [b, a]);
        }
      }
    }
  }
  return pairs;
}

/** How a pair of feature vectors becomes a score (higher = more likely the same class). */
export type PairScore = 'negativeDistance' | 'negativeSquaredDistance' | 'affinity' | 'cosine';

/** Options of `scorePairs`. */
export interface ScorePairsOptions {
  /**
   * - 'negativeDistance' (default): -||a - b||;
   * - 'negativeSquaredDistance': -||a - b||^2;
   * - 'affinity': exp(-||a - b||^2 / sigma), the paper's Gaussian affinity (needs `sigma`);
   * - 'cosine': a . b / (||a|| ||b||).
   * The first three rank pairs identically, so they give the same ROC, AUC, EER and TPR at FPR.
   */
  score?: PairScore;
  /** sigma > 0 of the affinity score. */
  sigma?: number;
}

/**
 * Scores pairs of samples from their feature vectors.
 *
 * @param features one feature vector per sample, all of the same length.
 * @param pairs sample indices, e.g. from `makeVerificationPairs`.
 * @returns one score per pair.
 */
export function scorePairs(
  features: ArrayLike<ArrayLike<number>>,
  pairs: { first: ArrayLike<number>; second: ArrayLike<number> },
  options: ScorePairsOptions = {},
): number[] {
  checkOptionsObject('scorePairs', options, "{ score: 'negativeDistance' }");
  const score = requireOneOf('score', options.score ?? 'negativeDistance', [
    'negativeDistance',
    'negativeSquaredDistance',
    'affinity',
    'cosine',
  ] as const);
  const sigma = score === 'affinity' ? requirePositive('sigma', options.sigma) : 1;
  if (features === null || typeof features !== 'object' || features.length === 0) {
    throw new ShapeError('scorePairs: features must be a non-empty array of feature vectors');
  }
  const width = features[0].length;
  for (let i = 0; i < features.length; i++) {
    const row = features[i];
    if (row === null || typeof row !== 'object' || row.length !== width) {
      throw new ShapeError(`scorePairs: features[${i}] has ${row?.length} entries, features[0] has ${width}`);
    }
    for (let d = 0; d < width; d++) {
      if (!Number.isFinite(row[d])) throw new NonFiniteError(`scorePairs: features[${i}][${d}] = ${row[d]} is not finite`);
    }
  }
  if (pairs?.first?.length !== pairs?.second?.length) {
    throw new ShapeError(`scorePairs: pairs.first has ${pairs?.first?.length} entries but pairs.second has ${pairs?.second?.length}`);
  }
  checkIndices('scorePairs', 'pairs.first', pairs.first, features.length);
  checkIndices('scorePairs', 'pairs.second', pairs.second, features.length);
  return Array.from(pairs.first, (a, k) => {
    const x = features[a];
    const y = features[pairs.second[k]];
    let squared = 0;
    let dot = 0;
    let xx = 0;
    let yy = 0;
    for (let d = 0; d < width; d++) {
      squared += (x[d] - y[d]) ** 2;
      dot += x[d] * y[d];
      xx += x[d] * x[d];
      yy += y[d] * y[d];
    }
    switch (score) {
      case 'negativeDistance':
        return -Math.sqrt(squared);
      case 'negativeSquaredDistance':
        return -squared;
      case 'affinity':
        return Math.exp(-squared / sigma);
      case 'cosine':
        // A zero vector has no direction: its cosine with anything is taken as 0, not 0/0.
        return xx === 0 || yy === 0 ? 0 : dot / Math.sqrt(xx * yy);
    }
  });
}
