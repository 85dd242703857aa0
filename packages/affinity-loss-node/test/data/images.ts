/** Real image files for the image-folder tests: MNIST digits written as PNG and JPEG with sharp. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadDataset } from '../../src/data/registry.js';

/** The first `perClass` MNIST training images of digits 0 to classes - 1, as raw 28x28 bytes each. */
export async function mnistDigits(perClass: number, classes = 3): Promise<Buffer[][]> {
  const mnist = await loadDataset('mnist');
  const digits: Buffer[][] = Array.from({ length: classes }, () => []);
  for (let row = 0; row < mnist.train.count && digits.some((images) => images.length < perClass); row++) {
    const label = mnist.train.labels[row];
    if (label >= classes || digits[label].length >= perClass) continue;
    const pixels = mnist.train.features.subarray(row * 784, (row + 1) * 784);
    digits[label].push(Buffer.from(Array.from(pixels, (value) => Math.round(value * 255))));
  }
  return digits;
}

/** Writes `images` of a class into `folder` as PNG or JPEG files named 000.png, 001.png, ... */
export async function writeImages(folder: string, images: Buffer[], format: 'png' | 'jpeg'): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const paths: string[] = [];
  for (const [i, raw] of images.entries()) {
    const path = join(folder, `${String(i).padStart(3, '0')}.${format === 'png' ? 'png' : 'jpg'}`);
    const image = sharp(raw, { raw: { width: 28, height: 28, channels: 1 } });
    await (format === 'png' ? image.png() : image.jpeg({ quality: 90 })).toFile(path);
    paths.push(path);
  }
  return paths;
}
