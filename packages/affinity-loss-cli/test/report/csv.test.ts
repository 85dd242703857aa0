import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { csvField, renderCsv } from '../../src/report/csv.js';
import { fixtureRuns, run } from './fixtures.js';

test('csvField: quotes commas, quotes and line breaks; numbers plain; missing empty', () => {
  assert.equal(csvField('k=10'), 'k=10');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(0.25), '0.25');
  assert.equal(csvField(NaN), '');
  assert.equal(csvField(undefined), '');
});

test('renderCsv: a header and one row per run that csv-parse reads back, comma in a setting included', () => {
  const runs = [...fixtureRuns(), run({ setting: 'rho=100, mnist', method: 'focal', seed: 3 })];
  const text = renderCsv(runs);
  const rows = parse(text, { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, runs.length);
  assert.equal(rows.at(-1)!.setting, 'rho=100, mnist');
  assert.match(text, /"rho=100, mnist"/);
  const first = rows[0];
  for (const column of ['protocol', 'setting', 'method', 'seed', 'bestEpoch', 'seconds', 'last_macroF1', 'best_macroF1', 'last_minorityRecall', 'recall_0', 'recall_3']) {
    assert.ok(column in first, `column ${column}`);
  }
  assert.equal(first.last_macroF1, '0.7');
  assert.equal(first.recall_2, '0.2');
  assert.equal(first.last_seenRocAuc, '', 'no verification: empty cell');
});
