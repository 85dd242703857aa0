/**
 * Memory and speed of an image folder held in memory against one streamed from the decoded-image
 * cache: `npm run bench:images`.
 *
 * Writes a folder of `--images` PNGs (28 x 28 grayscale MNIST digits, repeated with a one-pixel
 * shift past the 70k MNIST has, one subfolder per digit), then, each in a fresh process so that
 * its peak RSS is its own, reads it and trains the MLP with the paper's head for one epoch:
 *   in memory        every image decoded into one Float32Array;
 *   streamed, cold   decoded by the worker pool into the cache, batches read from its shards;
 *   streamed, warm   the cache already there (a second run, another seed or loss).
 * Prints the peak RSS, the seconds to read the folder, and training samples per second.
 *
 *   npm run bench:images                      100k images
 *   npm run bench:images -- --quick           5k images (a minute)
 *   npm run bench:images -- --folder DIR      keep the generated folder (and reuse it)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import sharp from 'sharp';
import type { Features } from 'affinity-loss/internal/data/rowStore.js';
import { countPerClass, type Split } from 'affinity-loss/internal/data/dataset.js';
import { buildClassifier } from 'affinity-loss/internal/models/build.js';
import { loadDataset, readImageFolder, useNodeBackend } from 'affinity-loss-node';
import { trainModel } from 'affinity-loss/internal/train/trainer.js';

type Mode = 'in-memory' | 'streamed-cold' | 'streamed-warm';
const MODES: readonly Mode[] = ['in-memory', 'streamed-cold', 'streamed-warm'];

/** What one child process measured. */
interface Measurement {
  mode: Mode;
  images: number;
  readSeconds: number;
  trainSamplesPerSecond: number;
  peakRssMiB: number;
}

/** Writes `count` PNGs of MNIST digits under `folder/<digit>/`. */
async function generateFolder(folder: string, count: number): Promise<void> {
  const mnist = await loadDataset('mnist');
  const sources = [mnist.train, mnist.test];
  for (let digit = 0; digit < 10; digit++) await mkdir(join(folder, String(digit)), { recursive: true });
  const total = mnist.train.count + mnist.test.count;
  let next = 0;
  const write = async () => {
    while (next < count) {
      const i = next++;
      const source = i % total;
      const split = source < mnist.train.count ? sources[0] : sources[1];
      const row = source < mnist.train.count ? source : source - mnist.train.count;
      const pixels = Buffer.from(Array.from(split.features.subarray(row * 784, (row + 1) * 784), (v) => Math.round(v * 255)));
      // Past the 70k originals, a one-pixel shift makes each file new.
      const shifted = i < total ? pixels : Buffer.concat([pixels.subarray(1), pixels.subarray(0, 1)]);
      await sharp(shifted, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(folder, String(split.labels[row]), `${String(i).padStart(6, '0')}.png`));
      if (i % 10000 === 0) process.stderr.write(`  wrote ${i} of ${count} images\n`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, write));
}

/** Child: reads the folder in one mode and trains one epoch. */
async function measure(mode: Mode, folder: string, cacheDir: string): Promise<Measurement> {
  await useNodeBackend({ prefer: 'wasm', quiet: true });
  const started = performance.now();
  const dataset = await readImageFolder(folder, { stream: mode !== 'in-memory', cacheDir, testFraction: 0.1 });
  const readSeconds = (performance.now() - started) / 1000;
  const train: Split<Features> = dataset.train;
  const classifier = buildClassifier({ method: 'affinity-lt', backbone: 'mlp', inputShape: [784], classes: 10, classCounts: countPerClass(train.labels, 10), epochs: 1, seed: 1 });
  const trainStarted = performance.now();
  const result = await trainModel(classifier.model, train, { classes: 10, featureShape: [784], loss: classifier.loss, epochs: 1, seed: 1, callbacks: classifier.callbacks });
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  result.bestWeights.forEach((weight) => weight.dispose());
  return { mode, images: dataset.train.count + dataset.test.count, readSeconds, trainSamplesPerSecond: train.count / trainSeconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 10) throw new InvalidArgumentError('give a whole number >= 10');
  return parsed;
}

const program = new Command('bench:images')
  .option('--images <n>', 'images in the generated folder', positiveInteger, 100_000)
  .option('--quick', 'a 5k-image folder')
  .option('--folder <dir>', 'where to write the folder (kept, and reused when it exists); default: a temporary folder, removed after')
  .option('--json <file>', 'also write the measurements as JSON')
  .addOption(new Option('--child <spec>').hideHelp())
  .action(async (flags: { images: number; quick?: boolean; folder?: string; json?: string; child?: string }) => {
    if (flags.child !== undefined) {
      const [mode, folder, cacheDir] = JSON.parse(flags.child) as [Mode, string, string];
      console.log(JSON.stringify(await measure(mode, folder, cacheDir)));
      return;
    }
    const images = flags.quick ? 5000 : flags.images;
    const scratch = await mkdtemp(join(tmpdir(), 'affinity-bench-images-'));
    const folder = flags.folder ?? join(scratch, 'images');
    const cacheDir = join(scratch, 'cache');
    try {
      if (!existsSync(folder)) {
        console.error(`Writing ${images} PNGs to ${folder} ...`);
        await generateFolder(folder, images);
      }
      const rows: Measurement[] = [];
      for (const mode of MODES) {
        console.error(`Measuring ${mode} ...`);
        const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', JSON.stringify([mode, folder, cacheDir])];
        const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 2 ** 20 });
        if (run.status !== 0) throw new Error(`${mode} failed: ${run.stderr}`);
        rows.push(JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Measurement);
      }
      console.log(`\nImage folder of ${rows[0].images} 28x28 PNGs; MLP + affinity head, 1 epoch, batch 128, wasm, one thread. CPU: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores)\n`);
      console.log('| mode | peak RSS (MiB) | read the folder (s) | training (samples/s) |');
      console.log('|---|---:|---:|---:|');
      for (const row of rows) console.log(`| ${row.mode} | ${row.peakRssMiB.toFixed(0)} | ${row.readSeconds.toFixed(1)} | ${row.trainSamplesPerSecond.toFixed(0)} |`);
      if (flags.json !== undefined) await writeFile(flags.json, `${JSON.stringify({ cpu: cpus()[0]?.model, cores: cpus().length, rows }, null, 2)}\n`);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

await program.parseAsync();
