/**
 * Decoded images on disk, for image folders too large to hold in memory: the images are decoded
 * once, by a pool of worker threads, into shard files of raw bytes (SHARD_ROWS images each),
 * and training reads the rows of each batch from them by index. 100k images of 28 x 28 take
 * 78 MB of shards against 314 MB as one Float32Array, and the process holds only a batch.
 *
 * A cache folder is named by a hash of the image size, the channels and every file's path,
 * size and modification time, so a changed, added or removed image makes a new one; it is
 * built in a staging folder and renamed into place complete, with its index written last, so a
 * crash never leaves a cache that looks whole. Delete the cache folder to reclaim the space.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkRow, SelectedRows, type RowStore } from 'affinity-loss/internal/data/rowStore.js';
import { DatasetFormatError } from 'affinity-loss/internal/errors.js';
import { requireInteger } from 'affinity-loss/internal/validate.js';
import { createFolder } from '../io/folders.js';
import { siblingModule } from '../io/siblingModule.js';
import type { DecodeOutcome, DecodeTask } from './decodeWorker.js';

/** Images per shard file: 4096 images of 28 x 28 make a 3 MB shard. */
export const SHARD_ROWS = 4096;

// Bumped when the shard layout changes, so an old cache is never read as a new one.
const FORMAT = 1;
const INDEX_FILE = 'index.json';
const DECODE_WORKER = siblingModule('./decodeWorker', import.meta.url);

/** What a cache folder's index.json says. */
interface CacheIndex {
  format: number;
  rows: number;
  rowSize: number;
  shardRows: number;
}

/**
 * Where caches go by default: `$XDG_CACHE_HOME/affinity-loss/images`, or
 * `~/.cache/affinity-loss/images`.
 */
export function defaultImageCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'affinity-loss', 'images');
}

/** Options of `cacheImages`. */
export interface ImageCacheOptions {
  /** Folder that holds the caches (one subfolder each). Default `defaultImageCacheDir()`. */
  cacheDir?: string;
  /** Side of the square images, in pixels. */
  imageSize: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: 1 | 3;
  /** The data folder, named in error messages relative to it. */
  root: string;
  /** Decode threads. Default: the number of cores. */
  workers?: number;
  /** Called after each decoded shard with the images done so far and in all. */
  onProgress?: (done: number, total: number) => void;
}

async function cacheKey(files: readonly string[], imageSize: number, channels: number): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify({ format: FORMAT, imageSize, channels }));
  // Stats in batches: 100k files in one Promise.all would open 100k requests at once.
  for (let start = 0; start < files.length; start += 256) {
    const batch = files.slice(start, start + 256);
    const stats = await Promise.all(batch.map((file) => stat(file)));
    batch.forEach((file, i) => hash.update(`\n${resolve(file)}\u0000${stats[i].size}\u0000${stats[i].mtimeMs}`));
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * The decoded rows of `files`, in their order, from the cache: decoded now if no cache of these
 * files at this size exists yet.
 *
 * @throws DatasetFormatError naming an image that cannot be decoded; FileSystemError when the
 *   cache folder cannot be made or written.
 */
export async function cacheImages(files: readonly string[], options: ImageCacheOptions): Promise<DiskRowStore> {
  const { imageSize: size, channels, root } = options;
  const cacheDir = resolve(options.cacheDir ?? defaultImageCacheDir());
  const folder = join(cacheDir, await cacheKey(files, size, channels));
  if (await stat(join(folder, INDEX_FILE)).then(() => true, () => false)) return DiskRowStore.open(folder);
  await createFolder(cacheDir, 'image cache folder');
  const staging = `${folder}.partial-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  const workers = Math.max(1, Math.min(Math.ceil(files.length / SHARD_ROWS), requireInteger('decode workers', options.workers ?? availableParallelism(), 1)));
  // Loaded here, not at the top: importing the toolkit must not load a worker pool.
  const { Piscina } = await import('piscina');
  const pool = new Piscina<DecodeTask, DecodeOutcome>({ filename: DECODE_WORKER, minThreads: workers, maxThreads: workers });
  try {
    let done = 0;
    const tasks: Promise<void>[] = [];
    for (let shard = 0; shard * SHARD_ROWS < files.length; shard++) {
      const slice = files.slice(shard * SHARD_ROWS, (shard + 1) * SHARD_ROWS);
      tasks.push(
        pool.run({ files: slice, shardFile: join(staging, shardName(shard)), size, channels, root }).then((outcome) => {
          if (!outcome.ok) throw new DatasetFormatError(outcome.message);
          done += slice.length;
          options.onProgress?.(done, files.length);
        }),
      );
    }
    // Every task settles before the pool closes; the first failure is the one reported.
    const settled = await Promise.allSettled(tasks);
    const failure = settled.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    const index: CacheIndex = { format: FORMAT, rows: files.length, rowSize: size * size * channels, shardRows: SHARD_ROWS };
    await writeFile(join(staging, INDEX_FILE), `${JSON.stringify(index)}\n`);
    try {
      await rename(staging, folder);
    } catch (error) {
      // Another process finished the same cache first: theirs is as good.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await rm(staging, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    await pool.destroy();
  }
  return DiskRowStore.open(folder);
}

function shardName(shard: number): string {
  return `shard-${String(shard).padStart(5, '0')}.u8`;
}

/**
 * The rows of a cache folder, read from its shard files on demand and scaled to [0, 1] as the
 * in-memory reader scales them (byte / 255), so both give the same values. Reads of consecutive
 * rows in one shard are one read. Files stay open until `close()`.
 */
export class DiskRowStore implements RowStore {
  readonly count: number;
  readonly rowSize: number;
  /** The cache folder. */
  readonly folder: string;
  private readonly shardRows: number;
  private readonly descriptors: number[] = [];
  private scratch = new Uint8Array(0);

  private constructor(folder: string, index: CacheIndex) {
    this.folder = folder;
    this.count = index.rows;
    this.rowSize = index.rowSize;
    this.shardRows = index.shardRows;
  }

  /**
   * Opens a complete cache folder, checking every shard's length.
   *
   * @throws DatasetFormatError for a missing or unreadable index, another format, or a shard
   *   that is missing or of the wrong length (truncated), naming the file and how to mend it.
   */
  static open(folder: string): DiskRowStore {
    const mend = `; delete ${folder} and it is decoded again`;
    let index: CacheIndex;
    try {
      index = JSON.parse(readFileSync(join(folder, INDEX_FILE), 'utf8')) as CacheIndex;
    } catch (error) {
      throw new DatasetFormatError(`${join(folder, INDEX_FILE)}: not a readable image cache index (${(error as Error).message})${mend}`);
    }
    if (index.format !== FORMAT || !Number.isInteger(index.rows) || !Number.isInteger(index.rowSize) || !Number.isInteger(index.shardRows)) {
      throw new DatasetFormatError(`${join(folder, INDEX_FILE)}: an image cache of another format${mend}`);
    }
    const store = new DiskRowStore(folder, index);
    try {
      for (let shard = 0; shard * index.shardRows < index.rows; shard++) {
        const file = join(folder, shardName(shard));
        let descriptor: number;
        try {
          descriptor = openSync(file, 'r');
        } catch {
          throw new DatasetFormatError(`${file}: missing from the image cache${mend}`);
        }
        store.descriptors.push(descriptor);
        const expected = Math.min(index.shardRows, index.rows - shard * index.shardRows) * index.rowSize;
        const actual = fstatSync(descriptor).size;
        if (actual !== expected) throw new DatasetFormatError(`${file}: ${actual} bytes, expected ${expected} (truncated or changed)${mend}`);
      }
    } catch (error) {
      store.close();
      throw error;
    }
    return store;
  }

  readRows(rows: ArrayLike<number>, target: Float32Array): void {
    const { rowSize, shardRows } = this;
    for (let i = 0; i < rows.length; ) {
      const row = rows[i];
      checkRow(row, this.count);
      const shard = Math.floor(row / shardRows);
      const first = row - shard * shardRows;
      let run = 1;
      while (i + run < rows.length && rows[i + run] === row + run && first + run < shardRows && row + run < this.count) run++;
      const bytes = run * rowSize;
      if (this.scratch.length < bytes) this.scratch = new Uint8Array(bytes);
      const read = readSync(this.descriptors[shard], this.scratch, 0, bytes, first * rowSize);
      if (read !== bytes) throw new DatasetFormatError(`${join(this.folder, shardName(shard))}: shorter than its index says; delete ${this.folder} and it is decoded again`);
      const offset = i * rowSize;
      for (let j = 0; j < bytes; j++) target[offset + j] = this.scratch[j] / 255;
      i += run;
    }
  }

  select(rows: ArrayLike<number>): RowStore {
    return new SelectedRows(this, rows);
  }

  /** Closes the shard files; reads after it fail. */
  close(): void {
    for (const descriptor of this.descriptors.splice(0)) closeSync(descriptor);
  }
}

/**
 * What another thread needs to open the same rows: a cache folder and, for a selection, its row
 * map. Posted to data-parallel workers in place of the values.
 */
export interface DiskRowsHandle {
  /** The cache folder. */
  folder: string;
  /** Rows of the cache, in order; absent for all of them. */
  rows?: Int32Array;
}

/**
 * The handle of a store over a disk cache (the cache itself, or a selection of it), or
 * undefined for any other store.
 */
export function diskRowsHandle(store: RowStore): DiskRowsHandle | undefined {
  if (store instanceof DiskRowStore) return { folder: store.folder };
  if (store instanceof SelectedRows && store.source instanceof DiskRowStore) return { folder: store.source.folder, rows: store.map };
  return undefined;
}

/** Opens the rows a handle names (in the thread that received it). */
export function openDiskRows(handle: DiskRowsHandle): RowStore {
  const store = DiskRowStore.open(handle.folder);
  return handle.rows === undefined ? store : store.select(handle.rows);
}
