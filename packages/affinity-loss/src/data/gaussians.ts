/**
 * Synthetic Gaussian blobs with chosen per-class counts: a dataset for tests and for the 2-D
 * demo, where the feature space can be drawn as it is. Browser-safe; the registry entry
 * `gaussians` lives in the Node toolkit.
 */
import { AffinityConfigError } from '../errors.js';
import type { Dataset, Split } from './dataset.js';
import { deriveSeed, requireSeed, Rng } from './rng.js';
import { requireInteger, requirePositive } from '../validate.js';

/** Options of `makeGaussianBlobs`. */
export interface GaussianBlobsOptions {
  /** Training rows of each class; its length is the number of classes C (>= 2). */
  counts: number[];
  /**
   * Test rows of each class: one number for all classes, or one per class. Default: the
   * largest training count for every class (a balanced test set).
   */
  testCounts?: number | number[];
  /** Dimension d of the samples (>= 1). Default 2. */
  dimensions?: number;
  /** Distance of each class centre from the origin. Default 4. */
  radius?: number;
  /** Standard deviation of every blob along every axis. Default 1. */
  std?: number;
  /** Seed of the centres (where random) and the samples. Default 0. */
  seed?: number;
}

// Streams of deriveSeed: centres, training samples and test samples never share numbers.
const STREAM_CENTRES = 0;
const STREAM_TRAIN = 1;
const STREAM_TEST = 2;

/**
 * The class centres, C arrays of d values:
 * d = 1: on a line, `radius` apart, centred on 0;
 * d = 2: evenly spaced on the circle of radius `radius` (the picture of the paper's Figure 1);
 * d >= 3 and C <= d: `radius` times the first C unit vectors (all pairs equally far apart);
 * otherwise: seeded random directions, each at distance `radius` from the origin.
 */
export function blobCentres(classes: number, dimensions: number, radius: number, seed: number): Float64Array[] {
  const centres = Array.from({ length: classes }, () => new Float64Array(dimensions));
  if (dimensions === 1) {
    centres.forEach((centre, c) => (centre[0] = radius * (c - (classes - 1) / 2)));
  } else if (dimensions === 2) {
    centres.forEach((centre, c) => {
      const angle = (2 * Math.PI * c) / classes;
      centre[0] = radius * Math.cos(angle);
      centre[1] = radius * Math.sin(angle);
    });
  } else if (classes <= dimensions) {
    centres.forEach((centre, c) => (centre[c] = radius));
  } else {
    const rng = new Rng(deriveSeed(seed, STREAM_CENTRES));
    for (const centre of centres) {
      let norm = 0;
      while (norm === 0) {
        for (let j = 0; j < dimensions; j++) centre[j] = rng.normal();
        norm = Math.hypot(...centre);
      }
      for (let j = 0; j < dimensions; j++) centre[j] *= radius / norm;
    }
  }
  return centres;
}

function sampleBlobs(centres: Float64Array[], counts: readonly number[], std: number, rng: Rng): Split {
  const dimensions = centres[0].length;
  const count = counts.reduce((sum, n) => sum + n, 0);
  const features = new Float32Array(count * dimensions);
  const labels = new Int32Array(count);
  let row = 0;
  counts.forEach((n, c) => {
    for (let i = 0; i < n; i++, row++) {
      labels[row] = c;
      for (let j = 0; j < dimensions; j++) features[row * dimensions + j] = rng.normal(centres[c][j], std);
    }
  });
  return { features, labels, count };
}

/**
 * A dataset of isotropic Gaussian blobs, one per class, centred by `blobCentres`. Rows are
 * ordered by class; samplers and trainers shuffle.
 */
export function makeGaussianBlobs(options: GaussianBlobsOptions): Dataset {
  const counts = options.counts;
  if (!Array.isArray(counts) || counts.length < 2) {
    throw new AffinityConfigError(`gaussians needs counts for at least 2 classes, got ${String(counts)}`);
  }
  counts.forEach((n, c) => requireInteger(`counts[${c}]`, n, 0));
  const classes = counts.length;
  const largest = Math.max(...counts);
  const testOption = options.testCounts ?? largest;
  const testCounts = typeof testOption === 'number' ? new Array<number>(classes).fill(testOption) : testOption;
  if (!Array.isArray(testCounts) || testCounts.length !== classes) {
    throw new AffinityConfigError(`gaussians testCounts needs one count per class (${classes}), got ${String(testOption)}`);
  }
  testCounts.forEach((n, c) => requireInteger(`testCounts[${c}]`, n, 0));
  const dimensions = requireInteger('dimensions', options.dimensions ?? 2, 1);
  const radius = requirePositive('radius', options.radius ?? 4);
  const std = requirePositive('std', options.std ?? 1);
  const seed = requireSeed(options.seed ?? 0);
  const centres = blobCentres(classes, dimensions, radius, seed);
  return {
    name: 'gaussians',
    description:
      `Synthetic ${dimensions}-D Gaussian blobs (std ${std}, centres at radius ${radius}), seed ${seed}; ` +
      `train counts ${counts.join(',')}, test counts ${testCounts.join(',')}.`,
    classNames: counts.map((_, c) => `blob ${c}`),
    featureShape: [dimensions],
    train: sampleBlobs(centres, counts, std, new Rng(deriveSeed(seed, STREAM_TRAIN))),
    test: sampleBlobs(centres, testCounts, std, new Rng(deriveSeed(seed, STREAM_TEST))),
  };
}
