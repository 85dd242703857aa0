import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunFolderConfig, RunMetrics } from '../../src/cli/commands/modelFolder.js';

const CLI = ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts'];
const run = (...args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });
/** The same as `run`, without waiting: independent failing runs start together to save time. */
function runAsync(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}
const root = mkdtempSync(join(tmpdir(), 'affinity-train-'));
after(() => rmSync(root, { recursive: true, force: true }));

// 2-D blobs (10 classes, 5 of them with a tenth of the rows), 2 epochs: a second of training.
// lr 0.02 because 2 epochs at the default 1e-3 leave the model near chance; with it the test
// accuracy is 0.56-0.67 over seeds, against 0.1 for chance.
const QUICK = ['--dataset', 'gaussians', '--epochs', '2', '--batch-size', '64', '--feature-width', '16', '--lr', '0.02'];

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/** Every file under a folder with its bytes, to show a refused run changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path, `${statSync(path).mtimeMs} ${readFileSync(path).toString('base64')}`);
    }
  }
  return files;
}

const out = join(root, 'run');
let first: ReturnType<typeof run>;
before(() => {
  first = run('train', ...QUICK, '--out', out);
});

test('train writes the model, its metrics, the confusion matrix and the config, and prints a summary', () => {
  assert.equal(first.status, 0, first.stderr);
  for (const file of ['model/model.json', 'model/weights.bin', 'config.json', 'metrics.json', 'confusion.csv']) {
    assert.ok(statSync(join(out, file)).size > 0, `${file} written`);
  }
  // stderr is not a terminal here: one line per epoch instead of a bar.
  assert.match(first.stderr, /epoch 1\/2: loss [\d.]+, accuracy [\d.]+, validation macro-F1 [\d.]+/);
  assert.match(first.stderr, /epoch 2\/2/);
  assert.match(first.stdout, /accuracy/);
  assert.match(first.stdout, /minority recall \(5 classes\)/);
  assert.match(first.stdout, new RegExp(`Saved to ${out.replace(/[/\\.]/g, '\\$&')}`));

  const config = readJson<RunFolderConfig>(join(out, 'config.json'));
  assert.equal(config.config.dataset, 'gaussians');
  assert.equal(config.config.method, 'affinity');
  assert.equal(config.config.epochs, 2);
  assert.equal(config.config.learningRate, 0.02);
  assert.equal(config.config.recipe, 'none');
  assert.equal(config.version, readJson<{ version: string }>('package.json').version);
  assert.equal(config.backend, 'wasm');
  assert.deepEqual(config.inputShape, [2]);
  assert.deepEqual(config.minorityClasses, [5, 6, 7, 8, 9]);

  const metrics = readJson<RunMetrics>(join(out, 'metrics.json'));
  assert.equal(metrics.selection, 'validation balanced-macro-f1');
  assert.equal(metrics.history.length, 2);
  assert.ok(metrics.bestEpoch === 1 || metrics.bestEpoch === 2);
  assert.equal(metrics.diverged, undefined);
  for (const report of [metrics.last!, metrics.best]) {
    assert.equal(report.samples, 1000);
    for (const value of [report.accuracy, report.macroF1, report.balancedAccuracy, report.gMean, ...report.perClassRecall]) {
      assert.ok(value >= 0 && value <= 1, `metric ${value} in [0, 1]`);
    }
  }
  assert.ok(metrics.best.accuracy > 0.4, `best accuracy ${metrics.best.accuracy} is far above chance (0.1)`);
  assert.ok(metrics.best.macroF1 > 0.3, `best macro-F1 ${metrics.best.macroF1}`);

  const [header, ...rows] = readFileSync(join(out, 'confusion.csv'), 'utf8').trim().split('\n');
  assert.equal(header, `true \\ predicted,${config.classNames.join(',')}`);
  assert.equal(rows.length, 10);
  const matrix = rows.map((row, id) => {
    const [name, ...cells] = row.split(',');
    assert.equal(name, config.classNames[id]);
    return cells.map(Number);
  });
  assert.deepEqual(matrix, metrics.best.confusion);
});

test('the same config in the same folder retrains and gives the same numbers', () => {
  assert.equal(first.status, 0, first.stderr);
  const before = readJson<RunMetrics>(join(out, 'metrics.json'));
  const modelTime = statSync(join(out, 'model', 'weights.bin')).mtimeMs;
  const again = run('train', ...QUICK, '--out', out, '--quiet');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stderr, '', '--quiet prints no progress');
  assert.ok(statSync(join(out, 'model', 'weights.bin')).mtimeMs > modelTime, 'the model was rewritten');
  const after = readJson<RunMetrics>(join(out, 'metrics.json'));
  assert.deepEqual(after.last, before.last);
  assert.deepEqual(after.best, before.best);
  assert.equal(after.bestEpoch, before.bestEpoch);
  assert.deepEqual(after.history.map((epoch) => epoch.loss), before.history.map((epoch) => epoch.loss));
});

test('another config in a finished run folder is refused, leaving it as it was, and runs with --force', () => {
  const folder = join(root, 'forced');
  const base = ['--dataset', 'gaussians', '--method', 'softmax', '--epochs', '1', '--batch-size', '64', '--feature-width', '8', '--quiet'];
  assert.equal(run('train', ...base, '--out', folder).status, 0);
  const files = snapshot(folder);

  const refused = run('train', ...base, '--epochs', '2', '--seed', '3', '--out', folder);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /affinity: .*config\.json holds a run of a different config \(.*\).*--force/);
  assert.match(refused.stderr, /epochs: 1 there, 2 now/);
  assert.match(refused.stderr, /seed: 1 there, 3 now/);
  assert.deepEqual(snapshot(folder), files, 'nothing in the folder changed');

  const forced = run('train', ...base, '--epochs', '2', '--seed', '3', '--out', folder, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  const config = readJson<RunFolderConfig>(join(folder, 'config.json'));
  assert.equal(config.config.epochs, 2);
  assert.equal(config.config.seed, 3);
  assert.equal(readJson<RunMetrics>(join(folder, 'metrics.json')).history.length, 2);
});

test('a folder holding other files is not written to without --force', () => {
  const folder = join(root, 'other');
  mkdirSync(folder);
  writeFileSync(join(folder, 'notes.txt'), 'mine');
  const refused = run('train', '--dataset', 'gaussians', '--epochs', '1', '--quiet', '--out', folder);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /holds files that are not a run's \(notes\.txt\)/);
  assert.deepEqual(readdirSync(folder), ['notes.txt']);
});

test('bad options exit with 2 and a message naming the problem, before anything is written', async () => {
  const cases: [string[], RegExp][] = [
    [['--epochs', '-1'], /--epochs <n>' argument '-1' is invalid\. epochs must be an integer >= 1, got -1/],
    [['--sigma', '0'], /--sigma <s>' argument '0' is invalid\. sigma must be a finite number > 0, got 0/],
    [['--imbalance', 'step:oops'], /--imbalance <recipe>' argument 'step:oops' is invalid\. bad imbalance spec "step:oops"/],
    [['--method', 'nosuch'], /--method <name>' argument 'nosuch' is invalid\. unknown method "nosuch"; valid methods: softmax, .*affinity, affinity-m5/],
    [['--dataset', 'nosuch'], /--dataset <name>' argument 'nosuch' is invalid\. Allowed choices are mnist, .*gaussians, image-folder/],
    [['--workers', String(availableParallelism() + 1)], new RegExp(`--workers <n>' argument '${availableParallelism() + 1}' is invalid\\. workers ${availableParallelism() + 1} is more than this machine's ${availableParallelism()} cores`)],
  ];
  const folder = (args: string[]) => join(root, `bad${args.join('')}`);
  const results = await Promise.all(cases.map(([args]) => runAsync('train', '--dataset', 'gaussians', ...args, '--out', folder(args))));
  cases.forEach(([args, message], i) => {
    assert.equal(results[i].status, 2, `${args.join(' ')}: ${results[i].stderr}`);
    assert.match(results[i].stderr, message, args.join(' '));
    assert.ok(!existsSync(folder(args)), `${args.join(' ')}: no output folder`);
  });
});

/** A tmpfs of `size` mounted at a new folder (as root), or undefined where mounting is not allowed. */
function tinyFileSystem(size: string, options = ''): { path: string; unmount(): void } | undefined {
  const path = mkdtempSync(join(root, 'mount-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${options}`, 'tmpfs', path]);
  if (mounted.status !== 0) return undefined;
  return { path, unmount: () => void spawnSync('umount', [path]) };
}
const canMount = tinyFileSystem('64k');
canMount?.unmount();
const NEEDS_MOUNT = canMount === undefined ? 'mounting a tmpfs needs root' : false;

test('an --out that cannot be made or written fails at once with exit 2, naming the path and why, before training', async () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'not a folder');
  const cases: [string, RegExp][] = [
    // Node's recursive mkdir never returns for this path.
    ['/proc/affinity-no-such/run', /--out \/proc\/affinity-no-such\/run: cannot create \/proc\/affinity-no-such: no such file or folder \(ENOENT\)/],
    [join(file, 'run'), /a part of the path is a file, not a folder \(ENOTDIR\)/],
  ];
  const results = await Promise.all(cases.map(([out]) => runAsync('train', ...QUICK, '--out', out)));
  cases.forEach(([out, message], i) => {
    assert.equal(results[i].status, 2, `${out}: ${results[i].stderr}`);
    assert.match(results[i].stderr, message);
    assert.doesNotMatch(results[i].stderr, /epoch|\n\s+at /, 'no training, no stack trace');
  });
});

test('a run refused for its data leaves no output folder behind', () => {
  const out = join(root, 'empty-class');
  const refused = run('train', ...QUICK, '--imbalance', 'step:0:0', '--out', out);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /leaves class blob 0 with no training rows/);
  assert.equal(existsSync(out), false);
});

test('a read-only --out fails before training with exit 2', { skip: NEEDS_MOUNT }, () => {
  const readOnly = tinyFileSystem('64k', ',ro')!;
  try {
    const refused = run('train', ...QUICK, '--out', join(readOnly.path, 'run'));
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /cannot create .*run: read-only file system \(EROFS\)/);
    assert.doesNotMatch(refused.stderr, /epoch/);
  } finally {
    readOnly.unmount();
  }
});

test('a retrain that fills the disk while saving leaves the finished run as it was', { skip: NEEDS_MOUNT }, () => {
  const disk = tinyFileSystem('512k')!;
  try {
    const out = join(disk.path, 'run');
    assert.equal(run('train', ...QUICK, '--quiet', '--out', out).status, 0);
    const before = snapshot(out);
    // Leave room for the write check (one 4 KiB page), not for a model and its metrics.
    const { bavail, bsize } = statfsSync(disk.path);
    writeFileSync(join(disk.path, 'filler'), Buffer.alloc(Math.max(0, bavail * bsize - 8192)));
    const retrained = run('train', ...QUICK, '--quiet', '--out', out);
    assert.equal(retrained.status, 2, retrained.stderr);
    assert.match(retrained.stderr, /cannot write the new files into .*run, whose old ones are kept as they were: no space left on the device \(ENOSPC\)/);
    assert.deepEqual(snapshot(out), before, 'the old run is untouched');
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'confusion.csv', 'metrics.json', 'model']);
    assert.equal(run('eval', '--model', out).status, 0, 'the old model still evaluates');
  } finally {
    disk.unmount();
  }
});

test('a run that diverges after a good epoch saves the best epoch before it, notes it in metrics.json, and exits 2', () => {
  const out = join(root, 'diverged');
  // SGD at lr 1.1 on the blobs: finite for an epoch or two, then past the loss bound.
  const diverged = run('train', '--dataset', 'gaussians', '--epochs', '8', '--batch-size', '64', '--feature-width', '16', '--optimizer', 'sgd', '--lr', '1.1', '--method', 'softmax', '--workers', '1', '--quiet', '--out', out);
  assert.equal(diverged.status, 2, diverged.stderr);
  assert.match(diverged.stderr, /affinity: training diverged: training loss reached .* past its bound .* Saved the model of epoch \d to /);
  assert.match(diverged.stdout, /for \d of 8 epochs before it diverged/);
  const metrics = readJson<RunMetrics>(join(out, 'metrics.json'));
  assert.ok(metrics.diverged !== undefined && metrics.diverged.epoch >= 2, JSON.stringify(metrics.diverged));
  assert.ok(metrics.bestEpoch >= 1 && metrics.bestEpoch <= metrics.diverged.lastGoodEpoch);
  assert.equal(metrics.history.length, metrics.diverged.lastGoodEpoch);
  assert.equal(metrics.last, undefined);
  const evaluated = run('eval', '--model', out);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.match(evaluated.stdout, new RegExp(`accuracy\\s+${(metrics.best.accuracy * 100).toFixed(2)} %`));
});

test('train --help lists every option with its default, the datasets, the losses and examples', () => {
  const help = run('train', '--help');
  assert.equal(help.status, 0);
  for (const option of [
    '--dataset', '--data-path', '--imbalance', '--noise', '--method', '--backbone', '--feature-width', '--epochs', '--batch-size',
    '--optimizer', '--lr', '--weight-decay', '--schedule', '--sampling', '--validation', '--train-fraction', '--seed', '--sigma',
    '--margin', '--prototypes', '--center-weight', '--out', '--force', '--quiet',
  ]) {
    assert.match(help.stdout, new RegExp(`${option}\\b`), option);
  }
  // Commander wraps the help to the terminal width, possibly inside "(default: ...)".
  assert.match(help.stdout, /\(default:\s+mnist\)/);
  assert.match(help.stdout, /\(default:\s+affinity\)/);
  assert.match(help.stdout, /\(default:\s+10\)/);
  // A head setting's default is the method's, listed from the methods' table.
  assert.match(help.stdout, /--prototypes <m>[^]*\(default:\s+1;\s+5\s+for\s+affinity-m5\)/);
  assert.match(help.stdout, /--prior-correction <tau>[^]*\(default:\s+0;\s+auto\s+for\s+affinity-lt,\s+affinity-ce\)/);
  assert.match(help.stdout, /gaussians +synthetic Gaussian blobs/);
  assert.match(help.stdout, /ldam-drw +LDAM with deferred/);
  assert.match(help.stdout, /Examples:\n {2}\$ affinity train .*\n {2}\$ affinity train /);
});

test('--config retrains a saved config, flags given on the command line override it, unknown fields are refused', () => {
  assert.equal(first.status, 0, first.stderr);
  const saved = readJson<RunFolderConfig>(join(out, 'config.json'));
  const again = join(root, 'from-config');
  const replay = run('train', '--config', join(out, 'config.json'), '--out', again, '--quiet');
  assert.equal(replay.status, 0, replay.stderr);
  assert.deepEqual(readJson<RunFolderConfig>(join(again, 'config.json')).config, saved.config, 'the same config, not the flag defaults');
  assert.deepEqual(readJson<RunMetrics>(join(again, 'metrics.json')).last, readJson<RunMetrics>(join(out, 'metrics.json')).last);

  const longer = join(root, 'from-config-longer');
  assert.equal(run('train', '--config', join(out, 'config.json'), '--epochs', '3', '--noise', 'sym:0.2', '--out', longer, '--quiet').status, 0);
  const changed = readJson<RunFolderConfig>(join(longer, 'config.json')).config;
  assert.deepEqual(changed, { ...saved.config, epochs: 3, recipe: 'noise:sym:0.2' });

  const bad = join(root, 'bad-config.json');
  writeFileSync(bad, JSON.stringify({ dataset: 'gaussians', method: 'softmax', sigmaa: 3 }));
  const refused = run('train', '--config', bad, '--out', join(root, 'never'));
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /unknown field sigmaa; known: dataset, datasetPath/);
  assert.equal(existsSync(join(root, 'never')), false);
});
