/**
 * Stratified, seeded splits: a validation split from an (imbalanced) training split, and the
 * train/test split of datasets that ship without one. Stratified per class, so a minority
 * class of 60 rows gives 6 validation rows at 10%, not 0 or 15 by chance.
 */
import { AffinityConfigError } from '../errors.js';
import { featureSize, indicesByClass, takeRows, type Dataset, type Split } from './dataset.js';
import { deriveSeed, requireSeed, Rng } from './rng.js';
import { roundCount } from './rounding.js';
import type { Features } from './rowStore.js';
import { requireInRange } from '../validate.js';

/** Row indices of the two sides of a split, each ascending. */
export interface StratifiedIndices {
  /** Rows that stay (the training side). */
  kept: Int32Array;
  /** Rows taken out (the validation or test side). */
  heldOut: Int32Array;
}

/**
 * Rows each class gives to the held-out side: round(fraction * n_c) (halves up), but never all
 * of a class, so no class vanishes from training (a class of 1 row gives 0 rows).
 */
export function heldOutCounts(available: readonly number[], fraction: number): number[] {
  requireInRange('held-out fraction', fraction, 0, 1, true);
  return available.map((n) => Math.min(roundCount(fraction * n), Math.max(n - 1, 0)));
}

/**
 * Splits rows per class: class c sends the first `heldOutCounts(...)[c]` rows of a permutation
 * seeded by (seed, c) to the held-out side.
 *
 * @param fraction in [0, 1): the share of each class held out.
 */
export function stratifiedIndices(labels: Int32Array, classes: number, fraction: number, seed: number): StratifiedIndices {
  requireSeed(seed);
  const byClass = indicesByClass(labels, classes);
  const counts = heldOutCounts(byClass.map((rows) => rows.length), fraction);
  const total = counts.reduce((sum, count) => sum + count, 0);
  const heldOut = new Int32Array(total);
  const kept = new Int32Array(labels.length - total);
  let heldFilled = 0;
  let keptFilled = 0;
  byClass.forEach((rows, c) => {
    const order = new Rng(deriveSeed(seed, c)).permutation(rows.length);
    for (let i = 0; i < rows.length; i++) {
      if (i < counts[c]) heldOut[heldFilled++] = rows[order[i]];
      else kept[keptFilled++] = rows[order[i]];
    }
  });
  return { kept: kept.sort(), heldOut: heldOut.sort() };
}

/**
 * Splits one split into two, stratified by label (the observed labels, noisy ones included).
 *
 * @param size features per row, `featureSize(featureShape)`.
 * @returns `kept` (e.g. the new training split) and `heldOut` (e.g. validation), each in source order.
 */
export function stratifiedSplit<F extends Features>(
  split: Split<F>,
  size: number,
  classes: number,
  fraction: number,
  seed: number,
): { kept: Split<F>; heldOut: Split<F> } {
  const indices = stratifiedIndices(split.labels, classes, fraction, seed);
  return { kept: takeRows(split, indices.kept, size), heldOut: takeRows(split, indices.heldOut, size) };
}

/**
 * Takes a stratified validation split from the training split; the test split is untouched.
 *
 * @param fraction in [0, 1): the share of each training class moved to validation.
 * @returns a new dataset with `validation` set; the input is not changed.
 */
export function splitValidation<F extends Features>(dataset: Dataset<F>, fraction: number, seed: number): Dataset<F> {
  if (dataset.validation !== undefined) {
    throw new AffinityConfigError(`${dataset.name} already has a validation split`);
  }
  const size = featureSize(dataset.featureShape);
  const { kept, heldOut } = stratifiedSplit(dataset.train, size, dataset.classNames.length, fraction, seed);
  return { ...dataset, train: kept, validation: heldOut };
}
