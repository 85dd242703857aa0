/**
 * MNIST-shaped synthetic training rows, the same for both sides of the benchmark: our trainer
 * reads them as a Split, the PyTorch script from a binary file in the format it documents
 * (magic 'AFBT', uint32 rows, uint32 features per row, float32 pixels, int32 labels).
 */
import { writeFile } from 'node:fs/promises';
import { Rng, type Split } from 'affinity-loss';

/** Pixels per image (28 x 28 x 1). */
export const PIXELS = 784;
/** Classes of the labels. */
export const CLASSES = 10;

/** `rows` seeded images with uniform pixels in [0, 1) and uniform labels (timing does not depend on the values). */
export function syntheticSplit(rows: number, seed: number): Split {
  const rng = new Rng(seed);
  const features = new Float32Array(rows * PIXELS);
  for (let i = 0; i < features.length; i++) features[i] = rng.next();
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) labels[i] = rng.int(CLASSES);
  return { features, labels, count: rows };
}

/** Writes a split in the PyTorch script's `--data` format. */
export async function writeBatchFile(path: string, split: Split): Promise<void> {
  const header = Buffer.alloc(12);
  header.write('AFBT', 0, 'ascii');
  header.writeUInt32LE(split.labels.length, 4);
  header.writeUInt32LE(PIXELS, 8);
  const features = Buffer.from(split.features.buffer, split.features.byteOffset, split.features.byteLength);
  const labels = Buffer.from(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength);
  await writeFile(path, Buffer.concat([header, features, labels]));
}
