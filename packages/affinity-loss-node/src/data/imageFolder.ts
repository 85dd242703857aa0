/**
 * A folder of images as a dataset, for users whose data is pictures rather than IDX files or a
 * CSV of pixels. Three layouts:
 *
 *     root/<class>/<image>                      one subfolder per class; a seeded stratified
 *                                               share of each class becomes the test split
 *     root/train/<class>/..., root/test/<class>/...   the splits as given
 *     manifest.csv                              a CSV with a header naming `path` and `label`
 *                                               columns (paths relative to the CSV's folder) and
 *                                               optionally `split` (train or test)
 *
 * PNG, JPEG and WebP are decoded with sharp (an optional peer dependency: `npm install sharp`),
 * resized to size x size by scaling the shorter side and cropping the centre (the aspect ratio
 * is kept), turned to grayscale or RGB whatever the file's channels, and scaled to [0, 1].
 * Class names are the folder names, in sorted order (the class ids). Other files (a README, a
 * thumbnail database) are skipped and counted in the description; hidden files are ignored.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { takeRows, type Dataset, type Split } from 'affinity-loss/internal/data/dataset.js';
import { isRowStore, type Features } from 'affinity-loss/internal/data/rowStore.js';
import { rowRange } from 'affinity-loss/internal/train/batches.js';
import { stratifiedIndices } from 'affinity-loss/internal/data/split.js';
import { AffinityConfigError, DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { requireInRange, requireInteger, requireSeed } from 'affinity-loss/internal/validate.js';
import { decodeImage, loadSharp, type Sharp } from './decodeImage.js';
import { cacheImages, DiskRowStore } from './imageCache.js';
import { isFile } from './files.js';

/** Image file extensions read (lower case). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;

/** Options of `readImageFolder`. */
export interface ImageFolderOptions {
  /** Side of the square images the model sees, in pixels. Default 28. */
  imageSize?: number;
  /** 1: grayscale, 3: RGB (alpha dropped). Default 1. */
  channels?: 1 | 3;
  /** Share of each class in the test split when the folder has no test/ subfolder, in (0, 1). Default 0.2. */
  testFraction?: number;
  /** Seed of that split. Default 0. */
  splitSeed?: number;
  /**
   * Keep the decoded images on disk and read each batch's rows from there (a `RowStore`)
   * rather than holding every image in memory: true, false, or 'auto' (the default of the
   * CLI) to stream when the images would take more than `STREAM_ABOVE_BYTES` in memory. Default
   * false.
   */
  stream?: boolean | 'auto';
  /** Streaming: the folder of the decoded-image caches. Default `defaultImageCacheDir()`. */
  cacheDir?: string;
  /** Streaming: threads that decode the images into the cache. Default: the number of cores. */
  decodeWorkers?: number;
  /** Streaming: called as the cache is built, with the images decoded so far and in all. */
  onDecodeProgress?: (done: number, total: number) => void;
}

/**
 * With `stream: 'auto'`, a folder whose decoded images would take more than this many bytes as
 * float32 streams from disk: 256 MiB, about 85k images of 28 x 28 or 5.5k of 64 x 64 RGB.
 */
export const STREAM_ABOVE_BYTES = 256 * 2 ** 20;

/**
 * The image size and channels with their defaults (28, 1), checked: what `readImageFolder`
 * reads, and what an experiment config records before any image is read.
 *
 * @throws AffinityConfigError for a size outside 1-1024 or channels other than 1 and 3.
 */
export function resolveImageSettings(options: Pick<ImageFolderOptions, 'imageSize' | 'channels'>): { imageSize: number; channels: 1 | 3 } {
  const imageSize = requireInteger('imageSize', options.imageSize ?? 28, 1);
  if (imageSize > 1024) throw new AffinityConfigError(`imageSize must be at most 1024, got ${imageSize}`);
  const channels = options.channels ?? 1;
  if (channels !== 1 && channels !== 3) throw new AffinityConfigError(`channels must be 1 (grayscale) or 3 (RGB), got ${String(channels)}`);
  return { imageSize, channels };
}

/** The image files of one split: paths and class ids, and how many other files were skipped. */
interface Listing {
  files: string[];
  labels: number[];
  skipped: number;
}

function isImage(name: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

async function entries(folder: string) {
  try {
    return (await readdir(folder, { withFileTypes: true })).filter((entry) => !entry.name.startsWith('.'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetNotFoundError(`no image folder ${folder}`);
    if (code === 'ENOTDIR') throw new DatasetNotFoundError(`${folder} is a file; give the folder that holds one subfolder per class`);
    throw error;
  }
}

/** Class subfolders, sorted: the class names. */
async function classFolders(root: string): Promise<string[]> {
  const names = (await entries(root)).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Every image under `root/<class>/` for the given classes (files in nested folders included). */
async function listSplit(root: string, classNames: readonly string[]): Promise<Listing> {
  const listing: Listing = { files: [], labels: [], skipped: 0 };
  for (const [id, name] of classNames.entries()) {
    const folder = join(root, name);
    const found = (await readdir(folder, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    const images = found.filter((path) => isImage(path));
    listing.skipped += found.length - images.length;
    if (images.length === 0) {
      throw new DatasetFormatError(`class folder ${folder} holds no images (${IMAGE_EXTENSIONS.join(', ')}); remove it or add images`);
    }
    for (const path of images) {
      listing.files.push(path);
      listing.labels.push(id);
    }
  }
  return listing;
}

/** A layout read as listings: the class names, train, and test when the data gives one. */
interface Layout {
  classNames: string[];
  train: Listing;
  test?: Listing;
}

function requireTwoClasses(where: string, classNames: readonly string[]): void {
  if (classNames.length < 2) {
    throw new DatasetFormatError(`${where} has ${classNames.length} class${classNames.length === 1 ? '' : 'es'}; a classifier needs at least 2 (one subfolder per class, or labels in a manifest)`);
  }
}

/** The class-folder layouts (see the file comment). */
async function readFolders(root: string): Promise<Layout> {
  const top = await classFolders(root);
  if (!(top.includes('train') && top.includes('test'))) {
    requireTwoClasses(root, top);
    return { classNames: top, train: await listSplit(root, top) };
  }
  const classNames = await classFolders(join(root, 'train'));
  requireTwoClasses(join(root, 'train'), classNames);
  const testClasses = await classFolders(join(root, 'test'));
  const unknown = testClasses.filter((name) => !classNames.includes(name));
  if (unknown.length > 0) throw new DatasetFormatError(`${join(root, 'test')} has class folders that train/ lacks: ${unknown.join(', ')}`);
  // A class may be absent from test/ (it scores nothing there), not from train/.
  const test = await listSplit(join(root, 'test'), testClasses);
  test.labels = test.labels.map((id) => classNames.indexOf(testClasses[id]));
  return { classNames, train: await listSplit(join(root, 'train'), classNames), test };
}

/**
 * Reads a manifest CSV: a header with `path` and `label` columns, optionally `split`.
 *
 * @throws DatasetFormatError naming the line of a missing file, an empty label or an unknown split.
 */
async function readManifest(file: string): Promise<Layout> {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(await readFile(file, 'utf8'), { info: true, skip_empty_lines: true, trim: true }) as unknown as typeof rows;
  } catch (error) {
    throw new DatasetFormatError(`${file}: not a readable CSV: ${(error as Error).message}`);
  }
  const header = rows.shift()?.record.map((name) => name.toLowerCase()) ?? [];
  const column = (name: string) => header.indexOf(name);
  if (column('path') < 0 || column('label') < 0) {
    throw new DatasetFormatError(`${file}: a manifest needs a header row naming a path and a label column (and optionally split), got ${JSON.stringify(header.join(','))}`);
  }
  const folder = dirname(resolve(file));
  const entries: { path: string; label: string; split: 'train' | 'test' }[] = [];
  for (const { record, info } of rows) {
    const [path, label, split] = [record[column('path')], record[column('label')], column('split') < 0 ? 'train' : record[column('split')]?.toLowerCase()];
    if (!path || !label) throw new DatasetFormatError(`${file} line ${info.lines}: empty path or label`);
    if (split !== 'train' && split !== 'test') throw new DatasetFormatError(`${file} line ${info.lines}: split must be train or test, got ${JSON.stringify(split ?? '')}`);
    const full = isAbsolute(path) ? path : join(folder, path);
    if (!(await isFile(full))) throw new DatasetFormatError(`${file} line ${info.lines}: no image file ${full}`);
    entries.push({ path: full, label, split });
  }
  const classNames = [...new Set(entries.filter((entry) => entry.split === 'train').map((entry) => entry.label))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const unknown = [...new Set(entries.filter((entry) => entry.split === 'test' && !classNames.includes(entry.label)).map((entry) => entry.label))];
  if (unknown.length > 0) throw new DatasetFormatError(`${file}: test rows have labels no training row has: ${unknown.join(', ')}`);
  requireTwoClasses(file, classNames);
  const listing = (split: 'train' | 'test'): Listing => {
    const chosen = entries.filter((entry) => entry.split === split);
    return { files: chosen.map((entry) => entry.path), labels: chosen.map((entry) => classNames.indexOf(entry.label)), skipped: 0 };
  };
  return { classNames, train: listing('train'), ...(column('split') < 0 ? {} : { test: listing('test') }) };
}

// Images decoded at once: sharp decodes on libuv's thread pool (4 threads by default).
const DECODE_CONCURRENCY = 8;

/** Decodes, resizes and scales every file into one Float32Array of rows. */
async function decode(sharp: Sharp, root: string, files: readonly string[], size: number, channels: 1 | 3): Promise<Float32Array> {
  const rowSize = size * size * channels;
  const features = new Float32Array(files.length * rowSize);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      const pixels = await decodeImage(sharp, files[index], size, channels, root);
      const offset = index * rowSize;
      for (let i = 0; i < rowSize; i++) features[offset + i] = pixels[i] / 255;
    }
  };
  await Promise.all(Array.from({ length: Math.min(DECODE_CONCURRENCY, files.length) }, worker));
  return features;
}

/** Rows start to end of a split, without copying values (a view of an array, a selection of a store). */
function rowSlice(split: Split<Features>, start: number, end: number, rowSize: number): Split<Features> {
  const labels = split.labels.slice(start, end);
  const features = isRowStore(split.features) ? split.features.select(rowRange(start, end)) : split.features.subarray(start * rowSize, end * rowSize);
  return { features, labels, count: end - start };
}

/**
 * Reads a folder of images (see the file comment for the layouts) as a dataset: in memory, or,
 * with `stream`, as row stores over a decoded-image cache on disk (`cacheImages`).
 *
 * @throws DatasetNotFoundError when the folder is missing or sharp is not installed;
 *   DatasetFormatError for a class folder without images, a test class unknown to training,
 *   fewer than 2 classes, or an image that cannot be decoded (naming the file);
 *   AffinityConfigError for bad options.
 */
export async function readImageFolder(root: string, options?: ImageFolderOptions & { stream?: false }): Promise<Dataset>;
export async function readImageFolder(root: string, options: ImageFolderOptions): Promise<Dataset<Features>>;
export async function readImageFolder(root: string, options: ImageFolderOptions = {}): Promise<Dataset<Features>> {
  const { imageSize: size, channels } = resolveImageSettings(options);
  const testFraction = requireInRange('testFraction', options.testFraction ?? 0.2, 0, 1, true);
  const splitSeed = requireSeed(options.splitSeed ?? 0, 'splitSeed');
  const stream = options.stream ?? false;
  if (stream !== true && stream !== false && stream !== 'auto') throw new AffinityConfigError(`stream must be true, false or 'auto', got ${JSON.stringify(stream)}`);
  const sharp = await loadSharp();

  const isManifest = await isFile(root);
  const { classNames, train: trainListing, test: testListing } = isManifest ? await readManifest(root) : await readFolders(root);
  const source = isManifest ? `the manifest ${root}` : `${root}, its subfolders`;
  const featureShape = [size, size, channels];
  const rowSize = size * size * channels;
  const base = isManifest ? dirname(resolve(root)) : root;
  const files = [...trainListing.files, ...(testListing?.files ?? [])];
  const streamed = stream === true || (stream === 'auto' && files.length * rowSize * 4 > STREAM_ABOVE_BYTES);
  // Train and test rows are decoded together, in one pass (and one cache): train first.
  const features: Features = streamed
    ? await cacheImages(files, { cacheDir: options.cacheDir, imageSize: size, channels, root: base, workers: options.decodeWorkers, onProgress: options.onDecodeProgress })
    : await decode(sharp, base, files, size, channels);
  const all: Split<Features> = { features, labels: Int32Array.from([...trainListing.labels, ...(testListing?.labels ?? [])]), count: files.length };
  const trainRows = trainListing.files.length;
  const shape = `${size}x${size} ${channels === 1 ? 'grayscale' : 'RGB'}, scaled to [0, 1]`;
  let train: Split<Features>;
  let test: Split<Features>;
  let how: string;
  if (testListing !== undefined) {
    [train, test] = [rowSlice(all, 0, trainRows, rowSize), rowSlice(all, trainRows, files.length, rowSize)];
    how = isManifest ? 'its split column' : 'its train/ and test/ folders';
  } else {
    if (testFraction === 0) throw new AffinityConfigError('testFraction must be > 0 when the data has no test split of its own (the test split would be empty)');
    const indices = stratifiedIndices(all.labels, classNames.length, testFraction, splitSeed);
    [train, test] = [takeRows(all, indices.kept, rowSize), takeRows(all, indices.heldOut, rowSize)];
    how = `a stratified ${Math.round((1 - testFraction) * 100)}/${Math.round(testFraction * 100)} train/test split, seed ${splitSeed}`;
  }
  const skipped = trainListing.skipped + (testListing?.skipped ?? 0);
  return {
    name: 'image-folder',
    description:
      `Images from ${source}, ${classNames.length} classes, ${shape}; ${train.count} training and ${test.count} test images from ${how}.` +
      (skipped > 0 ? ` ${skipped} file${skipped === 1 ? '' : 's'} that are not ${IMAGE_EXTENSIONS.join('/')} images skipped.` : '') +
      (features instanceof DiskRowStore ? ` Streamed from the decoded-image cache ${features.folder}.` : ''),
    classNames,
    featureShape,
    train,
    test,
  };
}
