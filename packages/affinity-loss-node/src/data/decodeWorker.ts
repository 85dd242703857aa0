/**
 * Worker-thread entry of the image cache's decode pool: decodes one shard's images and writes
 * them, one row of bytes after another, to the shard's file.
 */
import { writeFile } from 'node:fs/promises';
import { DatasetFormatError } from 'affinity-loss/internal/errors.js';
import { decodeImage, loadSharp, type Sharp } from './decodeImage.js';

/** One shard to decode. */
export interface DecodeTask {
  /** The images, in row order. */
  files: string[];
  /** Where the shard's bytes go. */
  shardFile: string;
  /** Side of the square images. */
  size: number;
  /** 1 or 3. */
  channels: 1 | 3;
  /** The data folder, for file names in errors. */
  root: string;
}

/** What a task gives back: errors as data, since a thrown error reaches the pool as a plain Error. */
export type DecodeOutcome = { ok: true } | { ok: false; message: string };

// Images one thread decodes at once: sharp's own threads do the pixel work.
const CONCURRENCY = 4;

let sharp: Promise<Sharp> | undefined;

/** Piscina calls the default export with each task. */
export default async function decodeShard(task: DecodeTask): Promise<DecodeOutcome> {
  const rowSize = task.size * task.size * task.channels;
  const bytes = Buffer.alloc(task.files.length * rowSize);
  try {
    sharp ??= loadSharp();
    const decoder = await sharp;
    let next = 0;
    const worker = async () => {
      while (next < task.files.length) {
        const index = next++;
        (await decodeImage(decoder, task.files[index], task.size, task.channels, task.root)).copy(bytes, index * rowSize);
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, task.files.length) }, worker));
    await writeFile(task.shardFile, bytes);
    return { ok: true };
  } catch (error) {
    if (error instanceof DatasetFormatError) return { ok: false, message: error.message };
    throw error;
  }
}
