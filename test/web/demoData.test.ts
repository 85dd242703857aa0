import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readImageFolder } from 'affinity-loss-node/internal/data/imageFolder.js';
import { ASSET_LIST_FILE, decodeImageSubset, downsampleByTwo, encodeImageSubset, FOLDER_ASSET_FILE, MNIST_ASSET_FILE } from '../../web/src/imageAsset.js';
import { mnistDigits, writeImages } from '../../packages/affinity-loss-node/test/data/images.js';

const root = mkdtempSync(join(tmpdir(), 'affinity-demo-data-'));
after(() => rmSync(root, { recursive: true, force: true }));

const asset = (path: string) => {
  const bytes = readFileSync(path);
  return decodeImageSubset(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};

test('web:data --data-path writes the demo asset of an image folder: its name, class names, first images per class, 14 x 14 at 16 grey levels', async () => {
  const digits = await mnistDigits(10);
  const folder = join(root, 'my digits');
  for (const [id, name] of ['zero', 'one', 'two'].entries()) await writeImages(join(folder, name), digits[id], 'png');
  const out = join(root, 'generated');
  const made = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/prepare-demo-data.ts', '--data-path', folder, '--train-per-class', '5', '--test-per-class', '2', '--out', out],
    { encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /my digits, 3 classes, 15 train \+ 6 test images/);

  const subset = asset(join(out, FOLDER_ASSET_FILE));
  assert.equal(subset.title, 'my digits');
  assert.deepEqual(subset.classNames, ['one', 'two', 'zero']);
  assert.equal(subset.side, 14);
  // The reader's split (8 train, 2 test of each class), the first 5 and 2 of each class in order.
  const read = await readImageFolder(folder, { imageSize: 28, channels: 1 });
  for (const [part, perClass] of [['train', 5], ['test', 2]] as const) {
    const rows: number[] = [];
    const taken = [0, 0, 0];
    read[part].labels.forEach((label, row) => taken[label]++ < perClass && rows.push(row));
    assert.deepEqual(Array.from(subset[part].labels), rows.map((row) => read[part].labels[row]));
    const source = new Float32Array(rows.length * 784);
    rows.forEach((row, i) => source.set(read[part].features.subarray(row * 784, (row + 1) * 784), i * 784));
    const expected = downsampleByTwo(source, rows.length, 28);
    const worst = expected.reduce((most, value, i) => Math.max(most, Math.abs(value - subset[part].pixels[i])), 0);
    assert.ok(worst <= 0.5 / 15 + 1e-6, `pixels within half a grey level, worst ${worst}`);
  }
  // The MNIST asset is written beside it, with the digits as class names.
  const mnist = asset(join(out, MNIST_ASSET_FILE));
  assert.equal(mnist.title, 'MNIST digits');
  assert.deepEqual(mnist.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(mnist.train.count, 50);
  // The page's list of image sets names both, with their menu labels.
  assert.deepEqual(JSON.parse(readFileSync(join(out, ASSET_LIST_FILE), 'utf8')), {
    [MNIST_ASSET_FILE]: { label: 'MNIST digits, 14 x 14 (10 classes)' },
    [FOLDER_ASSET_FILE]: { label: 'my digits, 14 x 14 (3 classes)' },
  });

  const missing = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/prepare-demo-data.ts', '--data-path', join(root, 'nowhere'), '--out', out], { encoding: 'utf8' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /nowhere/);
});

test('the asset codec round-trips names and labels and refuses labels that are not class ids', () => {
  const split = (labels: number[]) => ({ pixels: new Float32Array(labels.length * 4).fill(1), labels: Int32Array.from(labels), count: labels.length });
  const subset = { title: 'tiny é', classNames: ['a', 'b'], side: 2, train: split([0, 1, 1]), test: split([1, 0]) };
  const bytes = encodeImageSubset(subset);
  const decoded = decodeImageSubset(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  assert.equal(decoded.title, 'tiny é');
  assert.deepEqual(decoded.classNames, ['a', 'b']);
  assert.deepEqual(Array.from(decoded.train.labels), [0, 1, 1]);
  assert.deepEqual(Array.from(decoded.test.pixels), new Array(8).fill(1));
  assert.throws(() => encodeImageSubset({ ...subset, train: split([0, 2]) }), /label 2 is not a class id of 2 classes/);
  assert.throws(() => decodeImageSubset(bytes.slice(0, bytes.length - 1).buffer as ArrayBuffer), /expected \d+/);
});
