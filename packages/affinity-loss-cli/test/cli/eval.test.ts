import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { EvalRecord } from '../../src/cli/commands/eval.js';
import { GaussianAffinity, confusionMatrix, predictClassIds } from 'affinity-loss';
import { prepareDataset } from 'affinity-loss/internal/data/prepare.js';
import { loadDataset } from 'affinity-loss-node/internal/data/registry.js';
import { useNodeBackend } from 'affinity-loss-node'; // also registers the file:// handler
import type { RunFolderConfig, RunMetrics } from '../../src/cli/commands/modelFolder.js';

const CLI = ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts'];
const run = (...args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });

/** The same as `run`, without waiting: independent runs start together to save time. */
function runAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const root = mkdtempSync(join(tmpdir(), 'affinity-eval-'));
after(() => rmSync(root, { recursive: true, force: true }));

const model = join(root, 'run');
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

// The default 2-D blobs: class c is centred at 4 (cos 2 pi c / 10, sin 2 pi c / 10).
const centre = (c: number) => [4 * Math.cos((2 * Math.PI * c) / 10), 4 * Math.sin((2 * Math.PI * c) / 10)];

before(() => {
  const trained = run('train', '--dataset', 'gaussians', '--epochs', '2', '--batch-size', '64', '--feature-width', '16', '--lr', '0.02', '--quiet', '--out', model);
  assert.equal(trained.status, 0, trained.stderr);
});

test('eval on the training dataset reproduces the best model\'s test metrics of train', () => {
  const out = join(root, 'eval', 'gaussians.json');
  const result = run('eval', '--model', model, '--dataset', 'gaussians', '--out', out);
  assert.equal(result.status, 0, result.stderr);
  const record = readJson<EvalRecord>(out);
  const metrics = readJson<RunMetrics>(join(model, 'metrics.json'));
  assert.deepEqual(record.report, metrics.best);
  assert.equal(record.dataset, 'gaussians');
  assert.equal(record.recipe, 'none');
  assert.equal(record.classNames.length, 10);
  assert.match(result.stdout, new RegExp(`accuracy +${(100 * metrics.best.accuracy).toFixed(2)} %`));
  assert.match(result.stdout, /Per-class recall/);
  assert.match(result.stdout, /blob 9 +45 +100 +[\d.]+ +\(minority\)/);
});

test('eval predicts with the prior correction saved with the model', async () => {
  const corrected = join(root, 'corrected');
  // tau 1 on the hinge head after 2 epochs of a 10:1 tail: the correction moves many predictions.
  const trained = run('train', '--dataset', 'gaussians', '--imbalance', 'exp:10', '--method', 'affinity', '--prior-correction', '1', '--epochs', '2', '--batch-size', '64', '--feature-width', '16', '--quiet', '--out', corrected);
  assert.equal(trained.status, 0, trained.stderr);
  const out = join(root, 'eval', 'corrected.json');
  const result = run('eval', '--model', corrected, '--imbalance', 'exp:10', '--out', out);
  assert.equal(result.status, 0, result.stderr);
  const record = readJson<EvalRecord>(out);
  const metrics = readJson<RunMetrics>(join(corrected, 'metrics.json'));
  assert.equal(record.priorCorrection, 1);
  assert.deepEqual(metrics.priorCorrection, { selection: 'fixed', last: 1, best: 1 });
  assert.deepEqual(record.report, metrics.best);
  assert.match(result.stdout, /corrected for the training prior: log A - 1 log pi/);
  // The correction is what made these predictions: without it the same model predicts otherwise.
  await useNodeBackend({ workload: 'dense' }); // the CLI's backend for an MLP, so the predictions compared are computed alike
  const loaded = await tf.loadLayersModel(`file://${join(corrected, 'model', 'model.json')}`);
  const head = loaded.layers[loaded.layers.length - 1] as GaussianAffinity;
  const data = prepareDataset(await loadDataset('gaussians'), 'exp:10', 1);
  const withTau = predictClassIds(loaded, data.test, { featureShape: [2] });
  head.setPriorCorrection(0);
  const without = predictClassIds(loaded, data.test, { featureShape: [2] });
  assert.notDeepEqual(Array.from(without), Array.from(withTau));
  assert.deepEqual(confusionMatrix(data.test.labels, withTau, { classes: 10 }), record.report.confusion);
  loaded.dispose();
});

test('eval reads a CSV with the model\'s feature columns, by header name and label column', async () => {
  // Ten rows per class around each blob's centre; text labels are the model's class names.
  const lines = ['class,x,y'];
  for (let c = 0; c < 10; c++) {
    const [x, y] = centre(c);
    for (let i = 0; i < 10; i++) lines.push(`blob ${c},${(x + 0.1 * Math.cos(i)).toFixed(4)},${(y + 0.1 * Math.sin(i)).toFixed(4)}`);
  }
  const named = join(root, 'named.csv');
  writeFileSync(named, `${lines.join('\n')}\n`);
  // The same points with integer labels in the last column and no header.
  const plain = join(root, 'plain.csv');
  writeFileSync(plain, `${lines.slice(1).map((line) => `${line.split(',').slice(1).join(',')},${line.split(',')[0].slice(5)}`).join('\n')}\n`);

  const [byName, byId] = await Promise.all([
    runAsync('eval', '--model', model, '--dataset', named, '--header', '--label', 'class', '--out', join(root, 'named.json')),
    runAsync('eval', '--model', model, '--dataset', plain, '--out', join(root, 'plain.json')),
  ]);
  assert.equal(byName.status, 0, byName.stderr);
  assert.equal(byId.status, 0, byId.stderr);
  const [a, b] = [readJson<EvalRecord>(join(root, 'named.json')), readJson<EvalRecord>(join(root, 'plain.json'))];
  assert.equal(a.report.samples, 100);
  assert.deepEqual(a.report, b.report, 'text labels map to the same class ids as integer labels');
  assert.equal(a.recipe, undefined);
  for (const value of [a.report.accuracy, a.report.macroF1, a.report.balancedAccuracy]) assert.ok(value >= 0 && value <= 1);
  // Points at the centres are the easiest there are: the majority blobs at least are right.
  assert.ok(a.report.accuracy > 0.4, `accuracy at the blob centres: ${a.report.accuracy}`);
  assert.match(byName.stdout, new RegExp(`Evaluated on ${named.replace(/[/\\.]/g, '\\$&')}: 100 samples`));
});

test('eval refuses data that does not fit the model, and a missing model folder, with exit code 2', async () => {
  const wide = join(root, 'wide.csv');
  writeFileSync(wide, '0.5,1.5,2.5,0\n1,2,3,1\n');
  // 13 classes: ids 10-12 are not classes of the model.
  const extra = join(root, 'extra.csv');
  writeFileSync(extra, `${Array.from({ length: 13 }, (_, c) => `${centre(c % 10).join(',')},${c}`).join('\n')}\n`);
  const [wrongWidth, wrongLabel, wrongDataset, noModel, notARun] = await Promise.all([
    runAsync('eval', '--model', model, '--dataset', wide),
    runAsync('eval', '--model', model, '--dataset', extra),
    runAsync('eval', '--model', model, '--dataset', 'digits'),
    runAsync('eval', '--model', join(root, 'nosuch'), '--dataset', 'gaussians'),
    runAsync('eval', '--model', root, '--dataset', 'gaussians'),
  ]);
  assert.equal(wrongWidth.status, 2, wrongWidth.stderr);
  assert.match(wrongWidth.stderr, /affinity: .*wide\.csv has 3 features per row \(\[3\]\) but the model in .* takes 2 \(\[2\]\)/);
  assert.equal(wrongLabel.status, 2, wrongLabel.stderr);
  assert.match(wrongLabel.stderr, /affinity: .*extra\.csv: row 11 has label 10, but the model knows 10 classes \(0-9\)/);
  assert.equal(wrongDataset.status, 2, wrongDataset.stderr);
  assert.match(wrongDataset.stderr, /the digits test split has 64 features per row \(\[8, 8, 1\]\) but the model .* takes 2/);
  assert.equal(noModel.status, 2);
  assert.match(noModel.stderr, /affinity: no model folder .*nosuch: give --model the --out folder of an `affinity train` run/);
  assert.equal(notARun.status, 2);
  assert.match(notARun.stderr, /has no config\.json: not a finished `affinity train` run/);
});

test('eval refuses weights that are not the ones training wrote, or not finite, with exit code 2', async () => {
  const copy = (name: string) => {
    const dir = join(root, name);
    cpSync(model, dir, { recursive: true });
    return dir;
  };
  const weightsOf = (dir: string) => join(dir, 'model', 'weights.bin');
  const config = readJson<RunFolderConfig>(join(model, 'config.json'));
  assert.match(config.weightsSha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(config.weightsSha256, createHash('sha256').update(readFileSync(weightsOf(model))).digest('hex'));

  const original = readFileSync(weightsOf(model));
  const swapped = copy('byte-swapped');
  writeFileSync(weightsOf(swapped), Buffer.from(original).swap32());
  const zeros = copy('zeros');
  writeFileSync(weightsOf(zeros), Buffer.alloc(original.length));
  // A folder from before the checksum was recorded: only the finiteness check can tell.
  const nan = copy('nan-without-checksum');
  writeFileSync(weightsOf(nan), Buffer.from(new Float32Array(original.length / 4).fill(NaN).buffer));
  const { weightsSha256: _dropped, ...withoutChecksum } = config;
  writeFileSync(join(nan, 'config.json'), JSON.stringify(withoutChecksum));

  const results = await Promise.all([swapped, zeros, nan].map((dir) => runAsync('eval', '--model', dir)));
  for (const result of results.slice(0, 2)) {
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /weights\.bin is not the file training wrote \(its SHA-256 differs from the one in config\.json\)/);
  }
  assert.equal(results[2].status, 2, results[2].stderr);
  assert.match(results[2].stderr, /weights\.bin holds NaN or infinite values \(in .*\): not a model training saved/);
});

test('eval --help lists every option and examples', () => {
  const help = run('eval', '--help');
  assert.equal(help.status, 0);
  for (const option of ['--model', '--dataset', '--imbalance', '--data-path', '--label', '--header', '--out']) {
    assert.match(help.stdout, new RegExp(`${option}\\b`), option);
  }
  assert.match(help.stdout, /Examples:\n {2}\$ affinity eval .*\n {2}\$ affinity eval /);
});
