import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SEED_STREAMS } from '../../src/data/seedStreams.js';

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('no two stages of an experiment share a seed stream', () => {
  const numbers = Object.values(SEED_STREAMS);
  assert.equal(new Set(numbers).size, numbers.length, `streams: ${JSON.stringify(SEED_STREAMS)}`);
});

test("every stage draws from the run's seed through a named stream, never a bare number", () => {
  // A stream given as a number literal is how two stages came to share one; sub-streams (per
  // class, per epoch, per layer) are variables derived from a stage's seed.
  const literalStream = /deriveSeed\([^,()]+,\s*\d+\s*[,)]/g;
  const offenders: string[] = [];
  // Every package's sources: the experiment code that seeds runs lives in the CLI's package.
  const packages = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const files = readdirSync(packages).flatMap((name) => sourceFiles(join(packages, name, 'src')));
  assert.ok(files.length > 100, `read ${files.length} source files`);
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(literalStream)) offenders.push(`${file}: ${match[0]}`);
  }
  assert.deepEqual(offenders, []);
});
