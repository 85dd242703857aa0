import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AffinityConfigError, DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { countPerClass, standardize } from 'affinity-loss/internal/data/dataset.js';
import { DATASETS, DATASET_NAMES, loadDataset, loadPreparedDataset, type LoadDatasetOptions } from '../../src/data/registry.js';
import { FASHION_MNIST_CLASS_NAMES } from '../../src/data/mnist.js';
import { SKLEARN_DEBIAN_DATA_FOLDER, findSklearnFile, parseSklearnCsv, sklearnDataFolders } from '../../src/data/sklearn.js';
import { temporaryFolder } from './tmp.js';

const folder = temporaryFolder('registry');

test('fashion-mnist from the Debian package: 6000 / 1000 per class, names, shape', async () => {
  const fashion = await loadDataset('fashion-mnist');
  assert.deepEqual(countPerClass(fashion.train.labels, 10), new Array<number>(10).fill(6000));
  assert.deepEqual(countPerClass(fashion.test.labels, 10), new Array<number>(10).fill(1000));
  assert.deepEqual(fashion.classNames, FASHION_MNIST_CLASS_NAMES);
  assert.deepEqual(fashion.featureShape, [28, 28, 1]);
  assert.equal(fashion.classNames[9], 'Ankle boot');
});

test('fashion-mnist missing: the error says how to get it', async () => {
  const empty = join(folder, 'no-fashion');
  await assert.rejects(
    loadDataset('fashion-mnist', { path: empty }),
    (e: Error) => e instanceof DatasetNotFoundError && /apt-get install dataset-fashion-mnist/.test(e.message) && e.message.includes(empty),
  );
  mkdirSync(empty);
  writeFileSync(join(empty, 'train-images-idx3-ubyte.gz'), '');
  await assert.rejects(
    loadDataset('fashion-mnist', { path: empty }),
    (e: Error) => e instanceof DatasetNotFoundError && /lacks train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/.test(e.message),
  );
});

test('breast-cancer: 212 malignant / 357 benign, a seeded stratified 75/25 split, said so', async () => {
  const cancer = await loadDataset('breast-cancer');
  assert.deepEqual(cancer.classNames, ['malignant', 'benign']);
  assert.deepEqual(cancer.featureShape, [30]);
  assert.deepEqual(countPerClass(cancer.train.labels, 2), [159, 268]);
  assert.deepEqual(countPerClass(cancer.test.labels, 2), [53, 89]);
  assert.match(cancer.description, /No official test split: a stratified 75\/25 train\/test split, seed 0\./);
  // First row of the file: 17.99, 10.38, ..., label 0; raw features, so it is in one of the splits unchanged.
  const rows = [cancer.train, cancer.test].flatMap((s) => Array.from({ length: s.count }, (_, i) => s.features.subarray(30 * i, 30 * i + 30)));
  assert.ok(rows.some((row) => row[0] === Math.fround(17.99) && row[3] === 1001 && row[29] === Math.fround(0.1189)));
  // Same seed same split; another seed or fraction another one.
  assert.deepEqual((await loadDataset('breast-cancer')).test, cancer.test);
  const other = await loadDataset('breast-cancer', { splitSeed: 1, testFraction: 0.2 });
  assert.deepEqual(countPerClass(other.test.labels, 2), [42, 71]);
  assert.notDeepEqual((await loadDataset('breast-cancer', { splitSeed: 1 })).test.features, cancer.test.features);
  // standardize: train features of mean 0.
  const scaled = standardize(cancer);
  let mean = 0;
  for (let i = 0; i < scaled.train.count; i++) mean += scaled.train.features[30 * i + 3];
  assert.ok(Math.abs(mean / scaled.train.count) < 1e-4);
});

test('digits: 1797 8x8 images scaled to [0, 1], stratified split', async () => {
  const digits = await loadDataset('digits');
  assert.deepEqual(digits.featureShape, [8, 8, 1]);
  const total = countPerClass(digits.train.labels, 10).map((n, c) => n + countPerClass(digits.test.labels, 10)[c]);
  assert.deepEqual(total, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
  assert.deepEqual(countPerClass(digits.test.labels, 10), [45, 46, 44, 46, 45, 46, 45, 45, 44, 45]);
  const all = [...digits.train.features, ...digits.test.features];
  // reduce, not Math.min(...all): 115k arguments come close to the stack limit.
  assert.equal(all.reduce((a, b) => Math.min(a, b)), 0);
  assert.equal(all.reduce((a, b) => Math.max(a, b)), 1);
  assert.ok(all.every((v) => Number.isInteger(v * 16)), 'values are sixteenths');
});

test('scikit-learn files: found at run time, or from a path; missing is DatasetNotFoundError', async () => {
  const folders = await sklearnDataFolders();
  assert.equal(folders[0], SKLEARN_DEBIAN_DATA_FOLDER);
  assert.ok(folders.every((f) => f.endsWith(join('sklearn', 'datasets', 'data'))));
  const found = await findSklearnFile('breast_cancer.csv');
  assert.equal(await findSklearnFile('breast_cancer.csv', found), found);
  const copy = join(folder, 'breast_cancer.csv');
  copyFileSync(found, copy);
  assert.equal(await findSklearnFile('breast_cancer.csv', folder), copy);
  assert.equal((await loadDataset('breast-cancer', { path: folder })).train.count, 427);
  await assert.rejects(
    loadDataset('digits', { path: join(folder, 'nothing-here') }),
    (e: Error) => e instanceof DatasetNotFoundError && /apt-get install python3-sklearn/.test(e.message),
  );
  await assert.rejects(findSklearnFile('no_such_file.csv'), (e: Error) => e instanceof DatasetNotFoundError && /no_such_file.csv was not found/.test(e.message));
});

test("scikit-learn's header line is checked against the rows", () => {
  const good = parseSklearnCsv(Buffer.from('3,2,no,yes\n1,2,0\n3,4,1\n5,6,1\n'), 'ok.csv');
  assert.deepEqual(good.classNames, ['no', 'yes']);
  assert.deepEqual([...good.labels], [0, 1, 1]);
  const format = (pattern: RegExp) => (e: Error) => e instanceof DatasetFormatError && pattern.test(e.message);
  assert.throws(() => parseSklearnCsv(Buffer.from('4,2,no,yes\n1,2,0\n'), 'n.csv'), format(/n.csv: the header says 4 rows x 2 features, the file holds 1 x 2/));
  assert.throws(() => parseSklearnCsv(Buffer.from('1,3,no,yes\n1,2,0\n'), 'f.csv'), format(/the header says 1 rows x 3 features, the file holds 1 x 2/));
  assert.throws(() => parseSklearnCsv(Buffer.from('a,b,c\n1,2,0\n'), 'h.csv'), format(/h.csv line 1: expected scikit-learn's header n_samples,n_features,class names/));
  assert.throws(() => parseSklearnCsv(Buffer.from('1,2,no,yes\n1,2,2\n'), 'l.csv'), format(/l.csv line 2: label "2" is not one of the class names 0, 1/));
});

test('gaussians through the registry; unknown names; the listing', async () => {
  const blobs = await loadDataset('gaussians');
  assert.deepEqual(countPerClass(blobs.train.labels, 10), [500, 500, 500, 500, 500, 50, 50, 50, 50, 50]);
  assert.deepEqual(countPerClass(blobs.test.labels, 10), new Array<number>(10).fill(100));
  const custom = await loadDataset('gaussians', { gaussians: { counts: [20, 2], dimensions: 3 } });
  assert.deepEqual(custom.featureShape, [3]);
  await assert.rejects(loadDataset('imagenet'), (e: Error) => e instanceof AffinityConfigError && /unknown dataset "imagenet"; known: mnist, fashion-mnist, breast-cancer, digits, cifar10, gaussians/.test(e.message));
  assert.deepEqual(DATASETS.map((d) => d.name), [...DATASET_NAMES]);
  assert.deepEqual(DATASETS.filter((d) => d.needsPath).map((d) => d.name), ['cifar10', 'image-folder']);
});

test('loadPreparedDataset: a name and a recipe give train, validation and test', async () => {
  const prepared = await loadPreparedDataset('breast-cancer', 'step:0:0.5+val:0.2', 3);
  // Train 159 malignant -> floor(79.5) = 79, then 20% of 79 and 268 to validation.
  assert.deepEqual(countPerClass(prepared.train.labels, 2), [63, 214]);
  assert.deepEqual(countPerClass(prepared.validation!.labels, 2), [16, 54]);
  assert.deepEqual(countPerClass(prepared.test.labels, 2), [53, 89]);
  assert.equal(prepared.recipe, 'step:0:0.5+val:0.2');
});

test('loadPreparedDataset: the recipe seed and options.splitSeed are separate; the old option name is refused', async () => {
  // splitSeed moves rows between train and test; the recipe seed only picks rows inside train.
  const split1 = await loadDataset('breast-cancer', { splitSeed: 1 });
  const prepared = await loadPreparedDataset('breast-cancer', 'val:0.2', 3, { splitSeed: 1 });
  assert.deepEqual(prepared.test, split1.test);
  assert.equal(prepared.seed, 3);
  const otherRecipeSeed = await loadPreparedDataset('breast-cancer', 'val:0.2', 4, { splitSeed: 1 });
  assert.deepEqual(otherRecipeSeed.test, split1.test);
  assert.notDeepEqual(otherRecipeSeed.validation!.features, prepared.validation!.features);
  const renamed = (e: Error) => e instanceof AffinityConfigError && /option seed is now splitSeed .*got \{ seed: 1 \}/.test(e.message);
  const legacy = { seed: 1 } as unknown as LoadDatasetOptions;
  await assert.rejects(loadPreparedDataset('breast-cancer', 'none', 3, legacy), renamed);
  await assert.rejects(loadDataset('gaussians', legacy), renamed);
  // gaussians: splitSeed seeds the default blobs.
  const blobs = await loadDataset('gaussians', { splitSeed: 5 });
  assert.notDeepEqual(blobs.train.features, (await loadDataset('gaussians')).train.features);
  assert.deepEqual(blobs.train.features, (await loadDataset('gaussians', { splitSeed: 5 })).train.features);
});

test('testFraction must be in (0, 1) and splitSeed a seed, checked before any file is read', async () => {
  const config = (pattern: RegExp) => (e: Error) => e instanceof AffinityConfigError && pattern.test(e.message);
  const nowhere = join(folder, 'not-read');
  await assert.rejects(loadDataset('breast-cancer', { path: nowhere, testFraction: 1 }), config(/testFraction must be a number in \[0, 1\), got 1/));
  await assert.rejects(loadDataset('digits', { path: nowhere, testFraction: 0 }), config(/testFraction must be > 0, got 0/));
  await assert.rejects(loadDataset('digits', { path: nowhere, testFraction: NaN }), config(/testFraction must be a number in \[0, 1\), got NaN/));
  await assert.rejects(loadDataset('digits', { path: nowhere, splitSeed: -1 }), config(/splitSeed must be an integer in \[0, 2\^53\), got -1/));
});
