/**
 * One writer per folder: a lock file holding its owner's pid, host and start time. Two benches
 * into the same folder would otherwise both train every pending run (hours of duplicated work)
 * and race on the same result files.
 */
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FolderLockedError } from 'affinity-loss/internal/errors.js';

/** The lock file's name inside the folder it locks. */
export const LOCK_FILE = '.lock';

/** What a lock file records. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** Whether a process of this host is still running (signal 0 tests without signalling). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host, since: String(owner.since) } : undefined;
  } catch {
    // Unreadable (damaged, or not a lock of ours): nobody can own it.
    return undefined;
  }
}

/**
 * Takes the lock of `dir` (which must exist) for this process.
 *
 * A lock whose owner is gone (a process of this host that no longer runs, or an unreadable
 * lock file) is stale: it is taken over and `onStale` is told whose it was. A lock held by a
 * running process, or by a process of another host (whose liveness cannot be checked from
 * here), is refused.
 *
 * @returns a function that releases the lock (only if this process still holds it).
 * @throws FolderLockedError naming the owner, and how to proceed.
 */
export async function lockFolder(dir: string, onStale?: (message: string) => void): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    // Written whole under a temporary name, then linked into place: link fails if the lock
    // exists, so two processes cannot both take it, and no one ever reads a half-written lock.
    const temporary = `${path}.tmp-${process.pid}`;
    await writeFile(temporary, `${JSON.stringify(me)}\n`);
    try {
      await link(temporary, path);
      return async () => {
        const owner = await readOwner(path);
        if (owner?.pid === me.pid && owner.host === me.host) await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    } finally {
      await rm(temporary, { force: true });
    }
    const owner = await readOwner(path);
    if (owner !== undefined && (owner.host !== me.host || isRunning(owner.pid))) {
      throw new FolderLockedError(
        `${dir} is in use by another run (pid ${owner.pid} on ${owner.host}, since ${owner.since}); wait for it to finish or use another output folder` +
          (owner.host === me.host ? '' : `; if that process is gone, delete ${path}`),
      );
    }
    onStale?.(
      owner === undefined
        ? `took over ${path}: it was unreadable, so it has no owner`
        : `took over ${path}: its owner, pid ${owner.pid} (since ${owner.since}), no longer runs`,
    );
    await rm(path, { force: true });
  }
  throw new FolderLockedError(`${dir}: could not take its lock`);
}
