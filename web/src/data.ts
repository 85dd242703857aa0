/**
 * The demo's two datasets, made imbalanced the way the paper's Figure 1 does it: the first half
 * of the classes (the minority) keeps a fraction of its training rows, the rest keeps all. The
 * test sets stay balanced, so per-class recall and macro-F1 show what the imbalance costs.
 */
import { applyImbalance, makeGaussianBlobs, standardize, type Dataset, type Split } from 'affinity-loss';
import { ASSET_LIST_FILE, assetLabel, decodeImageSubset, FOLDER_ASSET_FILE, MNIST_ASSET_FILE, type DemoAssetList } from './imageAsset';

/** The datasets the demo offers; 'folder' only when `npm run web:data -- --data-path DIR` made one. */
export const DATASET_NAMES = ['blobs', 'mnist', 'folder'] as const;

/** One of `DATASET_NAMES`. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The image datasets and the asset file each is read from. */
const IMAGE_ASSETS = { mnist: MNIST_ASSET_FILE, folder: FOLDER_ASSET_FILE } as const;

/** A dataset ready to train on, with what the view needs to know about its classes. */
export interface DemoData {
  /** Which dataset. */
  name: DatasetName;
  /** One name per class. */
  classNames: string[];
  /** Input values per sample (2 for the blobs, 196 for 14 x 14 images). */
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

const imageCache = new Map<keyof typeof IMAGE_ASSETS, Promise<Dataset>>();

/** Fetches and decodes an image asset once; later calls share the result. */
function loadImageSubset(name: keyof typeof IMAGE_ASSETS): Promise<Dataset> {
  let loading = imageCache.get(name);
  if (loading === undefined) {
    loading = (async () => {
      const file = IMAGE_ASSETS[name];
      const response = await fetch(file); // relative to the page, wherever it is served
      if (!response.ok) throw new Error(`could not load ${file}: HTTP ${response.status}${name === 'folder' ? ' (make it with npm run web:data -- --data-path DIR)' : ''}`);
      const subset = decodeImageSubset(await response.arrayBuffer());
      const split = (part: typeof subset.train): Split => ({ features: part.pixels, labels: part.labels, count: part.count });
      return {
        name,
        description: assetLabel(subset),
        classNames: subset.classNames,
        featureShape: [subset.side * subset.side],
        train: split(subset.train),
        test: split(subset.test),
      };
    })();
    imageCache.set(name, loading);
    loading.catch(() => imageCache.delete(name)); // a failed fetch may be retried
  }
  return loading;
}

/**
 * The menu label of the user's image folder, or null when none was prepared: the demo offers
 * that dataset only when the build's list of image sets names it.
 */
export async function folderDatasetLabel(): Promise<string | null> {
  const response = await fetch(ASSET_LIST_FILE);
  if (!response.ok) return null;
  const list = (await response.json()) as DemoAssetList;
  return list[FOLDER_ASSET_FILE]?.label ?? null;
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
  const balanced = name === 'blobs' ? makeBlobs() : await loadImageSubset(name);
  const classes = balanced.classNames.length;
  const minorityClasses = Array.from({ length: Math.floor(classes / 2) }, (_, c) => c);
  // Of the largest class, so that a folder already imbalanced gets the ratio the slider says,
  // and never more than the smallest minority class has.
  const available = countsOf(balanced.train.labels, classes);
  const smallestMinority = Math.min(...minorityClasses.map((c) => available[c]));
  const keepCount = Math.min(smallestMinority, Math.max(2, Math.floor(minorityFraction * Math.max(...available))));
  const imbalanced = minorityFraction >= 1 ? balanced : applyImbalance(balanced, { kind: 'step', minorityClasses, keepCount }, DATA_SEED);
  const trainCounts = countsOf(imbalanced.train.labels, classes);
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

function countsOf(labels: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}
