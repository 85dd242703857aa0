import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import type { RunResult } from '../../src/bench/results.js';
import { readRunResults, svgToPng, writeReport } from '../../src/report/index.js';
import { features, report, run } from './fixtures.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// The affinity runs record a command of their own; the softmax runs, as files written before
// commands were recorded, stand for the report's command.
const TUNED_COMMAND = 'affinity bench --protocol figure1 --methods affinity --sigma 4 --seeds 2';

/** One setting, two methods, two seeds; the first seed of each method has features: three plots to render. */
function benchRuns(): RunResult[] {
  return [
    run({ setting: 'k=10', method: 'softmax', seed: 1, last: report(0.9, [1, 1, 0.5, 0.5]), features: features(false) }),
    run({ setting: 'k=10', method: 'softmax', seed: 2, last: report(0.8, [1, 0.8, 0.3, 0.5]) }),
    run({ setting: 'k=10', method: 'affinity', seed: 1, last: report(0.95, [1, 1, 0.9, 0.9]), features: features(true), command: TUNED_COMMAND }),
    run({ setting: 'k=10', method: 'affinity', seed: 2, last: report(0.93, [1, 1, 0.8, 0.8]), command: TUNED_COMMAND }),
  ];
}

let outDir = '';
let written: string[] = [];

before(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'affinity-loss-report-'));
  // Through the reader, as `affinity report` does: runs/ files in, report files out.
  await mkdir(join(outDir, 'runs'));
  for (const result of benchRuns()) await writeFile(join(outDir, 'runs', `${result.id}.json`), JSON.stringify(result));
  written = await writeReport(outDir, await readRunResults(outDir), {
    title: 'Figure 1 <reproduction>',
    command: 'affinity bench --protocol figure1 --methods softmax,affinity --seeds 2',
    protocol: 'figure1',
    methodOrder: ['softmax', 'affinity'],
    reference: { title: 'Hayat et al. 2019', source: 'ICCV 2019', rows: [{ method: 'affinity', values: { 'k=10': 99.1 } }] },
  });
});

after(async () => {
  if (outDir !== '') await rm(outDir, { recursive: true, force: true });
});

test('writeReport: writes every file it lists, and leaves no temporary file', async () => {
  const names = written.map((path) => path.slice(outDir.length + 1));
  for (const name of ['results.json', 'results.csv', 'results.md', 'report.html', 'plots/figure1.svg', 'plots/figure1.png', 'plots/macro-f1-k-10.svg', 'plots/macro-f1-k-10.png', 'plots/per-class-recall-k-10.png']) {
    assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  }
  const onDisk = [...(await readdir(outDir)), ...(await readdir(join(outDir, 'plots'))).map((name) => `plots/${name}`)];
  assert.deepEqual(onDisk.filter((name) => name.includes('.tmp')), []);
  for (const name of names) assert.ok(onDisk.includes(name), `${name} on disk`);
});

test('writeReport: results.json holds the runs and the aggregate; results.csv a row per run', async () => {
  const json = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8'));
  assert.equal(json.runs.length, 4);
  assert.deepEqual(json.aggregate[0].methods, ['softmax', 'affinity']);
  const csv = (await readFile(join(outDir, 'results.csv'), 'utf8')).trimEnd().split('\n');
  assert.equal(csv.length, 1 + 4);
});

test('writeReport: the report names every command that made its runs, once each, in run order', async () => {
  // Runs read back come in file-name order: the affinity runs first.
  const markdown = await readFile(join(outDir, 'results.md'), 'utf8');
  assert.match(
    markdown,
    /Commands \(each made some of the runs\):\n\n- `affinity bench --protocol figure1 --methods affinity --sigma 4 --seeds 2`\n- `affinity bench --protocol figure1 --methods softmax,affinity --seeds 2`\n\n## Protocol/,
  );
  const json = JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8'));
  assert.deepEqual(json.commands, [TUNED_COMMAND, 'affinity bench --protocol figure1 --methods softmax,affinity --seeds 2']);
  assert.deepEqual(
    json.runs.map((run: RunResult) => [run.method, run.command]),
    [
      ['affinity', TUNED_COMMAND],
      ['affinity', TUNED_COMMAND],
      ['softmax', undefined],
      ['softmax', undefined],
    ],
  );
  const html = await readFile(join(outDir, 'report.html'), 'utf8');
  assert.match(html, /<li><code>affinity bench --protocol figure1 --methods affinity --sigma 4 --seeds 2<\/code><\/li>/);
});

test('writeReport: SVGs are SVG, PNGs are PNGs with more in them than a blank canvas', async () => {
  const svg = await readFile(join(outDir, 'plots', 'figure1.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
  const png = await readFile(join(outDir, 'plots', 'figure1.png'));
  assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
  const [, width, height] = /width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(svg)!;
  const blank = svgToPng(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"></svg>`, { loadSystemFonts: false });
  assert.ok(png.length > 4 * blank.length, `figure1.png ${png.length} B vs blank ${blank.length} B`);
});

test('writeReport: report.html is self-contained, with tables, the reference and inline figures', async () => {
  const html = await readFile(join(outDir, 'report.html'), 'utf8');
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.match(html, /<title>Figure 1 &lt;reproduction&gt;<\/title>/);
  assert.match(html, /affinity bench --protocol figure1/);
  const urls = html.match(/https?:\/\/[^"'\s<>)]*/g) ?? [];
  assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
  assert.match(html, /Published: Hayat et al\. 2019/);
  assert.match(html, /<strong>94\.00 ± 1\.41<\/strong>/);
  assert.equal((html.match(/<svg/g) ?? []).length, 3);
  const markdown = await readFile(join(outDir, 'results.md'), 'utf8');
  assert.match(markdown, /\| affinity \| \*\*94\.00 ± 1\.41\*\* \|/);
  assert.match(markdown, /\| affinity \| 99\.10 \|/);
});

test('writeReport: no runs is an error, not an empty report', async () => {
  await assert.rejects(writeReport(outDir, [], { title: 't', protocol: 'figure1' }), AffinityConfigError);
});
