/**
 * The demo's two datasets, made imbalanced the way the paper's Figure 1 does it: the first half
 * of the classes (the minority) keeps a fraction of its training rows, the rest keeps all. The
 * test sets stay balanced, so per-class recall and macro-F1 show what the imbalance costs.
 */
import { applyImbalance, makeGaussianBlobs, standardize, type Dataset, type Split } from 'affinity-loss';
import { decodeMnistSubset, MNIST_ASSET_FILE } from './mnistAsset';

/** The datasets the demo offers. */
export const DATASET_NAMES = ['blobs', 'mnist'] as const;

/** One of `DATASET_NAMES`. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** A dataset ready to train on, with what the view needs to know about its classes. */
export interface DemoData {
  /** Which dataset. */
  name: DatasetName;
  /** One name per class. */
  classNames: string[];
  /** Input values per sample (2 for the blobs, 196 for 14 x 14 digits). */
  inputSize: number;
  /** Training rows after the imbalance. */
  train: Split;
  /** Balanced test rows: what the view draws and the metrics score. */
  test: Split;
  /** minority[c] is true for the classes that lost rows. */
  minority: boolean[];
  /** Training rows per class after the imbalance. */
  trainCounts: number[];
}

/** Blobs: 6 classes on a circle, 400 training rows each before the imbalance. */
const BLOB_CLASSES = 6;
const BLOB_TRAIN_PER_CLASS = 400;
const BLOB_TEST_PER_CLASS = 150;
/** Centres 4 apart with std 1: neighbours overlap a little, so the boundaries matter. */
const BLOB_RADIUS = 4;

/** Seed of the blobs and of the rows the imbalance keeps. */
const DATA_SEED = 7;

let mnistCache: Promise<Dataset> | null = null;

/** Fetches and decodes the MNIST subset once; later calls share the result. */
function loadMnistSubset(): Promise<Dataset> {
  mnistCache ??= (async () => {
    const response = await fetch(MNIST_ASSET_FILE) // relative to the page, wherever it is served;
    if (!response.ok) throw new Error(`could not load ${MNIST_ASSET_FILE}: HTTP ${response.status}`);
    const subset = decodeMnistSubset(await response.arrayBuffer());
    const split = (part: typeof subset.train): Split => ({ features: part.pixels, labels: part.labels, count: part.count });
    return {
      name: 'mnist',
      description: `MNIST subset, ${subset.side} x ${subset.side}`,
      classNames: Array.from({ length: 10 }, (_, digit) => String(digit)),
      featureShape: [subset.side * subset.side],
      train: split(subset.train),
      test: split(subset.test),
    };
  })();
  mnistCache.catch(() => (mnistCache = null)); // a failed fetch may be retried
  return mnistCache;
}

function makeBlobs(): Dataset {
  // Standardised: the backbone then sees inputs of unit scale whatever the radius.
  return standardize(
    makeGaussianBlobs({
      counts: new Array<number>(BLOB_CLASSES).fill(BLOB_TRAIN_PER_CLASS),
      testCounts: BLOB_TEST_PER_CLASS,
      radius: BLOB_RADIUS,
      std: 1,
      seed: DATA_SEED,
    }),
  );
}

/**
 * Loads a dataset and applies the step imbalance.
 *
 * @param minorityFraction in (0, 1]: the share of its training rows each minority class keeps
 *   (at least 2 rows, so a class never vanishes).
 */
export async function loadDemoData(name: DatasetName, minorityFraction: number): Promise<DemoData> {
  const balanced = name === 'mnist' ? await loadMnistSubset() : makeBlobs();
  const classes = balanced.classNames.length;
  const minorityClasses = Array.from({ length: Math.floor(classes / 2) }, (_, c) => c);
  const perClass = balanced.train.count / classes;
  const keepCount = Math.max(2, Math.floor(minorityFraction * perClass));
  const imbalanced = minorityFraction >= 1 ? balanced : applyImbalance(balanced, { kind: 'step', minorityClasses, keepCount }, DATA_SEED);
  const trainCounts = new Array<number>(classes).fill(0);
  for (const label of imbalanced.train.labels) trainCounts[label]++;
  return {
    name,
    classNames: balanced.classNames,
    inputSize: imbalanced.featureShape.reduce((size, dim) => size * dim, 1),
    train: imbalanced.train,
    test: imbalanced.test,
    minority: balanced.classNames.map((_, c) => minorityFraction < 1 && c < minorityClasses.length),
    trainCounts,
  };
}
