/**
 * The packages as a user gets them: `npm pack` in each package of a fresh checkout (its
 * prepack builds it and what it depends on), the tarballs installed into new projects, and the
 * README's examples run there, not from this repository.
 * - The library alone adds itself and nothing else beyond tfjs (the dependency budget: at most
 *   5 MB, no plotting, dataset, CLI or worker-pool package), and loads with import and require.
 * - With the Node toolkit, a model with the affinity head trains, saves through file:// and loads
 *   back to the same predictions.
 * - The experiment app installs the `affinity` command.
 * Slow (a build and two installs, about a minute or two), as the real thing is.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['affinity-loss', 'tfjs-wasm-training', 'affinity-loss-node', 'affinity-loss-cli'];
const TFJS = ['@tensorflow/tfjs@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'];
const work = mkdtempSync(join(tmpdir(), 'affinity-packages-'));
const tarballs: Record<string, string> = {};
after(() => rmSync(work, { recursive: true, force: true }));

// The user's environment, not this repository's (whose .npmrc points imports at the sources).
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|NODE_OPTIONS$)/i.test(key)));
const npm = (cwd: string, ...args: string[]) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, env: userEnv, encoding: 'utf8' });
const node = (cwd: string, file: string) => spawnSync(process.execPath, [file], { cwd, env: userEnv, encoding: 'utf8' });

function project(name: string, dependencies: string[]): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  npm(dir, 'install', '--prefer-offline', ...dependencies);
  return dir;
}

function folderBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

before(() => {
  for (const name of PACKAGES) {
    const output = npm(join(ROOT, 'packages', name), 'pack', '--pack-destination', work);
    tarballs[name] = join(work, output.trim().split('\n').pop()!);
  }
});

test('npm pack makes complete tarballs: the built entry, its types, README and LICENSE', () => {
  for (const name of PACKAGES) {
    const listing = execFileSync('tar', ['-tzf', tarballs[name]], { encoding: 'utf8' }).split('\n');
    for (const file of ['package/dist/index.js', 'package/dist/index.d.ts', 'package/README.md', 'package/LICENSE', 'package/package.json']) {
      assert.ok(listing.includes(file), `${name} has ${file}`);
    }
    assert.ok(!listing.some((file) => file.startsWith('package/src/') || file.startsWith('package/test/') || file.endsWith('.tsbuildinfo')), `${name} ships no sources, tests or build state`);
  }
});

test('the library alone adds only itself beyond tfjs, under 5 MB, and loads with import and require', () => {
  const dir = project('library-only', [...TFJS, tarballs['affinity-loss']]);
  const tfjsOnly = project('tfjs-only', TFJS);
  const installed = (at: string) => new Set(readdirSync(join(at, 'node_modules'), { withFileTypes: true }).flatMap((entry) =>
    entry.name.startsWith('@') ? readdirSync(join(at, 'node_modules', entry.name)).map((inner) => `${entry.name}/${inner}`) : entry.name.startsWith('.') ? [] : [entry.name]));
  const added = [...installed(dir)].filter((name) => !installed(tfjsOnly).has(name));
  assert.deepEqual(added, ['affinity-loss']);
  const bytes = folderBytes(join(dir, 'node_modules', 'affinity-loss'));
  assert.ok(bytes < 5 * 2 ** 20, `affinity-loss takes ${(bytes / 2 ** 20).toFixed(2)} MB`);

  writeFileSync(join(dir, 'example.mjs'), `
import * as tf from '@tensorflow/tfjs';
import { GaussianAffinity, affinityLoss, predictClasses } from 'affinity-loss';
await tf.setBackend('cpu');
const x = tf.randomNormal([256, 20], 0, 1, 'float32', 1);
const y = tf.oneHot(tf.argMax(x.slice([0, 0], [-1, 4]), 1), 4);
const model = tf.sequential({ layers: [
  tf.layers.dense({ inputShape: [20], units: 32, activation: 'relu' }),
  tf.layers.batchNormalization(),
  new GaussianAffinity({ classes: 4, prototypesPerClass: 2, sigma: 32 }),
]});
model.compile({ optimizer: tf.train.adam(1e-2), loss: affinityLoss({ margin: 0.3 }) });
await model.fit(x, y, { epochs: 20, batchSize: 64, verbose: 0 });
const classes = predictClasses(model.predict(x));
const accuracy = tf.mean(tf.equal(classes, tf.argMax(y, 1))).dataSync()[0];
console.log(JSON.stringify({ accuracy }));
`);
  const run = node(dir, 'example.mjs');
  assert.equal(run.status, 0, run.stderr);
  const { accuracy } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { accuracy: number };
  assert.ok(accuracy > 0.6, `the README example learns: accuracy ${accuracy} against 0.25 for chance`);

  writeFileSync(join(dir, 'required.cjs'), "const { GaussianAffinity } = require('affinity-loss'); console.log(typeof GaussianAffinity);");
  const required = node(dir, 'required.cjs');
  assert.equal(required.status, 0, required.stderr);
  assert.equal(required.stdout.trim(), 'function');
});

test('with the Node toolkit a model trains on wasm, saves through file:// and loads back to the same predictions; the app installs `affinity`', () => {
  const dir = project('node-and-cli', [...TFJS, tarballs['affinity-loss'], tarballs['tfjs-wasm-training'], tarballs['affinity-loss-node'], tarballs['affinity-loss-cli']]);
  writeFileSync(join(dir, 'roundtrip.mjs'), `
import * as tf from '@tensorflow/tfjs';
import { GaussianAffinity, affinityLoss } from 'affinity-loss';
import { useNodeBackend } from 'affinity-loss-node';
const { backend } = await useNodeBackend({ workload: 'dense', quiet: true });
const x = tf.randomNormal([128, 8], 0, 1, 'float32', 2);
const y = tf.oneHot(tf.argMax(x.slice([0, 0], [-1, 3]), 1), 3);
const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: 16 }), new GaussianAffinity({ classes: 3, sigma: 18 })] });
model.compile({ optimizer: 'adam', loss: affinityLoss({ margin: 0.3 }) });
await model.fit(x, y, { epochs: 2, verbose: 0 });
await model.save('file://./saved');
const loaded = await tf.loadLayersModel('file://./saved/model.json');
const same = tf.equal(loaded.predict(x), model.predict(x)).all().dataSync()[0] === 1;
console.log(JSON.stringify({ backend, same }));
`);
  const run = node(dir, 'roundtrip.mjs');
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop()!), { backend: 'wasm', same: true });

  const help = spawnSync(join(dir, 'node_modules', '.bin', 'affinity'), ['--help'], { cwd: dir, env: userEnv, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const command of ['train', 'eval', 'bench', 'report', 'tune', 'worker', 'queue']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
});
