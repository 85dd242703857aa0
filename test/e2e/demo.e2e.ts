/**
 * End-to-end test of the web demo: the built page (web/dist, from `npm run build:web`) in
 * headless Chromium. It trains on the blobs and checks that the features moved, that accuracy
 * is well above chance and that no tensor leaks; then MNIST on the wasm backend, with a head
 * switch mid-training; then a folder of the user's own images prepared by `npm run web:data --
 * --data-path`. Screenshots go to test-output/e2e/.
 *
 * Run with `npm run test:e2e` (builds first). Not part of `npm test`: it needs a browser.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import type { DemoState } from '../../web/src/hooks.js';
import { FOLDER_ASSET_FILE } from '../../web/src/imageAsset.js';
import { mnistDigits, writeImages } from '../../packages/affinity-loss-node/test/data/images.js';
import { launchChromium } from './browser.js';
import { serveStatic, type StaticServer } from './server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'web', 'dist');
const OUTPUT = join(ROOT, 'test-output', 'e2e');
const TIMEOUT = 60_000;

/** The page's state as plain data (the positions read out). */
type StateData = Omit<DemoState, 'positions'> & { positions: number[] };

let server: StaticServer;
let browser: Browser;

before(async () => {
  try {
    await access(join(DIST, 'index.html'));
  } catch {
    throw new Error('web/dist is missing: run `npm run build:web` first (npm run test:e2e does)');
  }
  await mkdir(OUTPUT, { recursive: true });
  server = await serveStatic(DIST);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the demo with URL parameters; collects page errors; waits for the first drawing. */
async function openDemo(query: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(`${server.url}?${query}`);
  // Strings, not functions: tsx would add helper calls the page does not have.
  await page.waitForFunction('window.__demo?.samples > 0 || window.__demo?.phase === "error"', null, { timeout: TIMEOUT });
  return { page, errors };
}

async function state(page: Page): Promise<StateData> {
  return (await page.evaluate('({ ...window.__demo, positions: window.__demo.positions() })')) as StateData;
}

async function waitForStep(page: Page, step: number): Promise<void> {
  await page.waitForFunction(`window.__demo.step >= ${step} || window.__demo.phase === "error"`, null, { timeout: TIMEOUT });
}

async function pause(page: Page): Promise<StateData> {
  await page.click('#pause');
  await page.waitForFunction('window.__demo.phase === "paused"', null, { timeout: TIMEOUT });
  // One more frame, so the published state is the paused network's.
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
  return state(page);
}

/** Mean distance each point moved between two snapshots of the positions. */
function meanDisplacement(before: number[], after: number[]): number {
  assert.equal(before.length, after.length);
  let total = 0;
  for (let i = 0; i < before.length; i += 2) total += Math.hypot(after[i] - before[i], after[i + 1] - before[i + 1]);
  return total / (before.length / 2);
}

test('blobs, affinity head: training moves the features and beats chance', async () => {
  const { page, errors } = await openDemo('speed=10');
  const start = await state(page);
  assert.ok(['webgl', 'wasm', 'cpu'].includes(start.backend), `backend ${start.backend}`);
  assert.equal(start.head, 'affinity');
  assert.equal(start.step, 0);
  assert.equal(start.samples, 900, '6 classes x 150 test samples');
  assert.match(await page.textContent('#backend') ?? '', new RegExp(start.backend));
  const legend = (await page.textContent('#legend')) ?? '';
  assert.match(legend, /minority/);
  assert.match(legend, /prototype/);

  await page.click('#start');
  await waitForStep(page, 50);
  const early = await state(page);
  await waitForStep(page, 200);
  const end = await pause(page);
  await page.screenshot({ path: join(OUTPUT, 'demo-blobs.png') });

  assert.equal(end.phase, 'paused', end.error ?? '');
  assert.ok(end.step >= 200, `step ${end.step}`);
  const moved = meanDisplacement(start.positions, end.positions);
  assert.ok(moved > 0.1, `the features moved by ${moved.toFixed(3)} on average`);
  const chance = 1 / 6;
  assert.ok(end.accuracy > chance + 0.35, `accuracy ${end.accuracy} vs chance ${chance.toFixed(3)}`);
  assert.ok(end.macroF1 > 0.4, `macro-F1 ${end.macroF1}`);
  assert.equal(end.recall.length, 6);
  assert.ok(Number.isFinite(end.loss), `loss ${end.loss}`);
  assert.equal(end.tensors, early.tensors, 'tensor count flat between step 50 and the end');
  assert.deepEqual(errors, []);
  console.log(`blobs on ${end.backend}: step ${end.step}, accuracy ${end.accuracy.toFixed(3)}, macro-F1 ${end.macroF1.toFixed(3)}, moved ${moved.toFixed(2)}`);
  await page.close();
});

test('MNIST subset on wasm: trains, then switches head mid-run', async () => {
  const { page, errors } = await openDemo('backend=wasm&dataset=mnist&head=softmax&speed=10');
  const start = await state(page);
  assert.equal(start.backend, 'wasm');
  assert.equal(start.dataset, 'mnist');
  assert.equal(start.samples, 1000, '10 digits x 100 test images');

  await page.click('#start');
  await waitForStep(page, 150);
  const softmax = await state(page);
  assert.ok(softmax.accuracy > 0.25, `accuracy ${softmax.accuracy} vs chance 0.1`);

  await page.click('input[name="head"][value="center-loss"]');
  await page.waitForFunction('window.__demo.head === "center-loss" && window.__demo.step >= 20', null, { timeout: TIMEOUT });
  assert.match((await page.textContent('#legend')) ?? '', /class centre/);
  const end = await pause(page);
  await page.screenshot({ path: join(OUTPUT, 'demo-mnist.png') });
  assert.equal(end.head, 'center-loss');
  assert.ok(end.step < softmax.step + 200, 'the switch started a new network');
  assert.deepEqual(errors, []);
  console.log(`mnist on wasm: softmax accuracy ${softmax.accuracy.toFixed(3)} at step ${softmax.step}`);
  await page.close();
});

test('an image folder prepared with web:data --data-path is offered under its name and trains', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'affinity-demo-folder-'));
  const digits = await mnistDigits(30, 4);
  for (const [id, name] of ['circle', 'stroke', 'swan', 'tripod'].entries()) await writeImages(join(folder, 'shapes', name), digits[id], 'png');
  // Into the built page's folder, as `npm run web:data -- --data-path` then `npm run build:web` would put it.
  const made = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/prepare-demo-data.ts', '--data-path', join(folder, 'shapes'), '--out', DIST], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  try {
    const { page, errors } = await openDemo('backend=cpu&dataset=folder&head=affinity&speed=10');
    const start = await state(page);
    assert.equal(start.dataset, 'folder');
    assert.equal(start.samples, 24, '4 classes x 6 test images (20% of 30)');
    assert.equal(start.recall.length, 4);
    assert.equal(await page.textContent('#dataset option[value="folder"]'), 'shapes, 14 x 14 (4 classes)');
    assert.match((await page.textContent('#legend')) ?? '', /swan/);
    await page.click('#start');
    await waitForStep(page, 30);
    const end = await pause(page);
    assert.ok(Number.isFinite(end.loss), `loss ${end.loss}`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    // The built page as it was: MNIST only, and a list of image sets that says so.
    await rm(join(DIST, FOLDER_ASSET_FILE), { force: true });
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/prepare-demo-data.ts', '--out', DIST], { cwd: ROOT });
    await rm(folder, { recursive: true, force: true });
  }
});
