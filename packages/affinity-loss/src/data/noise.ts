/**
 * Label-noise builders: corrupt training labels in a controlled, seeded way and keep the clean
 * labels beside the noisy ones.
 *
 * What a rate r means here: in each class c, exactly round(r * n_c) labels are flipped
 * (nearest integer, halves up, see rounding.ts), the rows chosen uniformly without
 * replacement. Exact counts rather than independent coin flips: the noise level is then
 * honoured to the sample, in every class, minority classes included, and tests can check it.
 * Each class draws from its own seeded stream, so its flips do not depend on the other classes.
 */
import { AffinityConfigError } from '../errors.js';
import { indicesByClass, type Dataset, type Split } from './dataset.js';
import type { Features } from './rowStore.js';
import { deriveSeed, requireSeed, Rng } from './rng.js';
import { roundCount } from './rounding.js';
import { requireSpecClassId } from './specClassIds.js';
import { requireInRange } from '../validate.js';

/**
 * Symmetric noise: a flipped label goes to a class chosen uniformly among the C - 1 other
 * classes. Spec string: `noise:sym:0.2`.
 */
export interface SymmetricNoise {
  kind: 'symmetric';
  /** r in [0, 1]: the fraction of each class whose labels are flipped. */
  rate: number;
}

/**
 * Asymmetric (class-dependent) noise: in each source class of `map`, round(r * n_c) labels
 * become the mapped class; classes not in the map stay clean. Targets are applied to the clean
 * labels, so with 2->7 and 7->1 a 2 becomes a 7 and never a 1. Spec string:
 * `noise:asym:mnist:0.4` or `noise:asym:2>7,5<>6:0.3`.
 */
export interface AsymmetricNoise {
  kind: 'asymmetric';
  /** r in [0, 1]: the fraction of each source class whose labels are flipped. */
  rate: number;
  /** Pairs [from, to], from != to, each `from` at most once (`MNIST_ASYMMETRIC_MAP` is the usual one). */
  map: ReadonlyArray<readonly [number, number]>;
}

/** Any of the label-noise builders. */
export type NoiseSpec = SymmetricNoise | AsymmetricNoise;

/**
 * The MNIST class-to-class map of the noisy-label literature (Patrini et al. 2017 and the
 * papers that follow it): 2->7, 3->8, 5<->6, 7->1, flips between similar-looking digits.
 */
export const MNIST_ASYMMETRIC_MAP: ReadonlyArray<readonly [number, number]> = Object.freeze([
  [2, 7],
  [3, 8],
  [5, 6],
  [6, 5],
  [7, 1],
] as const);

/** Noisy labels with the clean ones and which rows changed. */
export interface NoisyLabels {
  /** The labels after noise (what a model trains on). */
  labels: Int32Array;
  /** The clean labels, unchanged. */
  trueLabels: Int32Array;
  /** Rows whose label was flipped, ascending; `labels[i] !== trueLabels[i]` exactly for these. */
  flipped: Int32Array;
}

/** The map as `target[from]` (-1 where a class is not a source), validated against C classes. */
function targetsOf(map: AsymmetricNoise['map'], classes: number): Int32Array {
  if (!Array.isArray(map) || map.length === 0) {
    throw new AffinityConfigError('asymmetric noise needs a non-empty map of [from, to] class pairs');
  }
  const target = new Int32Array(classes).fill(-1);
  for (const pair of map) {
    const [from, to] = Array.isArray(pair) ? pair : [NaN, NaN];
    for (const id of [from, to]) requireSpecClassId('asymmetric noise map', id, classes);
    if (from === to) throw new AffinityConfigError(`asymmetric noise map: ${from}>${to} maps a class to itself`);
    if (target[from] !== -1) throw new AffinityConfigError(`asymmetric noise map: class ${from} has two targets`);
    target[from] = to;
  }
  return target;
}

/**
 * Flips labels as `spec` says (see the module comment for what the rate means).
 *
 * @param labels clean labels, class ids in [0, classes).
 * @param seed picks the flipped rows and, for symmetric noise, their new classes.
 */
export function addLabelNoise(labels: Int32Array, classes: number, spec: NoiseSpec, seed: number): NoisyLabels {
  requireSeed(seed);
  if (!Number.isInteger(classes) || classes < 2) {
    throw new AffinityConfigError(`label noise needs at least 2 classes, got ${classes}`);
  }
  const rate = requireInRange('noise rate', spec.rate, 0, 1);
  let target: Int32Array | undefined;
  if (spec.kind === 'asymmetric') target = targetsOf(spec.map, classes);
  else if (spec.kind !== 'symmetric') {
    throw new AffinityConfigError(`unknown noise kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
  const noisy = labels.slice();
  const flipped: number[] = [];
  indicesByClass(labels, classes).forEach((rows, c) => {
    if (target !== undefined && target[c] === -1) return;
    const rng = new Rng(deriveSeed(seed, c));
    const order = rng.permutation(rows.length);
    const flips = roundCount(rate * rows.length);
    for (let i = 0; i < flips; i++) {
      const row = rows[order[i]];
      if (target !== undefined) {
        noisy[row] = target[c];
      } else {
        // Uniform over the C - 1 other classes: draw from C - 1 ids and skip over c.
        const other = rng.int(classes - 1);
        noisy[row] = other >= c ? other + 1 : other;
      }
      flipped.push(row);
    }
  });
  return { labels: noisy, trueLabels: labels.slice(), flipped: Int32Array.from(flipped).sort() };
}

/**
 * The training split with noisy labels and its clean labels in `trueLabels`; the test and
 * validation splits are left clean.
 *
 * @returns a new dataset; the input is not changed.
 */
export function applyLabelNoise<F extends Features>(dataset: Dataset<F>, spec: NoiseSpec, seed: number): Dataset<F> {
  const train: Split<F> = dataset.train;
  if (train.trueLabels !== undefined) {
    throw new AffinityConfigError(`${dataset.name} train already carries label noise; add noise once`);
  }
  const noisy = addLabelNoise(train.labels, dataset.classNames.length, spec, seed);
  return { ...dataset, train: { ...train, labels: noisy.labels, trueLabels: noisy.trueLabels } };
}
