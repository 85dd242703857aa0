/**
 * Imbalance builders: make a balanced dataset imbalanced in a controlled, seeded way. Each
 * spec turns the available per-class counts into target counts, then keeps that many rows
 * of each class. Which rows: for a seed, the first k of a seeded permutation of the class, so
 * a smaller k keeps a subset of what a larger k keeps (sweeps are nested); the kept rows stay
 * in source order. The step-sweep protocol (`evencap`) keeps the first rows in file order
 * instead, as the public re-implementation does, and so needs no seed.
 */
import { AffinityConfigError } from '../errors.js';
import { countPerClass, featureSize, indicesByClass, takeRows, type Dataset, type Split } from './dataset.js';
import type { Features } from './rowStore.js';
import { deriveSeed, requireSeed, Rng } from './rng.js';
import { floorCount } from './rounding.js';
import { requireSpecClassId } from './specClassIds.js';
import { requireInRange, requireInteger } from '../validate.js';

/**
 * Step imbalance (the paper's Figure 1): the minority classes keep a fraction or a count of
 * their training rows, the other classes keep all. Give exactly one of `keepFraction` and
 * `keepCount`. Spec string: `step:0-4:0.1` (fraction) or `step:0-4:50` (count).
 */
export interface StepImbalance {
  kind: 'step';
  /** Class ids of the minority classes. */
  minorityClasses: number[];
  /** Fraction in (0, 1] each minority class keeps: floor(fraction * n_c) rows (see rounding.ts). */
  keepFraction?: number;
  /** Rows each minority class keeps (at most what it has). */
  keepCount?: number;
}

/**
 * Exponential long tail (Cao et al. 2019, LDAM): class i keeps
 * n_i = floor(maxCount * ratio^(-i / (C - 1))) rows, exactly as Cao's code computes it
 * (`int(img_max * (1 / rho) ** (i / (C - 1)))`), so CIFAR-10 with maxCount 5000 and ratio 100
 * gives 5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50. Class 0 is the head, class C-1 the
 * tail. Spec string: `exp:100` or `exp:100:5000`.
 */
export interface ExponentialImbalance {
  kind: 'exponential';
  /** rho = n_max / n_min >= 1, the imbalance ratio (100 and 10 are the standard ones). */
  ratio: number;
  /**
   * n_max, the head class's count. Default: the smallest available class count, so every class
   * has enough rows (5421 on MNIST, 5000 on CIFAR-10).
   */
  maxCount?: number;
}

/**
 * The step-sweep protocol of the public re-implementation (docs/METHOD.md): even classes keep their
 * first 6k training and first k test rows (file order), odd classes keep everything, in
 * train and test. Spec string: `evencap:10`.
 */
export interface EvenCapImbalance {
  kind: 'evencap';
  /** k >= 1, the test rows each even class keeps; its training cap is 6k (MNIST's 60k/10k ratio). */
  testCount: number;
}

/** Explicit training counts, one per class. Spec string: `counts:500,500,50`. */
export interface CountsImbalance {
  kind: 'counts';
  /** Rows class c keeps, for every class c. */
  counts: number[];
}

/** Any of the imbalance builders. */
export type ImbalanceSpec = StepImbalance | ExponentialImbalance | EvenCapImbalance | CountsImbalance;

/** Training rows per class the public step-sweep protocol keeps per test row (6k vs k). */
export const EVENCAP_TRAIN_PER_TEST = 6;

function requireClassIds(what: string, ids: unknown, classes: number): number[] {
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new AffinityConfigError(`${what} must be a non-empty array of class ids, got ${String(ids)}`);
  }
  const seen = new Set<number>();
  for (const id of ids) {
    requireSpecClassId(what, id, classes);
    if (seen.has(id)) throw new AffinityConfigError(`${what}: class ${id} is listed twice`);
    seen.add(id);
  }
  return ids as number[];
}

// A long-tail profile needs rows in every class: an empty class would make the default maxCount
// (the smallest class) 0, and the error would then blame the ratio.
function requireRowsInEveryClass(spec: string, available: readonly number[]): void {
  const empty = available.findIndex((count) => count === 0);
  if (empty >= 0) {
    throw new AffinityConfigError(
      `${spec} needs training rows in every class, but class ${empty} has none (rows per class: ${available.join(', ')})`,
    );
  }
}

// k = 0 would keep no row of any even class, train or test: half the classes deleted, silently.
function requireEvenCapK(k: unknown): number {
  return requireInteger('evencap testCount', k, 1);
}

function requireAvailable(spec: string, counts: number[], available: readonly number[]): number[] {
  counts.forEach((count, c) => {
    if (count > available[c]) {
      throw new AffinityConfigError(`${spec} asks class ${c} to keep ${count} rows but it has only ${available[c]}`);
    }
  });
  return counts;
}

// A fraction or ratio that rounds a class down to nothing is a mistake, not a protocol: the class
// would vanish from training while staying in the test set. Explicit counts may be 0.
function requireNonEmpty(spec: string, counts: number[], available: readonly number[]): number[] {
  counts.forEach((count, c) => {
    if (count === 0 && available[c] > 0) {
      throw new AffinityConfigError(`${spec} leaves class ${c} with 0 of its ${available[c]} rows; keep at least 1`);
    }
  });
  return counts;
}

/**
 * Training rows each class keeps under `spec`, given what each class has.
 *
 * @param available training rows per class (`countPerClass(train.labels, C)`).
 * @throws AffinityConfigError when the spec is invalid for these classes or asks for more rows
 *   than a class has.
 */
export function imbalanceTrainCounts(spec: ImbalanceSpec, available: readonly number[]): number[] {
  const classes = available.length;
  switch (spec.kind) {
    case 'step': {
      const minority = new Set(requireClassIds('step minorityClasses', spec.minorityClasses, classes));
      const hasFraction = spec.keepFraction !== undefined;
      if (hasFraction === (spec.keepCount !== undefined)) {
        throw new AffinityConfigError('step imbalance needs exactly one of keepFraction and keepCount');
      }
      if (hasFraction) {
        const fraction = requireInRange('step keepFraction', spec.keepFraction, 0, 1);
        // (0, 1], not [0, 1]: a fraction 0 empties the minority classes, which keepCount 0 says plainly.
        if (fraction === 0) {
          throw new AffinityConfigError('step keepFraction must be > 0, got 0 (keepCount: 0 drops the minority classes)');
        }
        const counts = available.map((n, c) => (minority.has(c) ? floorCount(fraction * n) : n));
        return requireNonEmpty(`step keepFraction ${fraction}`, counts, available);
      }
      const keep = requireInteger('step keepCount', spec.keepCount, 0);
      return requireAvailable('step imbalance', available.map((n, c) => (minority.has(c) ? keep : n)), available);
    }
    case 'exponential': {
      const ratio = spec.ratio;
      if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 1) {
        throw new AffinityConfigError(`exponential imbalance ratio must be a finite number >= 1, got ${String(ratio)}`);
      }
      if (classes < 2) throw new AffinityConfigError('exponential imbalance needs at least 2 classes');
      requireRowsInEveryClass(`exp:${ratio}`, available);
      const maxCount = spec.maxCount === undefined ? Math.min(...available) : requireInteger('exponential maxCount', spec.maxCount, 0);
      // Cao's expression, operation for operation: floor(n_max * (1 / rho) ** (i / (C - 1))), a bare
      // floor without the tolerance of floorCount, so the counts match his code to the sample.
      const counts = available.map((_, i) => Math.floor(maxCount * Math.pow(1 / ratio, i / (classes - 1))));
      return requireNonEmpty(`exp:${ratio}`, requireAvailable(`exp:${ratio}`, counts, available), available);
    }
    case 'evencap': {
      const k = requireEvenCapK(spec.testCount);
      return available.map((n, c) => (c % 2 === 0 ? Math.min(n, EVENCAP_TRAIN_PER_TEST * k) : n));
    }
    case 'counts': {
      if (!Array.isArray(spec.counts) || spec.counts.length !== classes) {
        throw new AffinityConfigError(
          `counts imbalance needs one count per class (${classes}), got ${Array.isArray(spec.counts) ? spec.counts.length : String(spec.counts)}`,
        );
      }
      const counts = spec.counts.map((count, c) => requireInteger(`counts[${c}]`, count, 0));
      return requireAvailable('counts imbalance', counts, available);
    }
    default:
      throw new AffinityConfigError(`unknown imbalance kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

/**
 * Test rows each class keeps under `spec`, or undefined when the protocol leaves the test set
 * as it is (every spec but `evencap`: the test set stays balanced).
 */
export function imbalanceTestCounts(spec: ImbalanceSpec, available: readonly number[]): number[] | undefined {
  if (spec.kind !== 'evencap') return undefined;
  const k = requireEvenCapK(spec.testCount);
  return available.map((n, c) => (c % 2 === 0 ? Math.min(n, k) : n));
}

/** How a builder picks the rows a class keeps. */
export type RowSelection = { seed: number } | 'first';

/**
 * The rows to keep so that class c keeps `counts[c]` rows, sorted ascending.
 *
 * @param selection `{ seed }`: class c keeps the first counts[c] rows of a permutation seeded
 *   by (seed, c), so results are nested in the count and independent across classes;
 *   `'first'`: the first counts[c] rows of the class in source order.
 */
export function selectPerClass(labels: Int32Array, counts: readonly number[], selection: RowSelection): Int32Array {
  const byClass = indicesByClass(labels, counts.length);
  const total = counts.reduce((sum, count) => sum + count, 0);
  const kept = new Int32Array(total);
  let filled = 0;
  byClass.forEach((rows, c) => {
    const count = counts[c];
    if (!Number.isInteger(count) || count < 0 || count > rows.length) {
      throw new AffinityConfigError(`class ${c} cannot keep ${count} of its ${rows.length} rows`);
    }
    if (selection === 'first') {
      kept.set(rows.subarray(0, count), filled);
    } else {
      const order = new Rng(deriveSeed(requireSeed(selection.seed), c)).permutation(rows.length);
      for (let i = 0; i < count; i++) kept[filled + i] = rows[order[i]];
    }
    filled += count;
  });
  return kept.sort();
}

/**
 * A split with each class cut to `counts[c]` rows (see `selectPerClass`), in source order.
 *
 * @param size features per row, `featureSize(featureShape)`.
 */
export function keepPerClass<F extends Features>(split: Split<F>, size: number, counts: readonly number[], selection: RowSelection): Split<F> {
  return takeRows(split, selectPerClass(split.labels, counts, selection), size);
}

/**
 * Applies an imbalance spec to a dataset: the training split always, the test split only
 * where the protocol says so (`evencap`); the validation split, if any, is left alone
 * (take it after the imbalance, see `prepareDataset`).
 *
 * @param seed picks which rows are kept (unused by `evencap`, which keeps the first rows).
 * @returns a new dataset; the input is not changed.
 */
export function applyImbalance<F extends Features>(dataset: Dataset<F>, spec: ImbalanceSpec, seed: number): Dataset<F> {
  const size = featureSize(dataset.featureShape);
  const classes = dataset.classNames.length;
  const selection: RowSelection = spec.kind === 'evencap' ? 'first' : { seed: requireSeed(seed) };
  const trainCounts = imbalanceTrainCounts(spec, countPerClass(dataset.train.labels, classes));
  const result: Dataset<F> = { ...dataset, train: keepPerClass(dataset.train, size, trainCounts, selection) };
  const testCounts = imbalanceTestCounts(spec, countPerClass(dataset.test.labels, classes));
  if (testCounts !== undefined) result.test = keepPerClass(dataset.test, size, testCounts, selection);
  return result;
}
