/**
 * One image file to the pixels a model sees, with sharp: what the in-memory image-folder reader
 * and the decode workers of the disk cache both run, so both give the same bytes.
 */
import { relative } from 'node:path';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';

/** sharp's default export. */
export type Sharp = typeof import('sharp').default;

/**
 * Imports sharp, an optional peer dependency.
 *
 * @throws DatasetNotFoundError saying how to install it.
 */
export async function loadSharp(): Promise<Sharp> {
  try {
    return (await import('sharp')).default;
  } catch {
    throw new DatasetNotFoundError('reading image folders needs the sharp package, which decodes the images: npm install sharp');
  }
}

/**
 * Decodes `file`, resizes it to size x size (the shorter side scaled, the centre cropped: the
 * aspect ratio is kept) and turns it to grayscale or RGB: size * size * channels bytes, row-major
 * height x width x channels.
 *
 * @param root the folder named in error messages relative to it.
 * @throws DatasetFormatError naming the file when it cannot be decoded (corrupt, truncated, not an image).
 */
export async function decodeImage(sharp: Sharp, file: string, size: number, channels: 1 | 3, root: string): Promise<Buffer> {
  try {
    let image = sharp(file, { failOn: 'warning' }).resize(size, size, { fit: 'cover' });
    image = channels === 1 ? image.grayscale() : image.removeAlpha().toColourspace('srgb');
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels || data.length !== size * size * channels) {
      throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x${channels}`);
    }
    return data;
  } catch (error) {
    throw new DatasetFormatError(`${relative(root, file) || file}: not a readable image (corrupt, truncated or not what its name says): ${(error as Error).message}`);
  }
}
