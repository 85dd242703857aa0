/**
 * Reader of CIFAR-10's binary version (cifar-10-binary.tar.gz, unpacked): files
 * data_batch_1.bin .. data_batch_5.bin and test_batch.bin, each a run of 3073-byte records,
 * one label byte then 3072 pixel bytes stored channel-major (1024 red, 1024 green, 1024 blue,
 * each 32 x 32 row-major). No package ships CIFAR-10; the user names the folder.
 */
import { join } from 'node:path';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import type { Dataset, Split } from 'affinity-loss/internal/data/dataset.js';
import { isDirectory, isFile, readDataFile } from './files.js';
import { BYTE_TO_UNIT } from './unitFloats.js';

/** Bytes per CIFAR-10 record: 1 label + 32 x 32 x 3 pixels. */
export const CIFAR10_RECORD_BYTES = 3073;
/** CIFAR-10's class names, in label order (batches.meta.txt). */
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
/** The training batch files, in the order they are concatenated. */
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
/** The test batch file. */
export const CIFAR10_TEST_FILE = 'test_batch.bin';
/** The folder the official archive unpacks to. */
export const CIFAR10_ARCHIVE_FOLDER = 'cifar-10-batches-bin';

const SIDE = 32;
const PLANE = SIDE * SIDE;
const HOW_TO_GET =
  'download the binary version (cifar-10-binary.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html, ' +
  'unpack it, and pass the cifar-10-batches-bin folder (or the folder holding it)';

/**
 * Parses one batch file's bytes into a split: images 32 x 32 x 3, height x width x channels
 * (the NHWC order tfjs takes; the file is channel-major), float32 in [0, 1].
 *
 * @param file names the file in error messages.
 * @throws DatasetFormatError on an empty file, a length that is not a whole number of records,
 *   or a label outside 0-9.
 */
export function parseCifar10Batch(bytes: Uint8Array, file: string): Split {
  if (bytes.length === 0) throw new DatasetFormatError(`${file}: empty, expected ${CIFAR10_RECORD_BYTES}-byte records`);
  if (bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new DatasetFormatError(
      `${file}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte records ` +
        `(record ${whole + 1} is truncated after ${bytes.length % CIFAR10_RECORD_BYTES} bytes)`,
    );
  }
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  const features = new Float32Array(count * 3 * PLANE);
  const labels = new Int32Array(count);
  for (let record = 0; record < count; record++) {
    const start = record * CIFAR10_RECORD_BYTES;
    const label = bytes[start];
    if (label >= CIFAR10_CLASS_NAMES.length) {
      throw new DatasetFormatError(`${file}: record ${record} has label ${label}, expected 0-9 (is this CIFAR-100?)`);
    }
    labels[record] = label;
    const out = record * 3 * PLANE;
    for (let pixel = 0; pixel < PLANE; pixel++) {
      features[out + 3 * pixel] = BYTE_TO_UNIT[bytes[start + 1 + pixel]];
      features[out + 3 * pixel + 1] = BYTE_TO_UNIT[bytes[start + 1 + PLANE + pixel]];
      features[out + 3 * pixel + 2] = BYTE_TO_UNIT[bytes[start + 1 + 2 * PLANE + pixel]];
    }
  }
  return { features, labels, count };
}

/** Reads one CIFAR-10 batch file; see `parseCifar10Batch`. */
export async function readCifar10Batch(path: string): Promise<Split> {
  return parseCifar10Batch(await readDataFile(path, HOW_TO_GET), path);
}

function concatenate(splits: Split[]): Split {
  const count = splits.reduce((sum, split) => sum + split.count, 0);
  const features = new Float32Array(splits.reduce((sum, split) => sum + split.features.length, 0));
  const labels = new Int32Array(count);
  let rows = 0;
  let values = 0;
  for (const split of splits) {
    features.set(split.features, values);
    labels.set(split.labels, rows);
    values += split.features.length;
    rows += split.count;
  }
  return { features, labels, count };
}

/**
 * Reads CIFAR-10 from a folder holding the six batch files, or holding the archive's
 * `cifar-10-batches-bin` folder. Train: the five data batches in order (50,000 images in the
 * official files); test: test_batch.bin (10,000).
 *
 * @throws DatasetNotFoundError naming the missing files and how to get them.
 */
export async function readCifar10(folder: string): Promise<Dataset> {
  if (!(await isDirectory(folder))) throw new DatasetNotFoundError(`CIFAR-10 folder ${folder} does not exist; ${HOW_TO_GET}`);
  let root = folder;
  const nested = join(folder, CIFAR10_ARCHIVE_FOLDER);
  if (!(await isFile(join(folder, CIFAR10_TEST_FILE))) && (await isDirectory(nested))) root = nested;
  const names = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE];
  const present = await Promise.all(names.map((name) => isFile(join(root, name))));
  const missing = names.filter((_, i) => !present[i]);
  if (missing.length > 0) {
    throw new DatasetNotFoundError(`CIFAR-10 folder ${root} lacks ${missing.join(', ')}; ${HOW_TO_GET}`);
  }
  const train = concatenate(await Promise.all(CIFAR10_TRAIN_FILES.map((name) => readCifar10Batch(join(root, name)))));
  const test = await readCifar10Batch(join(root, CIFAR10_TEST_FILE));
  return {
    name: 'cifar10',
    description:
      `CIFAR-10 (Krizhevsky 2009) binary batches from ${root}: official split, ${train.count} train / ${test.count} test ` +
      'images, 32x32x3 (height x width x RGB), float32 in [0, 1].',
    classNames: [...CIFAR10_CLASS_NAMES],
    featureShape: [SIDE, SIDE, 3],
    train,
    test,
  };
}
