import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AffinityConfigError, DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { countPerClass } from 'affinity-loss/internal/data/dataset.js';
import {
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  CIFAR10_CLASS_NAMES,
  parseCifar10Batch,
  readCifar10,
  readCifar10Batch,
} from '../../src/data/cifar.js';
import { loadDataset } from '../../src/data/registry.js';
import { temporaryFolder } from './tmp.js';

const root = temporaryFolder('cifar');
const throwsFormat = (pattern: RegExp) => (e: Error) => e instanceof DatasetFormatError && pattern.test(e.message);

/**
 * One record: the label, then red, green and blue planes. Pixel p of record `seed` has
 * red (seed + p) % 256, green (seed + 2p) % 256, blue (seed + 3p) % 256, so every value says
 * where it came from.
 */
function record(label: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(CIFAR10_RECORD_BYTES);
  bytes[0] = label;
  for (let p = 0; p < 1024; p++) {
    bytes[1 + p] = (seed + p) % 256;
    bytes[1 + 1024 + p] = (seed + 2 * p) % 256;
    bytes[1 + 2048 + p] = (seed + 3 * p) % 256;
  }
  return bytes;
}

function batch(records: Array<[number, number]>): Buffer {
  return Buffer.concat(records.map(([label, seed]) => record(label, seed)));
}

/** A CIFAR-10 folder whose batch b holds records labelled b and b + 5 (test: 9). */
function writeFolder(folder: string): void {
  mkdirSync(folder, { recursive: true });
  CIFAR10_TRAIN_FILES.forEach((name, b) => writeFileSync(join(folder, name), batch([[b, 10 * b], [b + 5, 10 * b + 1]])));
  writeFileSync(join(folder, CIFAR10_TEST_FILE), batch([[9, 200]]));
}

test('a batch: labels, and channel-major planes turned into height x width x RGB in [0, 1]', () => {
  const split = parseCifar10Batch(batch([[3, 0], [7, 5]]), 'mem');
  assert.equal(split.count, 2);
  assert.deepEqual([...split.labels], [3, 7]);
  assert.equal(split.features.length, 2 * 3072);
  // Record 1, pixel p = row 2, column 5 (p = 69): R = 5 + 69, G = 5 + 138, B = 5 + 207.
  const at = 3072 + 3 * (2 * 32 + 5);
  assert.deepEqual([...split.features.subarray(at, at + 3)], [74, 143, 212].map((v) => Math.fround(v / 255)));
  assert.equal(split.features[0], 0);
});

test('readCifar10: five training batches in order, the test batch, class names, shape', async () => {
  const folder = join(root, 'flat');
  writeFolder(folder);
  const data = await readCifar10(folder);
  assert.deepEqual(data.featureShape, [32, 32, 3]);
  assert.deepEqual(data.classNames, CIFAR10_CLASS_NAMES);
  assert.deepEqual([...data.train.labels], [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]);
  assert.deepEqual([...data.test.labels], [9]);
  // Row 4 is batch 2's first record (seed 20): its first red value is 20 / 255.
  assert.equal(data.train.features[4 * 3072], Math.fround(20 / 255));
  assert.deepEqual(countPerClass(data.train.labels, 10), new Array<number>(10).fill(1));
  assert.match(data.description, /official split, 10 train \/ 1 test images, 32x32x3/);
  // The registry takes the folder holding the archive's cifar-10-batches-bin as well.
  writeFolder(join(root, 'parent', 'cifar-10-batches-bin'));
  const nested = await loadDataset('cifar10', { path: join(root, 'parent') });
  assert.deepEqual(nested.train, data.train);
});

test('format errors: empty, partial record, label above 9', async () => {
  assert.throws(() => parseCifar10Batch(new Uint8Array(0), 'e.bin'), throwsFormat(/e.bin: empty, expected 3073-byte records/));
  assert.throws(
    () => parseCifar10Batch(batch([[1, 1], [2, 2]]).subarray(0, 3073 + 100), 'p.bin'),
    throwsFormat(/p.bin: 3173 bytes is not a whole number of 3073-byte records \(record 2 is truncated after 100 bytes\)/),
  );
  assert.throws(() => parseCifar10Batch(batch([[1, 1], [12, 2]]), 'l.bin'), throwsFormat(/l.bin: record 1 has label 12, expected 0-9/));
  const path = join(root, 'bad.bin');
  writeFileSync(path, Buffer.from([1, 2, 3]));
  await assert.rejects(readCifar10Batch(path), throwsFormat(/bad.bin: 3 bytes is not a whole number/));
});

test('missing folder or files: DatasetNotFoundError listing what is missing and how to get it', async () => {
  const partial = join(root, 'partial');
  writeFolder(partial);
  rmSync(join(partial, 'data_batch_3.bin'));
  rmSync(join(partial, CIFAR10_TEST_FILE));
  await assert.rejects(
    readCifar10(partial),
    (e: Error) => e instanceof DatasetNotFoundError && /lacks data_batch_3.bin, test_batch.bin; download the binary version \(cifar-10-binary.tar.gz\)/.test(e.message),
  );
  await assert.rejects(readCifar10(join(root, 'nowhere')), (e: Error) => e instanceof DatasetNotFoundError && /nowhere does not exist; download/.test(e.message));
  await assert.rejects(loadDataset('cifar10'), (e: Error) => e instanceof AffinityConfigError && /cifar10 needs \{ path \}/.test(e.message));
});
