/**
 * Reader of the IDX format of MNIST and Fashion-MNIST, raw or gzipped: a 4-byte magic
 * (0, 0, data type, number of dimensions), one big-endian uint32 per dimension, then the
 * values. Images are magic 0x00000803 (unsigned bytes, 3 dimensions), labels 0x00000801.
 * One read of the file, one pass over the bytes into a typed array.
 */
import { DatasetFormatError } from 'affinity-loss/internal/errors.js';
import type { Split } from 'affinity-loss/internal/data/dataset.js';
import { readDataFile } from './files.js';
import { bytesToUnitFloats } from './unitFloats.js';

/** Magic number of an IDX file of unsigned-byte images (N x rows x cols). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned-byte labels (N). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** An unsigned-byte IDX array: its dimensions and its values, a view into the file's bytes. */
export interface IdxArray {
  /** Sizes from the header, outermost first (N, rows, cols for images). */
  dims: number[];
  /** prod(dims) values, row-major. */
  data: Uint8Array;
}

/** Decoded IDX images, scaled to [0, 1]. */
export interface IdxImages {
  /** count x rows x cols float32 values in [0, 1] (byte / 255). */
  images: Float32Array;
  /** Number of images N. */
  count: number;
  /** Image height. */
  rows: number;
  /** Image width. */
  cols: number;
}

const hex = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;

/**
 * Parses an unsigned-byte IDX array with the given magic number from raw (not gzipped) bytes.
 *
 * @param file names the file in error messages.
 * @throws DatasetFormatError on a wrong magic, a file shorter than its header, or header sizes
 *   that disagree with the file length.
 */
export function parseIdx(bytes: Uint8Array, expectedMagic: number, file: string): IdxArray {
  const kind = expectedMagic === IDX_IMAGES_MAGIC ? 'images' : expectedMagic === IDX_LABELS_MAGIC ? 'labels' : 'IDX data';
  if (bytes.length < 4) {
    throw new DatasetFormatError(`${file}: truncated, ${bytes.length} bytes is less than the 4-byte IDX magic number`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    throw new DatasetFormatError(`${file}: wrong magic number ${hex(magic)}, expected ${hex(expectedMagic)} (IDX ${kind})`);
  }
  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new DatasetFormatError(`${file}: truncated, ${bytes.length} bytes is less than the ${headerBytes}-byte header`);
  }
  const dims: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i++) {
    dims.push(view.getUint32(4 + 4 * i, false));
    size *= dims[i];
  }
  const dataBytes = bytes.length - headerBytes;
  if (dataBytes !== size) {
    const problem = dataBytes < size ? 'truncated' : 'longer than its header says';
    throw new DatasetFormatError(
      `${file}: ${problem}: the header says ${dims.join(' x ')} = ${size} bytes of data, the file holds ${dataBytes}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Parses IDX images (magic 0x803) from raw bytes; see `parseIdx` for the errors. */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const { dims, data } = parseIdx(bytes, IDX_IMAGES_MAGIC, file);
  return { images: bytesToUnitFloats(data), count: dims[0], rows: dims[1], cols: dims[2] };
}

/** Parses IDX labels (magic 0x801) from raw bytes; see `parseIdx` for the errors. */
export function parseIdxLabels(bytes: Uint8Array, file: string): Int32Array {
  return Int32Array.from(parseIdx(bytes, IDX_LABELS_MAGIC, file).data);
}

/** Reads an IDX images file, raw or gzipped (detected by content, not by name). */
export async function readIdxImages(path: string, notFoundHint = ''): Promise<IdxImages> {
  return parseIdxImages(await readDataFile(path, notFoundHint), path);
}

/** Reads an IDX labels file, raw or gzipped (detected by content, not by name). */
export async function readIdxLabels(path: string, notFoundHint = ''): Promise<Int32Array> {
  return parseIdxLabels(await readDataFile(path, notFoundHint), path);
}

// The range test of checkClassIds (validate.ts), but a bad id here is a malformed file: a
// DatasetFormatError naming the file, not a LabelError. Bytes are integers >= 0 already.
function checkFileClassIds(labels: Int32Array, classes: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new DatasetFormatError(`${file}: label ${labels[i]} of sample ${i} is not a class id in [0, ${classes - 1}]`);
    }
  }
}

/**
 * Reads an images file and its labels file into one split.
 *
 * @param classes when given, every label must be below it.
 * @returns the split and the shape of one image, [rows, cols, 1].
 * @throws DatasetFormatError when the two files hold different numbers of samples, or a label
 *   is not a class id; the errors of `parseIdx`.
 */
export async function readIdxSplit(
  imagesPath: string,
  labelsPath: string,
  options: { classes?: number; notFoundHint?: string } = {},
): Promise<{ split: Split; featureShape: number[] }> {
  const [images, labels] = await Promise.all([
    readIdxImages(imagesPath, options.notFoundHint),
    readIdxLabels(labelsPath, options.notFoundHint),
  ]);
  if (images.count !== labels.length) {
    throw new DatasetFormatError(
      `${imagesPath} holds ${images.count} images but ${labelsPath} holds ${labels.length} labels`,
    );
  }
  if (options.classes !== undefined) checkFileClassIds(labels, options.classes, labelsPath);
  return {
    split: { features: images.images, labels, count: images.count },
    featureShape: [images.rows, images.cols, 1],
  };
}
