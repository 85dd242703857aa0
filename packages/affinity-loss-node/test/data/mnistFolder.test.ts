// readMnistFolder on small crafted IDX files: the description follows the header, and train and
// test images of different sizes are refused.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatasetFormatError } from 'affinity-loss/internal/errors.js';
import { readMnistFolder, MNIST_FILES } from '../../src/data/mnist.js';
import { temporaryFolder } from './tmp.js';

const root = temporaryFolder('mnist-folder');
const info = { name: 'tiny', description: 'Tiny test images.', classNames: ['a', 'b', 'c'], howToGet: 'make them' };

/** IDX bytes: magic (0, 0, 8, rank), dims as big-endian uint32, then the values. */
function idxBytes(dims: number[], values: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

/** A folder with the four files: `count` images of rows x cols per split, labels 0, 1, 2, 0, ... */
function writeFolder(name: string, train: [number, number, number], test: [number, number, number]): string {
  const folder = join(root, name);
  mkdirSync(folder);
  const images = ([count, rows, cols]: [number, number, number]) => idxBytes([count, rows, cols], new Array<number>(count * rows * cols).fill(255));
  const labels = ([count]: [number, number, number]) => idxBytes([count], Array.from({ length: count }, (_, i) => i % 3));
  writeFileSync(join(folder, MNIST_FILES.trainImages), images(train));
  writeFileSync(join(folder, `${MNIST_FILES.trainLabels}.gz`), gzipSync(labels(train)));
  writeFileSync(join(folder, MNIST_FILES.testImages), images(test));
  writeFileSync(join(folder, MNIST_FILES.testLabels), labels(test));
  return folder;
}

test('the description gives the image size from the header, not 28x28x1', async () => {
  const folder = writeFolder('same', [4, 2, 3], [2, 2, 3]);
  const dataset = await readMnistFolder(folder, info);
  assert.deepEqual(dataset.featureShape, [2, 3, 1]);
  assert.match(dataset.description, /Official split: 4 train \/ 2 test images from .*, 2x3x1, float32 in \[0, 1\]/);
  assert.doesNotMatch(dataset.description, /28x28/);
  assert.equal(dataset.test.features.length, 2 * 6);
});

test('train and test images of different sizes: DatasetFormatError naming both files and sizes', async () => {
  const folder = writeFolder('mixed', [4, 2, 3], [2, 3, 2]);
  await assert.rejects(
    readMnistFolder(folder, info),
    (e: Error) =>
      e instanceof DatasetFormatError &&
      e.message.includes(join(folder, MNIST_FILES.trainImages)) &&
      e.message.includes(join(folder, MNIST_FILES.testImages)) &&
      /holds 2x3x1 images but .* holds 3x2x1; both splits need one image size/.test(e.message),
  );
});
