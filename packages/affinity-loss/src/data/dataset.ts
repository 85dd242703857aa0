/**
 * The in-memory dataset every reader returns and every builder (imbalance, noise, splits)
 * takes: flat typed arrays, row-major, no per-sample JS objects, so 60k MNIST images cost one
 * 188 MB Float32Array and nothing else.
 */
import { LabelError, ShapeError } from '../errors.js';
import { checkClassIds } from '../validate.js';
import { copyRows, isRowStore, rowCount, type Features } from './rowStore.js';

/**
 * One part of a dataset (train, validation or test).
 *
 * `features` is row-major, `count x featureSize(featureShape)` float32 values; images are
 * scaled to [0, 1] and laid out height x width x channels (the NHWC order tfjs convolutions
 * take). `labels[i]` is the class id of row i, in [0, classNames.length). Features too large
 * for memory (a folder of 100k images) come as a `RowStore` read by row index; labels are
 * always in memory (4 bytes a row).
 */
export interface Split<F extends Features = Float32Array> {
  /** count x prod(featureShape) values, row-major (or, for `Split<Features>`, maybe a store of count rows read on demand). */
  features: F;
  /** One class id per row. After label noise these are the noisy (observed) labels. */
  labels: Int32Array;
  /** Number of rows. */
  count: number;
  /**
   * Present only after label noise: the clean label of each row. Rows where it differs from
   * `labels` are the flipped ones, so memorisation of noisy labels can be measured.
   */
  trueLabels?: Int32Array;
}

/**
 * A classification dataset with its class names, sample shape and splits. `Dataset` holds its
 * features in memory; `Dataset<Features>` is one whose splits may be row stores (a streamed
 * image folder), which every builder, the trainer and the predictions also take.
 */
export interface Dataset<F extends Features = Float32Array> {
  /** Registry name (`mnist`, `breast-cancer`, ...) or a user-chosen name. */
  name: string;
  /**
   * Where the data comes from and how it was split and scaled, in one or two sentences; a
   * prepared dataset appends its recipe.
   */
  description: string;
  /** One name per class; class id i is `classNames[i]`. */
  classNames: string[];
  /** Shape of one sample, e.g. [28, 28, 1] for MNIST or [30] for a table of 30 features. */
  featureShape: number[];
  /** The training split (what imbalance and noise builders change). */
  train: Split<F>;
  /** A validation split taken from the training data, when one was asked for. */
  validation?: Split<F>;
  /** The test split: as the source or the protocol defines it, never made noisy. */
  test: Split<F>;
}

/** Number of float values per sample: the product of `featureShape`. */
export function featureSize(featureShape: readonly number[]): number {
  let size = 1;
  for (const dimension of featureShape) {
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new ShapeError(`featureShape must hold integers >= 1, got [${featureShape.join(', ')}]`);
    }
    size *= dimension;
  }
  return size;
}

/**
 * Number of rows of each class.
 *
 * @throws LabelError when a label is outside [0, classes).
 */
export function countPerClass(labels: Int32Array, classes: number): number[] {
  checkClassIds(labels, classes);
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** Rows per class of each split of a dataset: what a summary or a class-weighted loss needs. */
export interface ClassCounts {
  /** Training rows per class. */
  train: number[];
  /** Validation rows per class, when the dataset has a validation split. */
  validation?: number[];
  /** Test rows per class. */
  test: number[];
}

/** Rows per class of every split (observed labels, noisy ones included). */
export function classCounts(dataset: Dataset<Features>): ClassCounts {
  const classes = dataset.classNames.length;
  const counts: ClassCounts = {
    train: countPerClass(dataset.train.labels, classes),
    test: countPerClass(dataset.test.labels, classes),
  };
  if (dataset.validation !== undefined) counts.validation = countPerClass(dataset.validation.labels, classes);
  return counts;
}

/** The row indices of each class, in ascending order: `result[c]` lists the rows of class c. */
export function indicesByClass(labels: Int32Array, classes: number): Int32Array[] {
  const counts = countPerClass(labels, classes);
  const byClass = counts.map((count) => new Int32Array(count));
  const filled = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    byClass[label][filled[label]++] = i;
  }
  return byClass;
}

/**
 * The rows `indices` of `split`, in the order given (a builder passes them sorted, so a subset
 * keeps the source order). `trueLabels` follows the rows when present. The features of a row
 * store are selected, not copied.
 *
 * @param size features per row, `featureSize(featureShape)`.
 */
export function takeRows<F extends Features>(split: Split<F>, indices: ArrayLike<number>, size: number): Split<F> {
  let features: F;
  if (isRowStore(split.features)) {
    features = split.features.select(indices) as F;
  } else {
    const copied = new Float32Array(indices.length * size);
    copyRows(split.features, indices, size, copied);
    features = copied as F;
  }
  const labels = new Int32Array(indices.length);
  const trueLabels = split.trueLabels === undefined ? undefined : new Int32Array(indices.length);
  for (let row = 0; row < indices.length; row++) {
    const source = indices[row];
    labels[row] = split.labels[source];
    if (trueLabels !== undefined) trueLabels[row] = split.trueLabels![source];
  }
  const taken: Split<F> = { features, labels, count: indices.length };
  if (trueLabels !== undefined) taken.trueLabels = trueLabels;
  return taken;
}

/**
 * Checks that a split's arrays agree with its count and feature size and that every label
 * is a class id.
 *
 * @param what names the split in the error message (`'mnist train'`).
 * @throws ShapeError or LabelError.
 */
export function checkSplit(split: Split<Features>, size: number, classes: number, what = 'split'): void {
  if (!Number.isInteger(split.count) || split.count < 0) {
    throw new ShapeError(`${what}: count must be an integer >= 0, got ${split.count}`);
  }
  if (split.labels.length !== split.count) {
    throw new ShapeError(`${what}: ${split.labels.length} labels for ${split.count} rows`);
  }
  if (isRowStore(split.features)) {
    if (split.features.count !== split.count || split.features.rowSize !== size) {
      throw new ShapeError(`${what}: a row store of ${split.features.count} rows x ${split.features.rowSize} values, expected ${split.count} rows x ${size}`);
    }
  } else if (rowCount(split.features, size) !== split.count) {
    throw new ShapeError(
      `${what}: ${split.features.length} feature values, expected ${split.count} rows x ${size} = ${split.count * size}`,
    );
  }
  if (split.trueLabels !== undefined && split.trueLabels.length !== split.count) {
    throw new ShapeError(`${what}: ${split.trueLabels.length} true labels for ${split.count} rows`);
  }
  checkClassIds(split.labels, classes, `${what} labels`);
  if (split.trueLabels !== undefined) checkClassIds(split.trueLabels, classes, `${what} true labels`);
}

/** Checks every split of a dataset against its feature shape and class names. */
export function checkDataset(dataset: Dataset<Features>): void {
  const size = featureSize(dataset.featureShape);
  const classes = dataset.classNames.length;
  if (classes < 2) {
    throw new LabelError(`${dataset.name}: a classification dataset needs >= 2 class names, got ${classes}`);
  }
  checkSplit(dataset.train, size, classes, `${dataset.name} train`);
  if (dataset.validation !== undefined) checkSplit(dataset.validation, size, classes, `${dataset.name} validation`);
  checkSplit(dataset.test, size, classes, `${dataset.name} test`);
}

/**
 * Per-feature standardisation with the training split's mean and standard deviation, applied
 * to every split (statistics from train only, so nothing leaks from the test set). Tabular
 * data such as breast-cancer spans four orders of magnitude across features; networks train
 * badly on it raw. A feature that is constant in train is centred and left unscaled.
 *
 * @returns a new dataset; the input is not changed.
 * @throws ShapeError for a dataset whose features are a row store (images need no standardising).
 */
export function standardize(dataset: Dataset): Dataset {
  const size = featureSize(dataset.featureShape);
  const splits = [dataset.train, dataset.validation, dataset.test].filter((split) => split !== undefined);
  if (splits.some((split) => isRowStore(split.features))) {
    throw new ShapeError(`${dataset.name}: standardize needs features in memory, not a row store`);
  }
  const { count } = dataset.train;
  const features = dataset.train.features as Float32Array;
  // Sums in float64: float32 accumulation over 60k rows loses digits.
  const mean = new Float64Array(size);
  const variance = new Float64Array(size);
  for (let row = 0; row < count; row++) {
    for (let j = 0; j < size; j++) mean[j] += features[row * size + j];
  }
  for (let j = 0; j < size; j++) mean[j] /= Math.max(count, 1);
  for (let row = 0; row < count; row++) {
    for (let j = 0; j < size; j++) {
      const centred = features[row * size + j] - mean[j];
      variance[j] += centred * centred;
    }
  }
  const scale = new Float64Array(size);
  for (let j = 0; j < size; j++) {
    const std = Math.sqrt(variance[j] / Math.max(count, 1));
    scale[j] = std > 0 ? 1 / std : 1;
  }
  const apply = (split: Split): Split => {
    const values = split.features as Float32Array;
    const out = new Float32Array(values.length);
    for (let i = 0; i < out.length; i++) {
      const j = i % size;
      out[i] = (values[i] - mean[j]) * scale[j];
    }
    return { ...split, features: out };
  };
  const result: Dataset = {
    ...dataset,
    description: `${dataset.description} Standardised per feature with the training split's mean and std.`,
    train: apply(dataset.train),
    test: apply(dataset.test),
  };
  if (dataset.validation !== undefined) result.validation = apply(dataset.validation);
  return result;
}
