/**
 * File access shared by the readers: read a whole file in one call, gunzip it when its first
 * bytes are the gzip magic (whatever its name), and turn "no such file" into a
 * DatasetNotFoundError that names the path.
 */
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';

const gunzipAsync = promisify(gunzip);

/** True when `bytes` start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * The bytes of `path`, gunzipped when the file is gzip.
 *
 * @param hint appended to the not-found message (how to get the file).
 * @throws DatasetNotFoundError when the file does not exist; DatasetFormatError when it is
 *   gzip but corrupt or truncated.
 */
export async function readDataFile(path: string, hint = ''): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (isMissing(error)) throw new DatasetNotFoundError(`${path} does not exist${hint === '' ? '' : `; ${hint}`}`);
    throw error;
  }
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw new DatasetFormatError(`${path}: corrupt or truncated gzip data (${(error as Error).message})`);
  }
}

/** True when `path` exists and is a regular file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** True when `path` exists and is a folder. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}
