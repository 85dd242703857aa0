import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FolderLockedError } from 'affinity-loss/internal/errors.js';
import { LOCK_FILE, lockFolder } from '../../src/io/folderLock.js';

const root = mkdtempSync(join(tmpdir(), 'affinity-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
const folder = (name: string) => {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
};

/** The pid of a process that has ended (a real one, so the number was a real process's). */
function endedPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a folder is locked for one owner at a time; releasing frees it', async () => {
  const dir = folder('held');
  const release = await lockFolder(dir);
  const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; host: string };
  assert.deepEqual([owner.pid, owner.host], [process.pid, hostname()]);
  await assert.rejects(lockFolder(dir), (error: Error) => {
    assert.ok(error instanceof FolderLockedError);
    assert.match(error.message, new RegExp(`in use by another run \\(pid ${process.pid} on ${hostname()}, since .*\\); wait for it`));
    return true;
  });
  await release();
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  const again = await lockFolder(dir);
  await again();
});

test('a stale lock (its process gone, or a half-written file) is taken over with a message', async () => {
  const dir = folder('stale');
  const pid = endedPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
  const messages: string[] = [];
  const release = await lockFolder(dir, (message) => messages.push(message));
  assert.match(messages[0], new RegExp(`took over .*${LOCK_FILE}: its owner, pid ${pid} \\(since 2026-01-01T00:00:00.000Z\\), no longer runs`));
  assert.equal((JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid, process.pid);
  await release();

  writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
  const halfWritten: string[] = [];
  await (await lockFolder(dir, (message) => halfWritten.push(message)))();
  assert.match(halfWritten[0], /it was unreadable/);
});

test("another host's lock is refused, saying how to clear it if that process is gone", async () => {
  const dir = folder('remote');
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'some-other-host', since: '2026-01-01T00:00:00.000Z' }));
  await assert.rejects(lockFolder(dir), (error: Error) => error instanceof FolderLockedError && /pid 1 on some-other-host.*if that process is gone, delete .*\.lock/.test(error.message));
});

test('releasing does not remove a lock another owner has taken since', async () => {
  const dir = folder('taken');
  const release = await lockFolder(dir);
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'some-other-host', since: 'now' }));
  await release();
  assert.ok(existsSync(join(dir, LOCK_FILE)));
});
