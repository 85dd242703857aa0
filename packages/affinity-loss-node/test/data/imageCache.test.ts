import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { isRowStore, SelectedRows, type Features } from 'affinity-loss/internal/data/rowStore.js';
import type { Split } from 'affinity-loss/internal/data/dataset.js';
import { DatasetFormatError, ShapeError } from 'affinity-loss/internal/errors.js';
import { runExperiment } from 'affinity-loss-cli/internal/bench/experiment.js';
import { cacheImages, DiskRowStore, SHARD_ROWS } from '../../src/data/imageCache.js';
import { readImageFolder } from '../../src/data/imageFolder.js';
import { useNodeBackend } from '../../src/index.js';
import { mnistDigits, writeImages } from './images.js';
import { temporaryFolder } from './tmp.js';

const root = temporaryFolder('image-cache');
const NAMES = ['zero', 'one', 'two'];
let digits: Buffer[][] = [];

before(async () => {
  digits = await mnistDigits(40);
  await useNodeBackend({ prefer: 'wasm', quiet: true });
});

/** Every row of a split, read the way the trainer reads a batch. */
function allRows(split: Split<Features>, size: number): Float32Array {
  const rows = Int32Array.from({ length: split.count }, (_, i) => i);
  const values = new Float32Array(split.count * size);
  if (isRowStore(split.features)) split.features.readRows(rows, values);
  else values.set(split.features);
  return values;
}

test('a streamed image folder has the same rows, labels and split as the in-memory one, and its cache is reused until a file changes', async () => {
  const folder = join(root, 'by-class');
  for (const [id, name] of NAMES.entries()) await writeImages(join(folder, name), digits[id].slice(0, 20), id === 2 ? 'jpeg' : 'png');
  const cacheDir = join(root, 'cache');
  const inMemory = await readImageFolder(folder, { imageSize: 20, testFraction: 0.25, splitSeed: 5 });
  const streamed = await readImageFolder(folder, { imageSize: 20, testFraction: 0.25, splitSeed: 5, stream: true, cacheDir });
  assert.ok(isRowStore(streamed.train.features) && isRowStore(streamed.test.features));
  for (const part of ['train', 'test'] as const) {
    assert.deepEqual(streamed[part].labels, inMemory[part].labels);
    // The same bytes scaled the same way: equal to the last bit.
    assert.deepEqual(allRows(streamed[part], 400), inMemory[part].features);
  }
  assert.match(streamed.description, /Streamed from the decoded-image cache /);
  const caches = readdirSync(cacheDir);
  assert.equal(caches.length, 1);
  const shards = readdirSync(join(cacheDir, caches[0])).sort();
  assert.deepEqual(shards, ['index.json', 'shard-00000.u8']);
  assert.equal(statSync(join(cacheDir, caches[0], 'shard-00000.u8')).size, 60 * 400);
  // Read again: the cache is opened, not rebuilt.
  const before = statSync(join(cacheDir, caches[0], 'index.json')).mtimeMs;
  await readImageFolder(folder, { imageSize: 20, testFraction: 0.25, splitSeed: 5, stream: true, cacheDir });
  assert.equal(statSync(join(cacheDir, caches[0], 'index.json')).mtimeMs, before);
  assert.equal(readdirSync(cacheDir).length, 1);
  // A changed image (here only its time) or another size makes a new cache.
  utimesSync(join(folder, 'one', '000.png'), new Date(), new Date(Date.now() + 5000));
  await readImageFolder(folder, { imageSize: 20, stream: true, cacheDir });
  await readImageFolder(folder, { imageSize: 12, stream: true, cacheDir });
  assert.equal(readdirSync(cacheDir).length, 3);
});

test('train/ and test/ folders stream as given; auto streams only past the memory limit', async () => {
  const folder = join(root, 'split');
  for (const [id, name] of NAMES.entries()) {
    await writeImages(join(folder, 'train', name), digits[id].slice(0, 30), 'png');
    await writeImages(join(folder, 'test', name), digits[id].slice(30, 40), 'png');
  }
  const cacheDir = join(root, 'split-cache');
  const inMemory = await readImageFolder(folder);
  const streamed = await readImageFolder(folder, { stream: true, cacheDir });
  assert.deepEqual(streamed.test.labels, inMemory.test.labels);
  assert.deepEqual(allRows(streamed.train, 784), inMemory.train.features);
  assert.deepEqual(allRows(streamed.test, 784), inMemory.test.features);
  // 120 images of 28 x 28 are far below 256 MiB: auto keeps them in memory.
  const auto = await readImageFolder(folder, { stream: 'auto', cacheDir });
  assert.ok(auto.train.features instanceof Float32Array);
  await assert.rejects(readImageFolder(folder, { stream: 'yes' as unknown as boolean }), /stream must be true, false or 'auto'/);
});

test('rows span shards, consecutive reads are merged, and a selection reads through its row map', async () => {
  // More images than one shard holds, by listing the same files again (the cache keys on the list).
  const folder = join(root, 'split', 'train', 'zero');
  const files = readdirSync(folder).map((name) => join(folder, name));
  const many = Array.from({ length: SHARD_ROWS + 10 }, (_, i) => files[i % files.length]);
  const store = await cacheImages(many, { cacheDir: join(root, 'shard-cache'), imageSize: 8, channels: 1, root: folder, workers: 2 });
  assert.equal(store.count, SHARD_ROWS + 10);
  const one = (row: number) => {
    const values = new Float32Array(64);
    store.readRows([row], values);
    return values;
  };
  // Rows SHARD_ROWS - 1 and SHARD_ROWS sit in two shards; read together they are one request.
  const pair = new Float32Array(128);
  store.readRows([SHARD_ROWS - 1, SHARD_ROWS], pair);
  assert.deepEqual(pair.subarray(0, 64), one(SHARD_ROWS - 1));
  assert.deepEqual(pair.subarray(64), one(SHARD_ROWS));
  assert.deepEqual(one(SHARD_ROWS), one(SHARD_ROWS % files.length));
  const selection = store.select([5, SHARD_ROWS + 3, 0]);
  assert.ok(selection instanceof SelectedRows);
  const picked = new Float32Array(2 * 64);
  selection.select([2, 1]).readRows([0, 1], picked);
  assert.deepEqual(picked.subarray(0, 64), one(0));
  assert.deepEqual(picked.subarray(64), one(SHARD_ROWS + 3));
  assert.throws(() => store.readRows([SHARD_ROWS + 10], new Float32Array(64)), ShapeError);
  assert.throws(() => selection.readRows([3], new Float32Array(64)), /row index 3 is outside the split's 3 rows/);
  assert.throws(() => store.select([-1]), ShapeError);
  store.close();
});

test('a corrupt image fails the cache naming the file and leaves no cache behind; a truncated shard is refused when opened', async () => {
  const folder = join(root, 'corrupt');
  for (const [id, name] of NAMES.entries()) await writeImages(join(folder, name), digits[id].slice(0, 4), 'png');
  const png = readFileSync(join(folder, 'two', '001.png'));
  writeFileSync(join(folder, 'two', '001.png'), png.subarray(0, 40));
  const cacheDir = join(root, 'corrupt-cache');
  await assert.rejects(readImageFolder(folder, { stream: true, cacheDir }), (error: unknown) => {
    assert.ok(error instanceof DatasetFormatError);
    assert.match(error.message, /two\/001\.png: not a readable image/);
    return true;
  });
  assert.deepEqual(readdirSync(cacheDir), []);
  writeFileSync(join(folder, 'two', '001.png'), png);
  await readImageFolder(folder, { stream: true, cacheDir });
  const [cache] = readdirSync(cacheDir);
  truncateSync(join(cacheDir, cache, 'shard-00000.u8'), 100);
  assert.throws(() => DiskRowStore.open(join(cacheDir, cache)), /shard-00000\.u8: 100 bytes, expected 9408 \(truncated or changed\); delete .* and it is decoded again/);
  await assert.rejects(readImageFolder(folder, { stream: true, cacheDir }), DatasetFormatError);
  writeFileSync(join(cacheDir, cache, 'index.json'), '{"format": 99}');
  assert.throws(() => DiskRowStore.open(join(cacheDir, cache)), /an image cache of another format/);
});

test('training on a streamed folder gives the same model as in memory, on one thread and data-parallel', async () => {
  const config = {
    dataset: 'image-folder',
    datasetPath: join(root, 'split'),
    imageSize: 12,
    method: 'affinity-lt',
    epochs: 2,
    batchSize: 16,
    validationFraction: 0.2,
    recipe: 'step:0:0.3',
    seed: 3,
  };
  const cacheDir = join(root, 'train-cache');
  const inMemory = await runExperiment(config, {}, { stream: false });
  const streamed = await runExperiment(config, {}, { stream: true, cacheDir });
  assert.deepEqual(
    streamed.history.map((epoch) => [epoch.loss, epoch.validationMacroF1]),
    inMemory.history.map((epoch) => [epoch.loss, epoch.validationMacroF1]),
  );
  assert.deepEqual(streamed.best!.confusion, inMemory.best!.confusion);
  const weights = (outcome: typeof inMemory) => outcome.classifier.model.getWeights().map((weight) => Array.from(weight.dataSync()));
  assert.deepEqual(weights(streamed), weights(inMemory));
  // Two threads each open the cache themselves: the same training up to float rounding.
  const parallel = await runExperiment(config, {}, { stream: true, cacheDir, workers: 2 });
  parallel.history.forEach((epoch, i) => assert.ok(Math.abs(epoch.loss - inMemory.history[i].loss) < 1e-4, `epoch ${i + 1}: ${epoch.loss} vs ${inMemory.history[i].loss}`));
  for (const outcome of [inMemory, streamed, parallel]) outcome.classifier.model.dispose();
});

test('affinity train --stream --cache-dir and eval --stream read the folder through the cache', () => {
  const folder = join(root, 'split');
  const cacheDir = join(root, 'cli-cache');
  const out = join(root, 'cli-run');
  const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', ...args], { encoding: 'utf8' });
  const trained = cli('train', '--dataset', 'image-folder', '--data-path', folder, '--image-size', '10', '--stream', '--cache-dir', cacheDir, '--epochs', '1', '--batch-size', '16', '--workers', '1', '--quiet', '--out', out);
  assert.equal(trained.status, 0, trained.stderr);
  assert.equal(readdirSync(cacheDir).length, 1);
  const evaluated = cli('eval', '--model', out, '--stream', '--cache-dir', cacheDir);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.match(evaluated.stdout, /Evaluated on the image-folder test split: 30 samples/);
  assert.equal(readdirSync(cacheDir).length, 1);
});
