/** A fresh temporary folder per test file, removed when the process exits the test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** Creates a temporary folder under os.tmpdir() and registers its removal after the tests. */
export function temporaryFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), `affinity-loss-${prefix}-`));
  after(() => rmSync(folder, { recursive: true, force: true }));
  return folder;
}
