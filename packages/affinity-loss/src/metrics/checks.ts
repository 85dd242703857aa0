/**
 * Argument checks of the metrics: plain arrays of labels and scores, typed errors that name the
 * bad position. Private to the metrics module.
 */
import { AffinityConfigError, LabelError, NonFiniteError, ShapeError } from '../errors.js';
import { checkClassIds, MAX_CLASS_IDS_PER_DISTINCT_LABEL } from '../validate.js';

/**
 * Throws AffinityConfigError unless `options` is undefined or an object: `macroF1(y, p, 3)`
 * would otherwise ignore the 3 and infer the classes.
 */
export function checkOptionsObject(what: string, options: unknown, example: string): void {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new AffinityConfigError(`${what}: options must be an object such as ${example}, got ${JSON.stringify(options) ?? String(options)}`);
  }
}

/**
 * The class count inferred from labels, the largest id plus one, or a LabelError when the ids
 * have more gaps than `MAX_CLASS_IDS_PER_DISTINCT_LABEL` allows (a stray id would size every
 * per-class array, and the confusion matrix as its square).
 */
export function inferredClassCount(what: string, largest: number, labelArrays: ArrayLike<number>[]): number {
  const distinct = new Set<number>();
  for (const labels of labelArrays) for (let i = 0; i < labels.length; i++) distinct.add(labels[i]);
  if (largest + 1 > MAX_CLASS_IDS_PER_DISTINCT_LABEL * distinct.size) {
    throw new LabelError(
      `${what}: label ${largest} would make ${largest + 1} classes (the largest id plus one) from only ${distinct.size} distinct ` +
        'labels; pass { classes } when ids are missing on purpose, or map the labels to ids 0..K-1',
    );
  }
  return largest + 1;
}

/** Throws ShapeError unless both arrays have the same, non-zero length. */
export function checkLengths(what: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>, aName: string, bName: string): void {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    throw new ShapeError(`${what}: ${aName} and ${bName} must be arrays`);
  }
  if (a.length !== b.length) {
    throw new ShapeError(`${what}: ${aName} has ${a.length} entries but ${bName} has ${b.length}`);
  }
  if (a.length === 0) {
    throw new ShapeError(`${what}: needs at least one sample, got empty arrays`);
  }
}

/**
 * Checks that every label is an integer class id >= 0, and < `classes` when given (the check of
 * `checkClassIds` in validate.ts; without `classes` there is no upper bound, which it cannot
 * express); returns the largest id seen.
 *
 * @throws LabelError naming the function, the array, the row and the label.
 */
export function largestClassId(what: string, name: string, labels: ArrayLike<number>, classes?: number): number {
  if (classes !== undefined) checkClassIds(labels, classes, `${what}: ${name}`);
  let largest = -1;
  for (let i = 0; i < labels.length; i++) {
    const id = labels[i];
    if (!Number.isInteger(id) || id < 0) {
      throw new LabelError(`${what}: ${name}: label ${String(id)} at row ${i} is not an integer class id >= 0`);
    }
    if (id > largest) largest = id;
  }
  return largest;
}

/** Throws NonFiniteError at the first score that is NaN or infinite. */
export function checkFinite(what: string, name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new NonFiniteError(`${what}: ${name}[${i}] = ${String(value)} is not a finite number`);
    }
  }
}

/** Throws ShapeError unless every entry is an integer index in [0, size). */
export function checkIndices(what: string, name: string, indices: ArrayLike<number>, size: number): void {
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= size) {
      throw new ShapeError(`${what}: ${name}[${k}] = ${String(index)} is not a sample index in [0, ${size - 1}]`);
    }
  }
}
