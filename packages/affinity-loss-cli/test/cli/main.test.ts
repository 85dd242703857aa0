import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', ...args], { encoding: 'utf8' });

test('the affinity command answers --version and refuses unknown commands', () => {
  const { version } = JSON.parse(readFileSync('packages/affinity-loss-cli/package.json', 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const answered = run(flag);
    assert.equal(answered.status, 0);
    assert.equal(answered.stdout.trim(), version);
  }
  const unknown = run('nosuch');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'nosuch'/);
});
