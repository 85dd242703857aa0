import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseRunResult } from '../../src/report/read.js';
import type { RunResult } from '../../src/bench/results.js';
import { mnistDigits, writeImages } from '../../../affinity-loss-node/test/data/images.js';

const CLI = ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts'];
const run = (...args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });
const root = mkdtempSync(join(tmpdir(), 'affinity-bench-'));
after(() => rmSync(root, { recursive: true, force: true }));

// The figure1 protocol on 6% of MNIST's training rows for one epoch: each run takes seconds.
const TINY = ['--protocol', 'figure1', '--quick', '--train-fraction', '0.06', '--epochs', '1', '--workers', '2'];

function runFiles(out: string): string[] {
  return readdirSync(join(out, 'runs')).sort();
}

function readRun(out: string, file: string): RunResult {
  const path = join(out, 'runs', file);
  return parseRunResult(readFileSync(path, 'utf8'), path);
}

test('bench writes one result file per run and the whole report; a rerun skips finished runs', () => {
  const out = join(root, 'first');
  const first = run('bench', ...TINY, '--methods', 'softmax,affinity', '--out', out);
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(runFiles(out), ['digits-0-4-at-10__affinity__seed1.json', 'digits-0-4-at-10__softmax__seed1.json']);
  for (const name of ['results.json', 'results.csv', 'results.md', 'report.html', 'plots/figure1.png', 'plots/figure1.svg']) {
    assert.ok(statSync(join(out, name)).size > 0, `${name} written`);
  }
  for (const file of runFiles(out)) {
    const result = readRun(out, file);
    assert.equal(result.protocol, 'figure1');
    assert.equal(result.history.length, 1);
    assert.equal(result.last.samples, 10000);
    for (const value of [result.last.accuracy, result.last.macroF1, result.best.balancedAccuracy]) assert.ok(value >= 0 && value <= 1);
    // Even one epoch on 6% of the rows is well above chance (10%).
    assert.ok(result.last.accuracy > 0.2, `${file}: accuracy ${result.last.accuracy}`);
    assert.equal(result.features?.points.length, 2000); // 200 test points per class
    assert.deepEqual(result.minorityClasses, [0, 1, 2, 3, 4]);
    assert.equal(result.command, `affinity bench ${[...TINY, '--methods', 'softmax,affinity', '--out', out].join(' ')}`);
  }
  const markdown = readFileSync(join(out, 'results.md'), 'utf8');
  assert.match(markdown, /softmax/);
  assert.match(markdown, /affinity/);

  const before = runFiles(out).map((file) => statSync(join(out, 'runs', file)).mtimeMs);
  const again = run('bench', ...TINY, '--methods', 'softmax,affinity', '--out', out);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /2 runs planned: 2 already done, 0 to train/);
  assert.deepEqual(runFiles(out).map((file) => statSync(join(out, 'runs', file)).mtimeMs), before, 'finished runs are not rewritten');

  // Same seed, same numbers: a second folder trains the same runs from scratch.
  const twin = join(root, 'twin');
  assert.equal(run('bench', ...TINY, '--methods', 'softmax,affinity', '--out', twin).status, 0);
  for (const file of runFiles(out)) {
    const [a, b] = [readRun(out, file), readRun(twin, file)];
    assert.deepEqual(b.last, a.last, `${file}: last-epoch metrics`);
    assert.deepEqual(b.history.map((epoch) => epoch.loss), a.history.map((epoch) => epoch.loss), `${file}: losses`);
  }

  // Another config in the same folder is refused, and runs with --force.
  const changed = run('bench', ...TINY.slice(0, -4), '--epochs', '2', '--workers', '2', '--methods', 'softmax', '--out', out);
  assert.equal(changed.status, 2);
  assert.match(changed.stderr, /made with a different config \(epochs: 1 there, 2 now\).*--force/);

  // `affinity report` rebuilds the report from the run files alone.
  rmSync(join(out, 'results.md'));
  rmSync(join(out, 'plots'), { recursive: true });
  const report = run('report', out);
  assert.equal(report.status, 0, report.stderr);
  assert.equal(readFileSync(join(out, 'results.md'), 'utf8'), markdown, 'the same tables, naming the same bench command');
  assert.ok(existsSync(join(out, 'plots', 'figure1.png')));
});

test('a bench killed mid-way leaves only whole result files, and the rerun trains only what is missing', async () => {
  const out = join(root, 'killed');
  const args = [...CLI, 'bench', ...TINY.slice(0, -2), '--workers', '1', '--methods', 'softmax,center-loss,affinity', '--out', out];
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  const runs = join(out, 'runs');
  // Kill it as soon as the first run is on disk (the second is then in flight).
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(runs) && readdirSync(runs).some((name) => name.endsWith('.json') && !name.includes('.tmp'))) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      }
    }, 50);
    child.on('exit', () => {
      clearInterval(timer);
      reject(new Error('the bench finished before it could be interrupted'));
    });
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const finished = readdirSync(runs).filter((name) => name.endsWith('.json') && !name.includes('.tmp'));
  assert.ok(finished.length >= 1 && finished.length < 3, `finished: ${finished.join(', ')}`);
  for (const file of finished) readRun(out, file); // each one parses completely

  const resumed = run('bench', ...TINY.slice(0, -2), '--workers', '1', '--methods', 'softmax,center-loss,affinity', '--out', out);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`3 runs planned: ${finished.length} already done, ${3 - finished.length} to train`));
  // The killed bench's lock was left behind; its process is gone, so the rerun takes it over.
  assert.match(resumed.stderr, new RegExp(`warning: took over .*runs/\\.lock: its owner, pid ${child.pid} \\(since .*\\), no longer runs`));
  assert.equal(existsSync(join(runs, '.lock')), false, 'released when the bench ends');
  assert.equal(runFiles(out).filter((name) => !name.includes('.tmp')).length, 3);
});

test('a second bench into a folder a running bench writes to is refused, naming the owner', async () => {
  const out = join(root, 'concurrent');
  const args = ['bench', ...TINY.slice(0, -2), '--workers', '1', '--methods', 'softmax,center-loss', '--out', out];
  const first = spawn(process.execPath, [...CLI, ...args], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => first.on('exit', resolve));
  const lock = join(out, 'runs', '.lock');
  while (!existsSync(lock)) await new Promise((resolve) => setTimeout(resolve, 20));
  const second = run(...args);
  assert.equal(second.status, 2, second.stderr);
  assert.match(second.stderr, new RegExp(`affinity: .*runs is in use by another run \\(pid ${first.pid} on .*\\); wait for it to finish or use another output folder`));
  assert.equal(await exited, 0, 'the first bench finishes undisturbed');
  assert.deepEqual(runFiles(out).filter((name) => name.endsWith('.json')).length, 2);
});

test('bad names and numbers fail before anything trains, naming what is valid', () => {
  const out = join(root, 'bad');
  const cases: [string[], RegExp][] = [
    [['--protocol', 'nosuch'], /argument 'nosuch' is invalid. Allowed choices are figure1, step-sweep, long-tail, noise, verification/],
    [['--protocol', 'figure1', '--methods', 'softmax,nosuch'], /unknown method "nosuch"; valid methods: softmax, weighted-ce/],
    [['--protocol', 'figure1', '--epochs', '-1'], /--epochs.*must be an integer >= 1, got -1/],
    [['--protocol', 'figure1', '--sigma', '0'], /--sigma.*sigma must be a finite number > 0, got 0/],
    [['--protocol', 'figure1', '--margin', '1.5'], /--margin.*margin must be in \(0, 1\] because affinities lie in \(0, 1\]; got 1.5/],
    [['--protocol', 'figure1', '--methods', 'softmax,softmax'], /listed twice/],
    [['--protocol', 'step-sweep', '--settings', 'k=10,k=7'], /unknown setting "k=7" for protocol step-sweep; valid: "k=500", "k=200", "k=100", "k=50", "k=20", "k=10"/],
  ];
  for (const [args, message] of cases) {
    const result = run('bench', ...args, '--out', out);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  assert.equal(existsSync(out), false, 'no output folder for a refused command');
  const missing = run('report', join(root, 'nothing-here'));
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no run results in .*run `affinity bench`/);
});

test('a file where the output folder should be fails with exit 2 naming it, for bench and report alike', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');
  const bench = run('bench', ...TINY, '--methods', 'softmax', '--out', file);
  assert.equal(bench.status, 2, bench.stderr);
  assert.match(bench.stderr, new RegExp(`affinity: output folder ${file}: ${file} is a file, not a folder`));
  const report = run('report', file);
  assert.equal(report.status, 2, report.stderr);
  assert.match(report.stderr, /affinity: cannot scandir .*a-file\/runs: a part of the path is a file, not a folder \(ENOTDIR\)/);
  for (const { stderr } of [bench, report]) assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
});

test('a protocol override that cannot work is refused before workers start', () => {
  const out = join(root, 'bad-width');
  const result = run('bench', '--protocol', 'figure1', '--feature-width', '16', '--out', out);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /a feature snapshot \(Figure 1\) needs featureWidth 2, got 16/);
  assert.equal(existsSync(out), false);
});

test('long-tail runs on a folder of your own images, as given and made more imbalanced, up to the report; protocols built around MNIST refuse a dataset', async () => {
  // 130 images a class: exp:100 keeps 104 / 10 / 1 training rows of the three.
  const digits = await mnistDigits(130, 3);
  const folder = join(root, 'my-digits');
  for (const [id, name] of ['zero', 'one', 'two'].entries()) await writeImages(join(folder, name), digits[id], 'png');
  const out = join(root, 'own-images');
  const own = ['--dataset', 'image-folder', '--data-path', folder, '--image-size', '14'];
  const bench = run('bench', '--protocol', 'long-tail', '--quick', ...own, '--train-fraction', '1', '--epochs', '2', '--methods', 'softmax,affinity-lt', '--workers', '2', '--out', out);
  assert.equal(bench.status, 0, bench.stderr);
  assert.deepEqual(runFiles(out), [
    'as-given-image-folder__affinity-lt__seed1.json',
    'as-given-image-folder__softmax__seed1.json',
    'rho-100-image-folder__affinity-lt__seed1.json',
    'rho-100-image-folder__softmax__seed1.json',
  ]);
  const asGiven = readRun(out, 'as-given-image-folder__softmax__seed1.json');
  assert.deepEqual(asGiven.classNames, ['one', 'two', 'zero']);
  assert.deepEqual([asGiven.config.dataset, asGiven.config.datasetPath, asGiven.config.imageSize, asGiven.config.recipe], ['image-folder', folder, 14, 'none']);
  assert.equal(asGiven.last.samples, 78, '20% of each class of 130 images');
  assert.equal(readRun(out, 'rho-100-image-folder__softmax__seed1.json').config.recipe, 'exp:100');
  assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /as given image-folder/);
  assert.ok(statSync(join(out, 'report.html')).size > 0);

  const refused = run('bench', '--protocol', 'step-sweep', '--quick', ...own, '--out', join(root, 'never'));
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /protocol step-sweep is built around its own datasets; a dataset of your own runs with long-tail/);
});
