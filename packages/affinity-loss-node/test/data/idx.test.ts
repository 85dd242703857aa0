import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { readIdxImages, readIdxLabels, readIdxSplit, parseIdx } from '../../src/data/idx.js';
import { temporaryFolder } from './tmp.js';

const folder = temporaryFolder('idx');

/** IDX bytes: magic 0x08 type, dims as big-endian uint32, then the values. */
function idxBytes(dims: number[], values: number[], magic = 0x800 + dims.length): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(values)]);
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}

// Three 2x3 images with pixels 0..17 scaled, and labels 4, 0, 9.
const pixels = Array.from({ length: 18 }, (_, i) => i * 15);
const images = idxBytes([3, 2, 3], pixels);
const labels = idxBytes([3], [4, 0, 9]);

const throwsFormat = (pattern: RegExp) => (e: Error) => e instanceof DatasetFormatError && pattern.test(e.message);

test('reads raw IDX images and labels: byte / 255, row-major, [rows, cols, 1]', async () => {
  const { split, featureShape } = await readIdxSplit(write('img', images), write('lab', labels));
  assert.deepEqual(featureShape, [2, 3, 1]);
  assert.equal(split.count, 3);
  assert.deepEqual([...split.labels], [4, 0, 9]);
  assert.deepEqual([...split.features], pixels.map((p) => Math.fround(p / 255)));
  assert.equal(split.features[17], 1);
});

test('gzip round trip: a gzipped file gives the same arrays, whatever its name', async () => {
  const raw = await readIdxImages(write('img-raw', images));
  const zipped = await readIdxImages(write('img.gz', gzipSync(images)));
  const misnamed = await readIdxImages(write('img-no-suffix', gzipSync(images)));
  assert.deepEqual(zipped, raw);
  assert.deepEqual(misnamed, raw);
  assert.deepEqual(await readIdxLabels(write('lab.gz', gzipSync(labels))), Int32Array.from([4, 0, 9]));
});

test('wrong magic names the file, the magic found and the one expected', async () => {
  const path = write('swapped', labels);
  await assert.rejects(readIdxImages(path), throwsFormat(new RegExp(`${path}: wrong magic number 0x00000801, expected 0x00000803 \\(IDX images\\)`)));
  await assert.rejects(readIdxLabels(write('as-labels', images)), throwsFormat(/wrong magic number 0x00000803, expected 0x00000801 \(IDX labels\)/));
  await assert.rejects(readIdxLabels(write('float-labels', idxBytes([3], [1, 2, 3], 0x0d01))), throwsFormat(/wrong magic number 0x00000d01/));
});

test('truncated files: shorter than the magic, the header or the data', async () => {
  await assert.rejects(readIdxImages(write('tiny', Buffer.from([0, 0]))), throwsFormat(/tiny: truncated, 2 bytes is less than the 4-byte IDX magic number/));
  await assert.rejects(readIdxImages(write('short-header', images.subarray(0, 10))), throwsFormat(/truncated, 10 bytes is less than the 16-byte header/));
  await assert.rejects(
    readIdxImages(write('short-data', images.subarray(0, images.length - 5))),
    throwsFormat(/short-data: truncated: the header says 3 x 2 x 3 = 18 bytes of data, the file holds 13/),
  );
  await assert.rejects(
    readIdxLabels(write('long', Buffer.concat([labels, Buffer.from([1, 2])]))),
    throwsFormat(/long: longer than its header says: the header says 3 = 3 bytes of data, the file holds 5/),
  );
});

test('image and label counts that differ, and labels beyond the classes', async () => {
  const img = write('img3', images);
  const two = write('lab2', idxBytes([2], [1, 2]));
  await assert.rejects(readIdxSplit(img, two), throwsFormat(new RegExp(`${img} holds 3 images but ${two} holds 2 labels`)));
  await assert.rejects(readIdxSplit(img, write('lab-big', labels), { classes: 5 }), throwsFormat(/label 9 of sample 2 is not a class id in \[0, 4\]/));
});

test('a missing file is DatasetNotFoundError naming the path; corrupt gzip is a format error', async () => {
  const missing = join(folder, 'nope');
  await assert.rejects(readIdxImages(missing, 'get it somewhere'), (e: Error) => e instanceof DatasetNotFoundError && e.message === `${missing} does not exist; get it somewhere`);
  const zipped = gzipSync(images);
  await assert.rejects(readIdxImages(write('cut.gz', zipped.subarray(0, zipped.length - 10))), throwsFormat(/cut.gz: corrupt or truncated gzip data/));
});

test('parseIdx returns the dims and a view of the values', () => {
  const parsed = parseIdx(images, 0x803, 'mem');
  assert.deepEqual(parsed.dims, [3, 2, 3]);
  assert.deepEqual([...parsed.data], pixels);
});
