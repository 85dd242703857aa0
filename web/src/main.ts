/**
 * The demo page: starts a backend, builds the network for the chosen data and head, and runs
 * one loop that trains a few steps, evaluates on the test set and draws, once per frame.
 *
 * All tensor work happens in that loop, one frame at a time, so a rebuild (new head, new data)
 * never races a training step: controls only set flags the loop picks up.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, startBackend, type BackendName } from './backend';
import { HistoryChart, RecallBars } from './charts';
import { Controls, REBUILD_KEYS, settingsFromQuery, type DemoSettings } from './controls';
import { folderDatasetLabel, loadDemoData } from './data';
import { publish } from './hooks';
import { renderLegend } from './legend';
import { buildDemoModel, classMarginsOf, HEAD_LABELS } from './model';
import { LiveTrainer, type LiveSettings } from './trainer';
import { FeatureView } from './view';

/** Rows per optimizer step. */
const BATCH_SIZE = 64;
/** ReLU layers before the 2-D feature layer: small for 2-D blobs, wider for 196 pixels. */
const HIDDEN_UNITS = { blobs: [32, 32], mnist: [128, 64], folder: [128, 64] } as const;

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page lacks #${id}`);
  return found as T;
}

const query = new URLSearchParams(window.location.search);
const seedParameter = Number(query.get('seed') ?? NaN);
const seed = Number.isSafeInteger(seedParameter) && seedParameter >= 0 ? seedParameter : 1;
const statusLine = byId<HTMLElement>('status');
const backendBadge = byId<HTMLElement>('backend');
const view = new FeatureView(byId<HTMLCanvasElement>('features'));
const recallBars = new RecallBars(byId<HTMLElement>('recall'));
const history = new HistoryChart(byId<HTMLCanvasElement>('history'));

let trainer: LiveTrainer | null = null;
let running = false;
let rebuildWanted = true;
let drawWanted = false;
let busy = false;
const stepTimes: number[] = [];

const controls = new Controls(byId<HTMLFormElement>('controls'), settingsFromQuery(query), {
  change(settings, key) {
    if (REBUILD_KEYS.has(key)) rebuildWanted = true;
    else trainer?.update(liveSettings(settings));
    drawWanted = true; // the band follows the margin even while paused
  },
  start: () => setRunning(true),
  pause: () => setRunning(false),
  reset() {
    rebuildWanted = true;
  },
});

function liveSettings(settings: DemoSettings): LiveSettings {
  return { learningRate: settings.learningRate, margin: settings.margin, centerWeight: settings.centerWeight };
}

function setRunning(value: boolean): void {
  running = value;
  controls.setRunning(value);
  if (trainer !== null) publish({ phase: value ? 'running' : 'paused' });
}

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error);
  setRunning(false);
  statusLine.textContent = `error: ${message}`;
  statusLine.classList.add('error');
  publish({ phase: 'error', error: message });
}

/** A new network for the current settings (same seed: Reset starts from the same weights). */
async function rebuild(): Promise<void> {
  const settings = controls.settings;
  statusLine.textContent = settings.dataset === 'blobs' ? 'building…' : 'loading images…';
  const data = await loadDemoData(settings.dataset, settings.minorityFraction);
  trainer?.dispose();
  trainer = null;
  const model = buildDemoModel({
    head: settings.head,
    inputSize: data.inputSize,
    classes: data.classNames.length,
    hiddenUnits: [...HIDDEN_UNITS[settings.dataset]],
    sigma: settings.sigma,
    prototypesPerClass: settings.prototypesPerClass,
    diversityWeight: settings.diversityWeight,
    trainCounts: data.trainCounts,
    seed,
  });
  trainer = new LiveTrainer(model, data, liveSettings(settings), BATCH_SIZE, seed);
  view.resetWindow();
  renderLegend(byId('legend'), data, settings.head);
  recallBars.setClasses(data);
  history.reset(data.classNames.length);
  stepTimes.length = 0;
  publish({ phase: running ? 'running' : 'ready', dataset: settings.dataset, head: settings.head, step: 0, error: null });
}

/** Steps per second over the last second. */
function stepsPerSecond(now: number, steps: number): number {
  for (let i = 0; i < steps; i++) stepTimes.push(now);
  while (stepTimes.length > 0 && stepTimes[0] < now - 1000) stepTimes.shift();
  return stepTimes.length;
}

/** One frame: rebuild if asked, train a few steps if running, evaluate and draw. */
async function frame(): Promise<void> {
  if (rebuildWanted) {
    rebuildWanted = false;
    await rebuild();
    drawWanted = true;
  }
  if (trainer === null) return;
  const settings = controls.settings;
  let steps = 0;
  if (running) {
    for (; steps < settings.speed; steps++) trainer.trainStep();
    drawWanted = true;
  }
  if (!drawWanted) return;
  drawWanted = false;
  const snapshot = await trainer.evaluate(view.gridRequest());
  view.draw(snapshot, {
    head: settings.head,
    classMargins: classMarginsOf(settings.head, settings.margin, trainer.data.trainCounts),
    sigma: settings.sigma,
    minority: trainer.data.minority,
  });
  recallBars.update(snapshot.recall);
  if (snapshot.step > 0) history.add({ step: snapshot.step, macroF1: snapshot.macroF1, accuracy: snapshot.accuracy });
  const rate = stepsPerSecond(performance.now(), steps);
  const loss = Number.isFinite(snapshot.loss) ? snapshot.loss.toFixed(3) : '–';
  statusLine.classList.remove('error');
  statusLine.textContent =
    `${HEAD_LABELS[settings.head]} · step ${snapshot.step} · loss ${loss} · accuracy ${(snapshot.accuracy * 100).toFixed(1)}%` +
    ` · macro-F1 ${snapshot.macroF1.toFixed(3)}${running ? ` · ${rate} steps/s` : ''}`;
  publish(
    {
      step: snapshot.step,
      accuracy: snapshot.accuracy,
      macroF1: snapshot.macroF1,
      recall: snapshot.recall,
      loss: snapshot.loss,
      tensors: tf.memory().numTensors,
      stepsPerSecond: rate,
    },
    snapshot.features,
  );
}

function loop(): void {
  if (!busy) {
    busy = true;
    frame()
      .catch(showError)
      .finally(() => (busy = false));
  }
  requestAnimationFrame(loop);
}

/** Offers the user's own image folder in the dataset menu when `npm run web:data -- --data-path DIR` made its asset. */
async function offerFolderDataset(): Promise<void> {
  const label = await folderDatasetLabel();
  if (label === null) return;
  const option = document.createElement('option');
  option.value = 'folder';
  option.textContent = label;
  const select = byId<HTMLSelectElement>('dataset');
  select.append(option);
  // A link that asked for the folder (?dataset=folder) shows it selected once it exists.
  select.value = controls.settings.dataset;
}

async function main(): Promise<void> {
  publish({ phase: 'loading' });
  await offerFolderDataset();
  const asked = query.get('backend');
  const preferred = (BACKEND_NAMES as readonly string[]).includes(asked ?? '') ? (asked as BackendName) : undefined;
  const backend = await startBackend(preferred);
  backendBadge.textContent = `backend: ${backend.name}`;
  backendBadge.dataset.backend = backend.name;
  backendBadge.title = backend.skipped.length === 0 ? 'TensorFlow.js backend in use' : backend.skipped.map((s) => `${s.name}: ${s.reason}`).join('\n');
  if (backend.name !== 'webgl' && backend.skipped.length > 0) backendBadge.textContent += ' (no WebGL)';
  publish({ backend: backend.name });
  if (query.get('autostart') === '1') setRunning(true);
  loop();
}

main().catch(showError);
