import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { loadDataset } from '../../src/data/registry.js';
import { readImageFolder } from '../../src/data/imageFolder.js';
import { mnistDigits, writeImages } from './images.js';

const root = mkdtempSync(join(tmpdir(), 'affinity-images-'));
after(() => rmSync(root, { recursive: true, force: true }));

let digits: Buffer[][] = [];
const NAMES = ['zero', 'one', 'two'];

before(async () => {
  digits = await mnistDigits(10);
});

test('one subfolder per class: sorted class names, a seeded stratified test split, PNG pixels exact, other files skipped and counted', async () => {
  const folder = join(root, 'by-class');
  for (const [id, name] of NAMES.entries()) await writeImages(join(folder, name), digits[id], 'png');
  writeFileSync(join(folder, 'one', 'README.txt'), 'not an image');
  writeFileSync(join(folder, 'two', '.DS_Store'), 'hidden: ignored, not counted');
  const dataset = await readImageFolder(folder, { testFraction: 0.2, splitSeed: 3 });
  assert.deepEqual(dataset.classNames, ['one', 'two', 'zero']);
  assert.deepEqual(dataset.featureShape, [28, 28, 1]);
  assert.equal(dataset.train.count, 24);
  assert.equal(dataset.test.count, 6);
  assert.deepEqual(Array.from(dataset.test.labels).sort(), [0, 0, 1, 1, 2, 2]);
  assert.match(dataset.description, /its subfolders, 3 classes, 28x28 grayscale, scaled to \[0, 1\]; 24 training and 6 test images from a stratified 80\/20 train\/test split, seed 3\. 1 file that are not/);
  // Every source image is some row, to the byte (PNG is lossless, 28 -> 28 is no resize).
  const rows = new Set<string>();
  for (const split of [dataset.train, dataset.test]) {
    for (let row = 0; row < split.count; row++) rows.add(Array.from(split.features.subarray(row * 784, (row + 1) * 784), (v) => Math.round(v * 255)).join());
  }
  for (const images of digits) for (const raw of images) assert.ok(rows.has(Array.from(raw).join()));
  // The same seed gives the same split; another seed another one.
  const again = await readImageFolder(folder, { testFraction: 0.2, splitSeed: 3 });
  assert.deepEqual(again.test.features, dataset.test.features);
  const other = await readImageFolder(folder, { testFraction: 0.2, splitSeed: 4 });
  assert.notDeepEqual(other.test.features, dataset.test.features);
});

test('train/ and test/ folders are kept as given; JPEG, RGB and resizing', async () => {
  const folder = join(root, 'split');
  for (const [id, name] of NAMES.entries()) {
    await writeImages(join(folder, 'train', name), digits[id].slice(0, 8), 'png');
    await writeImages(join(folder, 'test', name), digits[id].slice(8), 'jpeg');
  }
  const dataset = await readImageFolder(folder, { imageSize: 14, channels: 3 });
  assert.deepEqual(dataset.classNames, ['one', 'two', 'zero']);
  assert.deepEqual(dataset.featureShape, [14, 14, 3]);
  assert.equal(dataset.train.count, 24);
  assert.equal(dataset.test.count, 6);
  // Files in sorted order: test rows are one/008, one/009, two/008, ...
  assert.deepEqual(Array.from(dataset.test.labels), [0, 0, 1, 1, 2, 2]);
  assert.match(dataset.description, /14x14 RGB.*from its train\/ and test\/ folders/);
  // A grayscale source in RGB has equal channels; the mean brightness survives the 2x shrink.
  const first = dataset.test.features.subarray(0, 14 * 14 * 3);
  for (let pixel = 0; pixel < 14 * 14; pixel++) {
    assert.ok(Math.abs(first[pixel * 3] - first[pixel * 3 + 1]) < 0.02 && Math.abs(first[pixel * 3] - first[pixel * 3 + 2]) < 0.02);
  }
  const source = digits[1][8];
  const sourceMean = source.reduce((sum, v) => sum + v, 0) / source.length / 255;
  const mean = first.reduce((sum, v) => sum + v, 0) / first.length;
  assert.ok(Math.abs(mean - sourceMean) < 0.03, `mean ${mean} against the source's ${sourceMean}`);
});

test('bad folders and files are refused, naming the folder or file', async () => {
  const make = async (name: string, build: (folder: string) => Promise<void>) => {
    const folder = join(root, name);
    await build(folder);
    return folder;
  };
  const twoClasses = async (folder: string) => {
    await writeImages(join(folder, 'a'), digits[0].slice(0, 3), 'png');
    await writeImages(join(folder, 'b'), digits[1].slice(0, 3), 'jpeg');
  };
  const emptyClass = await make('empty-class', async (folder) => {
    await twoClasses(folder);
    mkdirSync(join(folder, 'c'));
    writeFileSync(join(folder, 'c', 'notes.txt'), 'no images here');
  });
  await assert.rejects(readImageFolder(emptyClass), (error: Error) => error instanceof DatasetFormatError && /class folder .*empty-class\/c holds no images/.test(error.message));

  const corrupt = await make('corrupt', async (folder) => {
    await twoClasses(folder);
    writeFileSync(join(folder, 'a', 'broken.png'), Buffer.from('certainly not a PNG file'));
  });
  await assert.rejects(readImageFolder(corrupt), (error: Error) => error instanceof DatasetFormatError && /^a\/broken\.png: not a readable image/.test(error.message));

  const truncated = await make('truncated', async (folder) => {
    await twoClasses(folder);
    const whole = readFileSync(join(folder, 'b', '000.jpg'));
    writeFileSync(join(folder, 'b', '000.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
  });
  await assert.rejects(readImageFolder(truncated), (error: Error) => error instanceof DatasetFormatError && /^b\/000\.jpg: not a readable image/.test(error.message));

  const unknownTestClass = await make('unknown-test-class', async (folder) => {
    await twoClasses(join(folder, 'train'));
    await writeImages(join(folder, 'test', 'a'), digits[0].slice(3, 4), 'png');
    await writeImages(join(folder, 'test', 'zebra'), digits[2].slice(0, 1), 'png');
  });
  await assert.rejects(readImageFolder(unknownTestClass), (error: Error) => error instanceof DatasetFormatError && /test has class folders that train\/ lacks: zebra/.test(error.message));

  const oneClass = await make('one-class', (folder) => writeImages(join(folder, 'a'), digits[0].slice(0, 3), 'png').then(() => undefined));
  await assert.rejects(readImageFolder(oneClass), (error: Error) => error instanceof DatasetFormatError && /has 1 class; a classifier needs at least 2/.test(error.message));

  await assert.rejects(readImageFolder(join(root, 'no-such-folder')), DatasetNotFoundError);
  await assert.rejects(readImageFolder(emptyClass, { imageSize: 0 }), /imageSize must be an integer >= 1, got 0/);
  await assert.rejects(loadDataset('image-folder'), /image-folder needs \{ path \}/);
});

test('a manifest CSV names each image, its label and optionally its split; a missing file is named with its line', async () => {
  const folder = join(root, 'manifest');
  const lines = ['Path,Label,Split'];
  for (const [id, name] of NAMES.entries()) {
    const paths = await writeImages(join(folder, 'images', name), digits[id].slice(0, 5), 'png');
    paths.forEach((path, i) => lines.push(`${relative(folder, path)},${name.toUpperCase()},${i < 4 ? 'train' : 'test'}`));
  }
  writeFileSync(join(folder, 'labels.csv'), `${lines.join('\n')}\n`);
  const dataset = await readImageFolder(join(folder, 'labels.csv'));
  assert.deepEqual(dataset.classNames, ['ONE', 'TWO', 'ZERO']);
  assert.deepEqual([dataset.train.count, dataset.test.count], [12, 3]);
  assert.deepEqual(Array.from(dataset.test.labels), [2, 0, 1]);
  assert.match(dataset.description, /from the manifest .*labels\.csv, 3 classes, .* from its split column/);
  // The test row of class 'zero' is its 5th image (004.png), to the byte.
  assert.deepEqual(Array.from(dataset.test.features.subarray(0, 784), (v) => Math.round(v * 255)), Array.from(digits[0][4]));

  writeFileSync(join(folder, 'no-split.csv'), `${lines.map((line) => line.split(',').slice(0, 2).join(',')).join('\n')}\n`);
  const split = await readImageFolder(join(folder, 'no-split.csv'), { testFraction: 0.4 });
  assert.deepEqual([split.train.count, split.test.count], [9, 6]);

  writeFileSync(join(folder, 'missing.csv'), 'path,label\nimages/zero/000.png,zero\nimages/zero/nope.png,zero\n');
  await assert.rejects(readImageFolder(join(folder, 'missing.csv')), (error: Error) => error instanceof DatasetFormatError && /missing\.csv line 3: no image file .*images\/zero\/nope\.png/.test(error.message));
  writeFileSync(join(folder, 'no-header.csv'), 'images/zero/000.png,zero\n');
  await assert.rejects(readImageFolder(join(folder, 'no-header.csv')), /a manifest needs a header row naming a path and a label column/);
  writeFileSync(join(folder, 'bad-split.csv'), 'path,label,split\nimages/zero/000.png,zero,validate\n');
  await assert.rejects(readImageFolder(join(folder, 'bad-split.csv')), /line 2: split must be train or test, got "validate"/);
});

test('affinity train and eval on an image folder: the image settings are recorded, eval reads the folder at them', async () => {
  const folder = join(root, 'cli');
  for (const [id, name] of NAMES.entries()) await writeImages(join(folder, name), digits[id], id === 1 ? 'jpeg' : 'png');
  const out = join(root, 'cli-run');
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', ...args], { encoding: 'utf8' });
  const trained = cli('train', '--dataset', 'image-folder', '--data-path', folder, '--image-size', '16', '--method', 'affinity-lt', '--epochs', '2', '--batch-size', '8', '--workers', '1', '--quiet', '--out', out);
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stdout, /Trained affinity-lt \(mlp\) on image-folder/);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { config: Record<string, unknown>; classNames: string[]; inputShape: number[] };
  assert.deepEqual([config.config.imageSize, config.config.imageChannels, config.config.datasetPath], [16, 1, folder]);
  assert.deepEqual(config.classNames, ['one', 'two', 'zero']);
  assert.deepEqual(config.inputShape, [256]);
  const evaluated = cli('eval', '--model', out);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.match(evaluated.stdout, /Evaluated on the image-folder test split: 6 samples/);
  const refused = cli('train', '--dataset', 'image-folder', '--epochs', '1', '--out', join(root, 'never'));
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /image-folder needs datasetPath \(--data-path\)/);
  const misplaced = cli('train', '--dataset', 'gaussians', '--image-size', '16', '--epochs', '1', '--out', join(root, 'never'));
  assert.equal(misplaced.status, 2);
  assert.match(misplaced.stderr, /imageSize does not apply to dataset gaussians \(imageSize: image-folder only\)/);
});

test('a CNN on an image folder trains on tfjs-node with one thread where it is installed (its own threads use every core), else on wasm', async () => {
  const hasTfjsNode = await import('@tensorflow/tfjs-node' as string).then(() => true, () => false);
  const folder = join(root, 'cnn');
  for (const [id, name] of NAMES.entries()) await writeImages(join(folder, name), digits[id], 'png');
  const out = join(root, 'cnn-run');
  const trained = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', 'train', '--dataset', 'image-folder', '--data-path', folder, '--image-size', '16', '--backbone', 'cnn', '--method', 'softmax', '--epochs', '1', '--batch-size', '8', '--quiet', '--out', out],
    { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } },
  );
  assert.equal(trained.status, 0, trained.stderr);
  const backend = hasTfjsNode ? 'tensorflow' : 'wasm';
  const threads = hasTfjsNode ? 1 : availableParallelism();
  assert.match(trained.stdout, new RegExp(`on ${backend} \\(${threads} threads?\\)`));
  assert.equal((JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { backend: string }).backend, backend);
});
