/**
 * Small real tables shipped with scikit-learn (Debian: python3-sklearn): breast-cancer
 * (569 x 30, 212 malignant / 357 benign, naturally imbalanced) and digits (1797 8x8 images).
 * They have no official test split, so the loaders make a seeded stratified one and say so in
 * the description.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AffinityConfigError, DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { featureSize, takeRows, type Dataset, type Split } from 'affinity-loss/internal/data/dataset.js';
import { requireInRange, requireSeed } from 'affinity-loss/internal/validate.js';
import { stratifiedIndices } from 'affinity-loss/internal/data/split.js';
import { parseCsv, type CsvTable } from './csv.js';
import { isDirectory, isFile, readDataFile } from './files.js';

/** Debian's location of scikit-learn's bundled data files. */
export const SKLEARN_DEBIAN_DATA_FOLDER = '/usr/lib/python3/dist-packages/sklearn/datasets/data';

const HOW_TO_GET =
  'install scikit-learn (`apt-get install python3-sklearn`, or `pip install scikit-learn`), or pass the file with { path }';

/** Options of the scikit-learn loaders. */
export interface SklearnLoadOptions {
  /** The CSV file, or the folder holding it (sklearn/datasets/data); default: searched for. */
  path?: string;
  /** Share of each class that goes to the test split, in (0, 1). Default 0.25 (sklearn's train_test_split). */
  testFraction?: number;
  /** Seed of the stratified train/test split. Default 0. */
  splitSeed?: number;
}

/**
 * Folders where scikit-learn's data may be installed, in search order: Debian's, then every
 * python3.x under /usr/lib and /usr/local/lib (dist-packages and site-packages). The Python
 * version in the path differs between releases, hence the search at run time.
 */
export async function sklearnDataFolders(): Promise<string[]> {
  const folders = [SKLEARN_DEBIAN_DATA_FOLDER];
  for (const base of ['/usr/lib', '/usr/local/lib']) {
    let entries: string[];
    try {
      entries = await readdir(base);
    } catch {
      continue;
    }
    for (const entry of entries.filter((name) => /^python3(\.\d+)?$/.test(name)).sort()) {
      for (const packages of ['dist-packages', 'site-packages']) {
        const folder = join(base, entry, packages, 'sklearn', 'datasets', 'data');
        if (!folders.includes(folder)) folders.push(folder);
      }
    }
  }
  return folders;
}

/**
 * The path of a scikit-learn data file: `path` itself when it is a file, `path/fileName` when
 * it is a folder, else the first of `sklearnDataFolders()` that holds `fileName`.
 *
 * @throws DatasetNotFoundError saying where it looked and how to get the file.
 */
export async function findSklearnFile(fileName: string, path?: string): Promise<string> {
  if (path !== undefined) {
    if (await isFile(path)) return path;
    if ((await isDirectory(path)) && (await isFile(join(path, fileName)))) return join(path, fileName);
    throw new DatasetNotFoundError(`${path} is not ${fileName} nor a folder holding it; ${HOW_TO_GET}`);
  }
  const folders = await sklearnDataFolders();
  for (const folder of folders) {
    if (await isFile(join(folder, fileName))) return join(folder, fileName);
  }
  throw new DatasetNotFoundError(`scikit-learn's ${fileName} was not found in ${folders[0]} or the other python3 folders; ${HOW_TO_GET}`);
}

/**
 * Parses scikit-learn's bundled CSV format: a first line `n_samples,n_features,name_0,name_1,...`
 * (breast_cancer.csv, iris.csv, wine_data.csv), then rows of features with an integer class
 * id last. The header is checked against the rows.
 *
 * @throws DatasetFormatError when the header is malformed or disagrees with the rows.
 */
export function parseSklearnCsv(bytes: Uint8Array, file: string): CsvTable {
  const text = new TextDecoder().decode(bytes);
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n')).trim();
  const header = firstLine.split(',');
  const [samples, features] = header.slice(0, 2).map((cell) => (/^\d+$/.test(cell) ? Number(cell) : NaN));
  const classNames = header.slice(2);
  if (!Number.isInteger(samples) || !Number.isInteger(features) || classNames.length < 2) {
    throw new DatasetFormatError(
      `${file} line 1: expected scikit-learn's header n_samples,n_features,class names..., got ${JSON.stringify(firstLine)}`,
    );
  }
  const table = parseCsv(text, { skipLines: 1, classNames: classNames.map((_, id) => String(id)) }, file);
  if (table.count !== samples || table.featureCount !== features) {
    throw new DatasetFormatError(
      `${file}: the header says ${samples} rows x ${features} features, the file holds ${table.count} x ${table.featureCount}`,
    );
  }
  return { ...table, classNames };
}

/** Splits a table into a seeded, stratified train/test pair. */
function splitTable(table: CsvTable, size: number, testFraction: number, seed: number): { train: Split; test: Split } {
  const all: Split = { features: table.features, labels: table.labels, count: table.count };
  const { kept, heldOut } = stratifiedIndices(table.labels, table.classNames.length, testFraction, seed);
  return { train: takeRows(all, kept, size), test: takeRows(all, heldOut, size) };
}

/** The split options with their defaults, checked before any file is read. */
function splitOptions(options: SklearnLoadOptions): { testFraction: number; seed: number } {
  rejectRenamedSeed(options);
  const testFraction = requireInRange('testFraction', options.testFraction ?? 0.25, 0, 1, true);
  // (0, 1), not [0, 1): a test split of 0 rows cannot measure anything.
  if (testFraction === 0) throw new AffinityConfigError('testFraction must be > 0, got 0 (the test split would be empty)');
  return { testFraction, seed: requireSeed(options.splitSeed ?? 0, 'splitSeed') };
}

/**
 * Throws when the options carry `seed`, the name `splitSeed` had before: ignoring it would
 * silently give the default split.
 */
export function rejectRenamedSeed(options: object): void {
  if ((options as { seed?: unknown }).seed !== undefined) {
    throw new AffinityConfigError(
      `the dataset option seed is now splitSeed (the seed of the train/test split), got { seed: ${String((options as { seed: unknown }).seed)} }`,
    );
  }
}

function splitNote(testFraction: number, seed: number): string {
  return `No official test split: a stratified ${Math.round((1 - testFraction) * 100)}/${Math.round(testFraction * 100)} train/test split, seed ${seed}.`;
}

/**
 * Breast cancer Wisconsin (diagnostic): 569 rows x 30 raw (unscaled) features, classes
 * malignant (212) and benign (357).
 */
export async function loadBreastCancer(options: SklearnLoadOptions = {}): Promise<Dataset> {
  const { testFraction, seed } = splitOptions(options);
  const file = await findSklearnFile('breast_cancer.csv', options.path);
  const table = parseSklearnCsv(await readDataFile(file, HOW_TO_GET), file);
  return {
    name: 'breast-cancer',
    description:
      `Breast cancer Wisconsin (diagnostic), scikit-learn's copy (${file}): ${table.count} rows, ${table.featureCount} raw ` +
      'features of very different scales (standardize() them before training), naturally imbalanced. ' +
      splitNote(testFraction, seed),
    classNames: table.classNames,
    featureShape: [table.featureCount],
    ...splitTable(table, table.featureCount, testFraction, seed),
  };
}

/**
 * Optical handwritten digits (UCI), scikit-learn's digits.csv.gz: 1797 images of 8x8 pixels
 * with values 0-16, scaled here to [0, 1] (value / 16), classes 0-9. The file has no header.
 */
export async function loadDigits(options: SklearnLoadOptions = {}): Promise<Dataset> {
  const { testFraction, seed } = splitOptions(options);
  const file = await findSklearnFile('digits.csv.gz', options.path);
  const classNames = Array.from({ length: 10 }, (_, digit) => String(digit));
  const table = parseCsv(await readDataFile(file, HOW_TO_GET), { classNames }, file);
  const featureShape = [8, 8, 1];
  if (table.featureCount !== featureSize(featureShape)) {
    throw new DatasetFormatError(`${file}: ${table.featureCount} features per row, expected 64 (8 x 8 pixels)`);
  }
  for (let i = 0; i < table.features.length; i++) {
    const value = table.features[i];
    if (value < 0 || value > 16) throw new DatasetFormatError(`${file}: pixel value ${value} outside 0-16 in row ${Math.floor(i / 64) + 1}`);
    table.features[i] = value / 16;
  }
  return {
    name: 'digits',
    description:
      `Optical handwritten digits, scikit-learn's copy (${file}): ${table.count} images, 8x8x1, float32 in [0, 1] (value / 16). ` +
      splitNote(testFraction, seed),
    classNames,
    featureShape,
    ...splitTable(table, 64, testFraction, seed),
  };
}
