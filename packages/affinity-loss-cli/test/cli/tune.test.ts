import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunFolderConfig } from '../../src/cli/commands/modelFolder.js';

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', ...args], { encoding: 'utf8' });
const root = mkdtempSync(join(tmpdir(), 'affinity-tune-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('tune searches on validation, writes the ranked trials and a best config that train takes; a rerun resumes', () => {
  const out = join(root, 'tune');
  // 4 configurations, halving by 2 over 3 epochs: rounds of 1, 2 and 3 epochs, 4 + 2 + 1 trials.
  const args = ['tune', '--dataset', 'gaussians', '--feature-width', '8', '--epochs', '3', '--lr', '0.01', '--budget', '4', '--eta', '2', '--out', out];
  const first = run(...args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /4 configurations, 3 rounds of 1, 2, 3 epochs/);
  assert.doesNotMatch(first.stderr, /last epoch/, 'trial lines show validation scores, not test metrics');
  const trialFiles = readdirSync(join(out, 'runs'));
  assert.equal(trialFiles.length, 7);
  for (const file of trialFiles) {
    const trial = JSON.parse(readFileSync(join(out, 'runs', file), 'utf8')) as Record<string, unknown>;
    assert.equal('last' in trial || 'best' in trial, false, `${file}: a trial holds no test metrics`);
    assert.ok(Array.isArray(trial.history));
  }

  const lines = readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'round,epochs,trial,sigma,margin,prototypesPerClass,diversityWeight,classMargins,priorCorrection,learningRate,validationMacroF1,bestEpoch');
  assert.equal(lines.length, 1 + 7);
  const rows = lines.slice(1).map((line) => line.split(','));
  assert.deepEqual(rows.map((row) => row[0]), ['2', '1', '1', '0', '0', '0', '0'], 'last round first');
  const score = (row: string[]) => Number(row[10]);
  for (const [from, to] of [[1, 3], [3, 7]]) {
    const round = rows.slice(from, to).map(score);
    assert.deepEqual(round, [...round].sort((a, b) => b - a), 'best first within a round');
  }
  // Halving promotes the best of each round: round 1 holds round 0's top two trials.
  assert.deepEqual(new Set(rows.slice(1, 3).map((row) => row[2])), new Set(rows.slice(3, 5).map((row) => row[2])));
  assert.ok(rows.every((row) => row[9] === ''), 'a typed --lr is fixed, not searched');
  assert.ok(rows.every((row) => ['true', 'false'].includes(row[7]) && row[8] !== ''), 'the margin form and tau are searched');

  const best = JSON.parse(readFileSync(join(out, 'best-config.json'), 'utf8')) as { config: RunFolderConfig['config']; searched: Record<string, number>; validationMacroF1: number };
  assert.equal(best.config.epochs, 3);
  assert.equal(best.config.learningRate, 0.01);
  assert.equal(best.config.sigma, best.searched.sigma);
  assert.equal(best.config.margin, best.searched.margin);
  assert.equal(Number((100 * best.validationMacroF1).toFixed(2)), score(rows[0]));

  const again = run(...args);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /4 runs planned: 4 already done, 0 to train/);
  assert.equal(readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n').length, 8);

  const model = join(root, 'tuned-model');
  const train = run('train', '--config', join(out, 'best-config.json'), '--out', model, '--quiet');
  assert.equal(train.status, 0, train.stderr);
  const trained = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as RunFolderConfig;
  assert.deepEqual(trained.config, best.config);
});

test('tune refuses bad options before training', () => {
  const out = join(root, 'bad');
  for (const [args, message] of [
    [['--validation', '0'], /validation split/],
    [['--method', 'focal', '--lr', '0.001'], /nothing to search/],
    [['--strategy', 'grid'], /Allowed choices are halving, random/],
    [['--budget', '0'], /--budget.*must be an integer >= 1/],
  ] as [string[], RegExp][]) {
    const result = run('tune', '--dataset', 'gaussians', ...args, '--out', out);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
  assert.equal(existsSync(out), false);
});

test('tune --help lists the searched ranges from the settings table', () => {
  const help = run('tune', '--help');
  assert.equal(help.status, 0, help.stderr);
  const text = help.stdout.replace(/\s+/g, ' ');
  assert.match(text, /sigma 0\.05-5 x \(feature width \+ 2\), log-uniform; margin 0\.05-0\.8; prototypesPerClass one of 1, 2, 5; diversityWeight 0\.001-1, log-uniform;/);
  assert.match(text, /learningRate 0\.0003-0\.003, log-uniform\./);
});
