/**
 * Output folders: made one level at a time, and checked for writing before any work is done.
 *
 * Node 20's `mkdir(path, { recursive: true })` never returns for some paths that cannot be
 * made (`/proc/x/y` loops forever), and a folder that can be made may still refuse writes (a
 * read-only mount). A run that only learns this after training has lost its work, so commands
 * check their output folders first.
 */
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FileSystemError } from 'affinity-loss/internal/errors.js';

/** `EROFS: read-only file system` for an errno code, else the error's own message. */
function reason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file of that name exists',
    ENOENT: 'no such file or folder',
  };
  return code !== undefined && code in known ? `${known[code]} (${code})` : message;
}

/**
 * Creates `folder` and any missing parents, one level at a time (see the file comment).
 *
 * @throws FileSystemError naming the path that could not be made, and why.
 */
export async function createFolder(folder: string, what = 'folder'): Promise<void> {
  const missing: string[] = [];
  let path = resolve(folder);
  for (;;) {
    try {
      if (!(await stat(path)).isDirectory()) throw new FileSystemError(`${what} ${folder}: ${path} is a file, not a folder`);
      break;
    } catch (error) {
      if (error instanceof FileSystemError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileSystemError(`${what} ${folder}: cannot read ${path}: ${reason(error)}`);
      missing.push(path);
      const parent = dirname(path);
      if (parent === path) break;
      path = parent;
    }
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(level)).isDirectory()) continue;
      throw new FileSystemError(`${what} ${folder}: cannot create ${level}: ${reason(error)}`);
    }
  }
}

/**
 * Creates `folder` if needed and proves it takes files, by writing and removing one, before a
 * command spends minutes on work it would then fail to save.
 *
 * @param what how the user named it (`--out`), for the message.
 * @throws FileSystemError naming the folder and why it cannot be written.
 */
export async function checkWritableFolder(folder: string, what = 'folder'): Promise<void> {
  await createFolder(folder, what);
  const probe = join(folder, `.write-check.tmp-${process.pid}`);
  try {
    await writeFile(probe, 'affinity-loss write check\n');
  } catch (error) {
    throw new FileSystemError(`${what} ${folder} cannot be written: ${reason(error)}`);
  } finally {
    await rm(probe, { force: true });
  }
}

/**
 * An error from a file operation as a FileSystemError naming `path` (or the error's own path),
 * so a full disk or a read-only folder reads as what it is rather than as a stack trace.
 * Errors that are not from the file system come back unchanged.
 */
export function asFileSystemError(error: unknown, path?: string): unknown {
  const fsError = error as NodeJS.ErrnoException;
  if (typeof fsError?.code !== 'string' || typeof fsError.syscall !== 'string') return error;
  return new FileSystemError(`cannot ${fsError.syscall} ${fsError.path ?? path ?? 'a file'}: ${reason(error)}`);
}

/**
 * Replaces entries (files or folders) of `dir` with new ones, keeping the old ones until the new
 * ones are written whole: `write` fills a staging folder inside `dir` (same file system, so
 * the moves are renames), and only then does each entry take its namesake's place. If writing
 * fails (a full disk), `dir` is left as it was.
 *
 * @param entries the names `write` creates, in the order they take their place; the last one
 *   marks the set complete (a run's config.json), so its old version is removed before the
 *   others move and a reader never sees a new marker beside old files, or the reverse.
 * @throws FileSystemError when the staging folder cannot be written.
 */
export async function replaceEntries(dir: string, entries: readonly string[], write: (staging: string) => Promise<void>): Promise<void> {
  const staging = join(dir, `.staging.tmp-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(staging);
    await write(staging);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const named = asFileSystemError(error, staging);
    if (!(named instanceof FileSystemError)) throw error;
    throw new FileSystemError(`cannot write the new files into ${dir}, whose old ones are kept as they were: ${reason(error)}`);
  }
  const marker = entries[entries.length - 1];
  await rm(join(dir, marker), { recursive: true, force: true });
  for (const name of entries) {
    const target = join(dir, name);
    // A folder cannot be renamed over a non-empty one: move the old one aside first.
    if ((await stat(target).catch(() => undefined))?.isDirectory()) await rename(target, join(staging, `${name}.old`));
    await rename(join(staging, name), target);
  }
  await rm(staging, { recursive: true, force: true });
}
