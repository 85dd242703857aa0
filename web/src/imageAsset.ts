/**
 * The compact image sets the demo loads: a few thousand images, downsampled to 14 x 14
 * grayscale and stored at 4 bits per pixel, so a file is about 400 KB instead of the 55 MB of
 * MNIST's raw IDX files. Written at build time by scripts/prepare-demo-data.ts (the MNIST
 * digits, and optionally a folder of the user's own images), read in the browser.
 *
 * Layout (little-endian):
 *   6 x uint32 header: magic 'MN14', version, side, train count, test count, names byte length
 *   names: UTF-8 JSON {"title": string, "classNames": string[]}
 *   train labels (uint8 each), test labels (uint8 each)
 *   train pixels, then test pixels: row-major, two 4-bit pixels per byte (low nibble first)
 *
 * Why 14 x 14 and 4 bits: a 2-D feature layer cannot use the detail of 28 x 28 anyway, and
 * 16 grey levels keep the digits readable; both cut the asset 8x, which keeps the page light.
 */

/** 'MN14' read as a little-endian uint32. */
export const IMAGE_ASSET_MAGIC = 0x3431_4e4d;
/** Format version; bump when the layout changes (2: the title and class names). */
export const IMAGE_ASSET_VERSION = 2;
/** Side of the stored images in pixels. */
export const IMAGE_ASSET_SIDE = 14;
/** File name of the MNIST asset, served next to the page. */
export const MNIST_ASSET_FILE = 'mnist-14x14.bin';
/** File name of the asset made from the user's image folder (`npm run web:data -- --data-path DIR`), when there is one. */
export const FOLDER_ASSET_FILE = 'folder-14x14.bin';
/**
 * File name of the list of image sets the build holds (`DemoAssetList`), so the page knows
 * whether a folder asset exists without asking for it (a 404 is an error in the console).
 */
export const ASSET_LIST_FILE = 'image-sets.json';

/** What `ASSET_LIST_FILE` holds: the menu label of each image set present, by its asset file. */
export type DemoAssetList = Record<string, { label: string }>;

/** The dataset menu's label of an image set: its title, size and classes. */
export function assetLabel(subset: Pick<ImageSubset, 'title' | 'side' | 'classNames'>): string {
  return `${subset.title}, ${subset.side} x ${subset.side} (${subset.classNames.length} classes)`;
}

/** Labels are stored as one byte each. */
export const IMAGE_ASSET_MAX_CLASSES = 256;

const HEADER_BYTES = 6 * 4;
const LEVELS = 15; // 4 bits: grey levels 0..15

/** One split of the subset: images of `side * side` values in [0, 1], row-major. */
export interface ImageSubsetSplit {
  /** count x side x side pixel values in [0, 1]. */
  pixels: Float32Array;
  /** Class id of each image. */
  labels: Int32Array;
  /** Number of images. */
  count: number;
}

/** The decoded asset. */
export interface ImageSubset {
  /** What the images are, as the demo's dataset menu shows it ('MNIST digits', a folder's name). */
  title: string;
  /** One name per class id. */
  classNames: string[];
  /** Image side in pixels (14). */
  side: number;
  /** Training images. */
  train: ImageSubsetSplit;
  /** Test images. */
  test: ImageSubsetSplit;
}

/**
 * Halves each side of square images by averaging 2 x 2 blocks.
 *
 * @param pixels count x side x side values.
 */
export function downsampleByTwo(pixels: Float32Array, count: number, side: number): Float32Array {
  const half = side / 2;
  if (!Number.isInteger(half)) throw new Error(`downsampleByTwo needs an even side, got ${side}`);
  const out = new Float32Array(count * half * half);
  for (let image = 0; image < count; image++) {
    const source = image * side * side;
    const target = image * half * half;
    for (let row = 0; row < half; row++) {
      for (let col = 0; col < half; col++) {
        const topLeft = source + 2 * row * side + 2 * col;
        const sum = pixels[topLeft] + pixels[topLeft + 1] + pixels[topLeft + side] + pixels[topLeft + side + 1];
        out[target + row * half + col] = sum / 4;
      }
    }
  }
  return out;
}

function packPixels(pixels: Float32Array, bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < pixels.length; i++) {
    const level = Math.max(0, Math.min(LEVELS, Math.round(pixels[i] * LEVELS)));
    bytes[offset + (i >> 1)] |= (i & 1) === 0 ? level : level << 4;
  }
}

function unpackPixels(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const pixels = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const byte = bytes[offset + (i >> 1)];
    pixels[i] = ((i & 1) === 0 ? byte & 0x0f : byte >> 4) / LEVELS;
  }
  return pixels;
}

/**
 * Encodes a subset in the asset layout above. Pixel values are quantized to 16 levels.
 *
 * @throws Error when a label is not an id of `classNames` or there are more classes than a byte holds.
 */
export function encodeImageSubset(subset: ImageSubset): Uint8Array {
  const classes = subset.classNames.length;
  if (classes < 2 || classes > IMAGE_ASSET_MAX_CLASSES) throw new Error(`an image asset holds 2 to ${IMAGE_ASSET_MAX_CLASSES} classes, got ${classes}`);
  for (const labels of [subset.train.labels, subset.test.labels]) {
    const bad = labels.find((label) => !Number.isInteger(label) || label < 0 || label >= classes);
    if (bad !== undefined) throw new Error(`label ${bad} is not a class id of ${classes} classes`);
  }
  const names = new TextEncoder().encode(JSON.stringify({ title: subset.title, classNames: subset.classNames }));
  const size = subset.side * subset.side;
  const trainPixelBytes = Math.ceil((subset.train.count * size) / 2);
  const testPixelBytes = Math.ceil((subset.test.count * size) / 2);
  const bytes = new Uint8Array(HEADER_BYTES + names.length + subset.train.count + subset.test.count + trainPixelBytes + testPixelBytes);
  const header = new DataView(bytes.buffer);
  [IMAGE_ASSET_MAGIC, IMAGE_ASSET_VERSION, subset.side, subset.train.count, subset.test.count, names.length].forEach((value, i) =>
    header.setUint32(i * 4, value, true),
  );
  let offset = HEADER_BYTES;
  bytes.set(names, offset);
  offset += names.length;
  bytes.set(subset.train.labels, offset);
  offset += subset.train.count;
  bytes.set(subset.test.labels, offset);
  offset += subset.test.count;
  packPixels(subset.train.pixels, bytes, offset);
  packPixels(subset.test.pixels, bytes, offset + trainPixelBytes);
  return bytes;
}

/** Decodes the asset; throws an Error naming what is wrong when the bytes are not one. */
export function decodeImageSubset(buffer: ArrayBuffer): ImageSubset {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < HEADER_BYTES) throw new Error(`image asset too short: ${bytes.length} bytes`);
  const header = new DataView(buffer);
  const [magic, version, side, trainCount, testCount, namesLength] = [0, 1, 2, 3, 4, 5].map((i) => header.getUint32(i * 4, true));
  if (magic !== IMAGE_ASSET_MAGIC || version !== IMAGE_ASSET_VERSION) {
    throw new Error(`not an image asset of version ${IMAGE_ASSET_VERSION} (magic 0x${magic.toString(16)}, version ${version}); run npm run web:data again`);
  }
  const size = side * side;
  const trainPixelBytes = Math.ceil((trainCount * size) / 2);
  const testPixelBytes = Math.ceil((testCount * size) / 2);
  const expected = HEADER_BYTES + namesLength + trainCount + testCount + trainPixelBytes + testPixelBytes;
  if (bytes.length !== expected) throw new Error(`image asset has ${bytes.length} bytes, expected ${expected}`);
  let offset = HEADER_BYTES;
  const { title, classNames } = JSON.parse(new TextDecoder().decode(bytes.subarray(offset, offset + namesLength))) as { title: string; classNames: string[] };
  offset += namesLength;
  const trainLabels = Int32Array.from(bytes.subarray(offset, offset + trainCount));
  offset += trainCount;
  const testLabels = Int32Array.from(bytes.subarray(offset, offset + testCount));
  offset += testCount;
  return {
    title,
    classNames,
    side,
    train: { pixels: unpackPixels(bytes, offset, trainCount * size), labels: trainLabels, count: trainCount },
    test: { pixels: unpackPixels(bytes, offset + trainPixelBytes, testCount * size), labels: testLabels, count: testCount },
  };
}
