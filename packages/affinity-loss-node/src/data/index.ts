/**
 * Node-only dataset code: readers for IDX (raw and gzipped), CSV and CIFAR-10 binary files,
 * folders of images (in memory, or streamed from a decoded-image cache on disk), and the named-dataset registry (`loadDataset('mnist')`).
 *
 * Named exports, not `export *`: the readers and loaders a user calls are listed here; file
 * lookup, byte conversion and format constants stay importable by relative path for the
 * library's own code and tests.
 */
export { parseIdxImages, parseIdxLabels, readIdxImages, readIdxLabels, readIdxSplit, type IdxImages } from './idx.js';
export { parseCsv, readCsv, type CsvOptions, type CsvTable } from './csv.js';
export { CIFAR10_CLASS_NAMES, parseCifar10Batch, readCifar10Batch, readCifar10 } from './cifar.js';
export { MNIST_FILES, FASHION_MNIST_CLASS_NAMES, readMnistFolder, loadMnist, loadFashionMnist } from './mnist.js';
export { loadBreastCancer, loadDigits, type SklearnLoadOptions } from './sklearn.js';
export { IMAGE_EXTENSIONS, STREAM_ABOVE_BYTES, readImageFolder, type ImageFolderOptions } from './imageFolder.js';
export { SHARD_ROWS, DiskRowStore, cacheImages, defaultImageCacheDir, type ImageCacheOptions } from './imageCache.js';
export {
  DATASET_NAMES,
  DATASETS,
  loadDataset,
  loadPreparedDataset,
  type DatasetName,
  type DatasetInfo,
  type LoadDatasetOptions,
} from './registry.js';
