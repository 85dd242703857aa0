/**
 * A user's production bundle: a page that imports one function of the built library
 * (`predictClasses` from 'affinity-loss', through its package.json as a user's bundler sees it,
 * not the sources), built with `vite build`, loads a model with the affinity head saved from
 * Node, in headless Chromium. Rollup keeps a module only for its used exports unless the
 * package says it has side effects, so this fails with `Unknown layer: GaussianAffinity` when
 * the registering modules, or the index files that import them, are missing from `sideEffects`.
 *
 * Run by `npm run test:e2e`, which builds the packages first (`npm run build`).
 */
import assert from 'node:assert/strict';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { GaussianAffinity } from 'affinity-loss';
import { fileSystemHandler } from 'affinity-loss-node';
import { launchChromium } from './browser.js';
import { serveStatic, type StaticServer } from './server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Inside the repository, so that the app resolves packages from its node_modules as an installed app would.
const APP = join(ROOT, 'test-output', 'bundle-app');
const INPUTS = [[0.5, -1, 2, 0.1], [-2, 0.3, 0.2, 1], [1, 1, -1, -1]];

let server: StaticServer;
let browser: Browser;
let expected: number[] = [];

before(async () => {
  await rm(APP, { recursive: true, force: true });
  await mkdir(join(APP, 'src'), { recursive: true });
  // The model, made and saved in Node with the library's own head.
  await tf.setBackend('cpu');
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }), new GaussianAffinity({ classes: 3, prototypesPerClass: 2, sigma: 8 })] });
  expected = Array.from(tf.argMax(model.predict(tf.tensor2d(INPUTS)) as tf.Tensor, 1).dataSync());
  await model.save(fileSystemHandler(`file://${join(APP, 'public', 'model')}`));

  await writeFile(join(APP, 'index.html'), '<!doctype html><html><body><script type="module" src="./src/main.js"></script></body></html>\n');
  await writeFile(
    join(APP, 'src', 'main.js'),
    `import * as tf from '@tensorflow/tfjs';
import { predictClasses } from 'affinity-loss';
window.__result = (async () => {
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel('./model/model.json');
  return Array.from(predictClasses(model.predict(tf.tensor2d(${JSON.stringify(INPUTS)}))).dataSync());
})().catch((error) => ({ error: String(error) }));
`,
  );
  // The production build, with the conditions a user's Vite has (not this repository's source one).
  await build({ root: APP, base: './', logLevel: 'warn', configFile: false, publicDir: false, build: { outDir: join(APP, 'dist'), emptyOutDir: true } });
  await cp(join(APP, 'public', 'model'), join(APP, 'dist', 'model'), { recursive: true });
  server = await serveStatic(join(APP, 'dist'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('a Vite production build that imports only predictClasses loads a saved affinity model and predicts as Node did', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(server.url);
  const result = await page.evaluate('window.__result');
  assert.deepEqual(result, expected);
  assert.deepEqual(errors, []);
  await page.close();
});
