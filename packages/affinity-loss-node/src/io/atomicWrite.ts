/** Whole-or-nothing file writes: saved models and report files. */
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `data` to `path` through `path.tmp-<pid>` and a rename, so a reader (or a crash
 * mid-write) never sees half a file; the pid keeps two processes writing the same
 * file from sharing a temporary file.
 *
 * @returns `path`, for the caller's list of written files.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<string> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}
