/**
 * Features that are not held in one array: a split whose rows are read on demand by row index
 * (the Node toolkit's disk cache of decoded images is one). The trainer, the predictions and
 * every recipe (imbalance, noise, validation split) work on row indices, so they take such a
 * split as they take an in-memory one; what they never do is copy every row at once.
 */
import { ShapeError } from '../errors.js';

/** Rows of features read on demand. Implementations must be safe to read from in any order. */
export interface RowStore {
  /** Number of rows. */
  readonly count: number;
  /** Values per row, `featureSize(featureShape)`. */
  readonly rowSize: number;
  /**
   * Writes row `rows[i]`'s values to `target` at `i * rowSize`, for every i. Synchronous: a
   * training step reads its batch inside one tidy scope.
   *
   * @throws ShapeError for a row outside [0, count).
   */
  readRows(rows: ArrayLike<number>, target: Float32Array): void;
  /** The rows `rows` of this store, in that order, as a store of their own (no values copied). */
  select(rows: ArrayLike<number>): RowStore;
}

/** A split's features: every value in one row-major array, or a store read by row. */
export type Features = Float32Array | RowStore;

/** True for a row store, false for an in-memory array. */
export function isRowStore(features: Features): features is RowStore {
  return !(features instanceof Float32Array);
}

/** Copies rows `rows` of `features` into `target`, row after row. */
export function copyRows(features: Features, rows: ArrayLike<number>, size: number, target: Float32Array): void {
  if (isRowStore(features)) {
    features.readRows(rows, target);
    return;
  }
  const count = features.length / size;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    checkRow(row, count);
    target.set(features.subarray(row * size, (row + 1) * size), i * size);
  }
}

/** Number of rows `features` holds at `size` values per row (a fraction when they do not divide). */
export function rowCount(features: Features, size: number): number {
  return isRowStore(features) ? features.count : features.length / size;
}

/**
 * @throws ShapeError when `row` is not a row index of a split of `count` rows.
 */
export function checkRow(row: number, count: number): void {
  if (!Number.isInteger(row) || row < 0 || row >= count) throw new ShapeError(`row index ${row} is outside the split's ${count} rows`);
}

/**
 * A store that reads through a row map into another store: what `select` returns for stores
 * whose reads take row ids of their own (a disk cache).
 */
export class SelectedRows implements RowStore {
  readonly count: number;
  readonly rowSize: number;
  /** The store read from. */
  readonly source: RowStore;
  /** Row i of this store is row `map[i]` of `source`. */
  readonly map: Int32Array;

  /** @param rows rows of `source`, in the order this store lists them. */
  constructor(source: RowStore, rows: ArrayLike<number>) {
    for (let i = 0; i < rows.length; i++) checkRow(rows[i], source.count);
    this.source = source;
    this.map = Int32Array.from(rows);
    this.count = this.map.length;
    this.rowSize = source.rowSize;
  }

  readRows(rows: ArrayLike<number>, target: Float32Array): void {
    this.source.readRows(this.mapped(rows), target);
  }

  select(rows: ArrayLike<number>): RowStore {
    return new SelectedRows(this.source, this.mapped(rows));
  }

  private mapped(rows: ArrayLike<number>): Int32Array {
    const mapped = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      checkRow(rows[i], this.count);
      mapped[i] = this.map[rows[i]];
    }
    return mapped;
  }
}
