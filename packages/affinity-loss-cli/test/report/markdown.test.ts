import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateRuns } from '../../src/report/aggregate.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { buildSections, formatSummary, type ReferenceTable } from '../../src/report/tables.js';
import { fixtureRuns } from './fixtures.js';

const reference: ReferenceTable = {
  title: 'Hayat et al. 2019, macro-F1',
  source: 'ICCV 2019, Table 1',
  rows: [
    { method: 'softmax', values: { 'k=10': 80.5, 'k=20': 70.25, 'k=50': 60 } },
    { method: 'affinity', values: { 'k=10': 90.1 } },
  ],
};

/** The markdown table under `### heading`, as rows of trimmed cells (header included). */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`### ${heading}`);
  assert.ok(start >= 0, `no table "${heading}" in:\n${markdown}`);
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && !lines[i].startsWith('#'); i++) {
    if (lines[i].startsWith('|')) rows.push(lines[i].split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}

test('formatSummary: percent with two decimals, n when it differs from the usual count', () => {
  assert.equal(formatSummary({ mean: 0.98271, std: 0.0012, n: 3 }, 3), '98.27 ± 0.12');
  assert.equal(formatSummary({ mean: 0.5, std: 0, n: 1 }, 3), '50.00 (n=1)');
});

test('renderMarkdown: primary macro-F1 table with settings in order, mean ± std, bold on the best mean', () => {
  const markdown = renderMarkdown(aggregateRuns(fixtureRuns()), { title: 'Bench', commands: ['affinity bench --protocol figure1'] });
  assert.match(markdown, /^# Bench\n/);
  assert.match(markdown, /Command: `affinity bench --protocol figure1`/);
  assert.match(markdown, /n = 1–2 seeds/);
  const rows = tableAfter(markdown, 'Macro-F1, last epoch');
  assert.deepEqual(rows[0], ['Method', 'k=10', 'k=20']);
  assert.deepEqual(rows[2], ['softmax', '85.00 ± 7.07', '70.00 (n=1)']);
  assert.deepEqual(rows[3], ['affinity', '**94.00 ± 1.41**', '**75.00 (n=1)**']);
  assert.ok(markdown.indexOf('### Macro-F1, last epoch') < markdown.indexOf('### Accuracy, last epoch'), 'primary table first');
  const best = tableAfter(markdown, 'Macro-F1, model chosen on validation');
  // k=20: both losses score 0.9 on the chosen model; a tie bolds both.
  assert.deepEqual(best[2], ['softmax', '88.00 ± 4.24', '**90.00 (n=1)**']);
  assert.deepEqual(best[3], ['affinity', '**90.00 ± 0.00**', '**90.00 (n=1)**']);
  assert.match(markdown, /### Minority-class recall, last epoch/);
  assert.doesNotMatch(markdown, /Verification/, 'no verification table without verification runs');
});

test('renderMarkdown: the reference table follows the primary one, in our column order', () => {
  const markdown = renderMarkdown(aggregateRuns(fixtureRuns()), { title: 'Bench', reference, referenceProtocol: 'figure1' });
  const rows = tableAfter(markdown, `Published: ${reference.title}`);
  assert.deepEqual(rows[0], ['Method', 'k=10', 'k=20', 'k=50']);
  assert.deepEqual(rows[2], ['softmax', '80.50', '70.25', '60.00']);
  assert.deepEqual(rows[3], ['affinity', '**90.10**', '—', '—']);
  assert.match(markdown, /Source: ICCV 2019, Table 1/);
  const primary = markdown.indexOf('### Macro-F1, last epoch');
  const published = markdown.indexOf('### Published');
  assert.ok(primary < published && published < markdown.indexOf('### Accuracy, last epoch'));
});

test('buildSections: the reference goes only under its protocol; pipes in names are escaped in markdown', () => {
  const runs = [...fixtureRuns(), { ...fixtureRuns()[0], protocol: 'other', method: 'a|b' }];
  const sections = buildSections(aggregateRuns(runs), { reference, referenceProtocol: 'figure1' });
  assert.deepEqual(sections.map((section) => section.tables.some((table) => table.id === 'reference')), [true, false]);
  assert.match(renderMarkdown(aggregateRuns(runs), { title: 't' }), /\| a\\\|b \|/);
});
