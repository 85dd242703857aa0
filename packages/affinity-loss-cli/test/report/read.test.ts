import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import { parseRunResult, readRunResults } from '../../src/report/read.js';
import { temporaryFolder } from '../../../affinity-loss-node/test/data/tmp.js';
import { features, fixtureRuns } from './fixtures.js';

const root = temporaryFolder('report-read');

const formatError = (file: string, pattern: RegExp) => (error: Error) =>
  error instanceof DatasetFormatError && error.message.includes(file) && pattern.test(error.message);

test('readRunResults: reads runs/*.json in name order, skipping .tmp files and other names', async () => {
  const outDir = join(root, 'ok');
  await mkdir(join(outDir, 'runs'), { recursive: true });
  const [a, b] = fixtureRuns();
  const withFeatures = { ...b, features: features(true) };
  await writeFile(join(outDir, 'runs', 'b.json'), JSON.stringify(withFeatures));
  await writeFile(join(outDir, 'runs', 'a.json'), JSON.stringify(a));
  await writeFile(join(outDir, 'runs', 'c.json.tmp-123'), '{ half a fi');
  await writeFile(join(outDir, 'runs', 'd.tmp.json'), '{ half a fi');
  await writeFile(join(outDir, 'runs', 'notes.txt'), 'not a run');
  const runs = await readRunResults(outDir);
  assert.deepEqual(runs, [a, withFeatures]);
});

test('parseRunResult: NaN metrics stored as null come back as NaN', () => {
  const [run] = fixtureRuns();
  const group = { accuracy: NaN, classes: [], samples: 0 };
  const text = JSON.stringify({ ...run, last: { ...run.last, shotGroups: { many: group, medium: group, few: group } } });
  assert.ok(Number.isNaN(parseRunResult(text, 'x.json').last.shotGroups!.few.accuracy));
});

test('readRunResults: a file that is not JSON, or lacks a field, fails naming the file and the field', async () => {
  const outDir = join(root, 'bad');
  await mkdir(join(outDir, 'runs'), { recursive: true });
  await writeFile(join(outDir, 'runs', 'broken.json'), '{ "id": ');
  await assert.rejects(readRunResults(outDir), formatError('broken.json', /not valid JSON/));

  const { macroF1: _, ...last } = fixtureRuns()[0].last;
  await writeFile(join(outDir, 'runs', 'broken.json'), JSON.stringify({ ...fixtureRuns()[0], last }));
  await assert.rejects(readRunResults(outDir), formatError('broken.json', /"last\.macroF1" must be a number or null, got nothing/));

  await writeFile(join(outDir, 'runs', 'broken.json'), JSON.stringify({ ...fixtureRuns()[0], seed: '1' }));
  await assert.rejects(readRunResults(outDir), formatError('broken.json', /"seed" must be a finite number, got a string/));

  await writeFile(join(outDir, 'runs', 'broken.json'), '[]');
  await assert.rejects(readRunResults(outDir), formatError('broken.json', /must be an object, got an array/));
});

test('readRunResults: a missing runs/ folder says which folder and what to run', async () => {
  await assert.rejects(
    readRunResults(join(root, 'nothing-here')),
    (error: Error) => error instanceof DatasetNotFoundError && /nothing-here.runs/.test(error.message) && /affinity bench/.test(error.message),
  );
});
