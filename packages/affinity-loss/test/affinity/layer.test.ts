import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  AffinityConfigError,
  GaussianAffinity,
  NonFiniteError,
  ShapeError,
  affinityLoss,
  diversity,
  gaussianAffinity,
  gaussianLogAffinity,
  maxMarginLoss,
} from '../../src/index.js';
import { ModelFileError } from '../../src/index.js';
import { SHARE_CALIBRATION } from '../../src/affinity/layer.js';
import 'affinity-loss-node'; // registers the file:// handler
import { assertClose } from '../helpers.js';
import { TEST_BACKEND, useTestBackend } from '../testBackend.js';

let folder = '';
before(async () => {
  tf.enableProdMode();
  await useTestBackend();
  folder = await mkdtemp(join(tmpdir(), 'affinity-layer-'));
});
after(() => rm(folder, { recursive: true, force: true }));

/** Four well-separated 2-D blobs, labels 0..3 in turn. */
function blobs(count: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const labels = tf.tensor1d(Array.from({ length: count }, (_, i) => i % 4), 'int32');
    const centres = tf.tensor2d([[3, 0], [-3, 0], [0, 3], [0, -3]]);
    const x = tf.add(tf.matMul(tf.oneHot(labels, 4).toFloat(), centres), tf.randomNormal([count, 2], 0, 0.5, 'float32', seed));
    return { x: x as tf.Tensor2D, y: tf.oneHot(labels, 4).toFloat() as tf.Tensor2D };
  });
}

function model(options: Partial<ConstructorParameters<typeof GaussianAffinity>[0]> = {}): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [2], units: 8, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      new GaussianAffinity({ classes: 4, prototypesPerClass: 2, sigma: 4, seed: 7, ...options }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(0.05), loss: affinityLoss({ margin: 0.5 }) });
  return m;
}

test('constructor validates every hyper-parameter with a typed error', () => {
  const bad: Array<[object, RegExp]> = [
    [{ classes: 1, sigma: 1 }, /classes must be an integer >= 2, got 1/],
    [{ classes: 2.5, sigma: 1 }, /classes/],
    [{ classes: 3, sigma: 0 }, /sigma must be a finite number > 0, got 0/],
    [{ classes: 3, sigma: -2 }, /sigma/],
    [{ classes: 3, sigma: NaN }, /sigma/],
    [{ classes: 3, sigma: 1, prototypesPerClass: 0 }, /prototypesPerClass must be an integer >= 1, got 0/],
    [{ classes: 3, sigma: 1, diversity: { reduction: 'median' } }, /reduction/],
    [{ classes: 3, sigma: 1, diversity: 'yes' }, /diversity must be/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => new GaussianAffinity(args as never), (e: Error) => e instanceof AffinityConfigError && message.test(e.message), JSON.stringify(args));
  }
});

test('input must be rank 2 features', () => {
  const layer = new GaussianAffinity({ classes: 3, sigma: 1 });
  assert.throws(() => layer.apply(tf.zeros([2, 4, 4])), (e: Error) => e instanceof ShapeError && /flatten/.test(e.message));
  assert.throws(() => layer.prototypes, AffinityConfigError, 'no prototypes before build');
});

test('NaN features and empty batches are refused by the head, its functions and its loss', () => {
  const layer = new GaussianAffinity({ classes: 2, prototypesPerClass: 2, sigma: 4 });
  const clean = tf.tensor2d([[0, 0], [3, 0]]);
  const withNaN = tf.tensor2d([[0, 0], [3, NaN]]);
  const withInfinity = tf.tensor2d([[Infinity, 0], [3, 0]]);
  layer.apply(clean); // builds
  // Inference calls (model.predict) read one flag; training steps leave it to the loss.
  assert.throws(() => layer.apply(withNaN), (e: Error) => e instanceof NonFiniteError && /NaN at row 1, column 1/.test(e.message));
  const w = tf.tensor3d([[[2, 0], [0, 3]], [[1, 1], [3, 3]]]);
  assert.throws(() => gaussianAffinity(withInfinity as tf.Tensor2D, w, 4), (e: Error) => e instanceof NonFiniteError && /Infinity at row 0, column 0/.test(e.message));
  assert.throws(() => gaussianLogAffinity(withNaN as tf.Tensor2D, w, 4), NonFiniteError);
  assert.throws(() => gaussianAffinity(tf.zeros([0, 2]) as tf.Tensor2D, w, 4), (e: Error) => e instanceof ShapeError && /empty batch/.test(e.message));
  const y = tf.tensor1d([0, 1], 'int32');
  assert.throws(() => affinityLoss({ margin: 0.3 })(y, tf.tensor2d([[0.5, NaN], [0.1, 0.9]])), (e: Error) => e instanceof NonFiniteError && /row 0, column 1/.test(e.message));
  assert.throws(() => maxMarginLoss(tf.zeros([0], 'int32'), tf.zeros([0, 2]), 0.3), (e: Error) => e instanceof ShapeError && /empty batch/.test(e.message));
  // The same calls on finite input still work (the guard is not a blanket refusal).
  assert.equal((layer.apply(clean) as tf.Tensor).shape.join(), '2,2');
  assert.ok(Number.isFinite(maxMarginLoss(y, gaussianAffinity(clean as tf.Tensor2D, w, 4), 0.3).dataSync()[0]));
});

test('prototypes: shape (C, m, d), He-normal scale sqrt(2/d), seeded', () => {
  const layer = new GaussianAffinity({ classes: 10, prototypesPerClass: 5, sigma: 1, seed: 3 });
  layer.apply(tf.zeros([1, 128]));
  const w = layer.prototypes.read();
  assert.deepEqual(w.shape, [10, 5, 128]);
  const std = Math.sqrt(tf.moments(w).variance.dataSync()[0]);
  // 6400 draws: the sample std is within 2% of sqrt(2/d) (a truncated normal would give 0.88 of it).
  assert.ok(Math.abs(std / Math.sqrt(2 / 128) - 1) < 0.03, `std ${std}`);
  const again = new GaussianAffinity({ classes: 10, prototypesPerClass: 5, sigma: 1, seed: 3 });
  again.apply(tf.zeros([1, 128]));
  assert.deepEqual(Array.from(again.prototypes.read().dataSync()), Array.from(w.dataSync()));
});

test('the output is the functional affinity of the input and the prototypes', () => {
  const layer = new GaussianAffinity({ classes: 3, prototypesPerClass: 2, sigma: 2, seed: 1 });
  const x = tf.randomNormal([5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
  const out = layer.apply(x) as tf.Tensor;
  assert.deepEqual(out.shape, [5, 3]);
  assert.deepEqual(layer.computeOutputShape([null, 4]), [null, 3]);
  assertClose(out.dataSync(), gaussianAffinity(x, layer.prototypes.read() as tf.Tensor3D, 2).dataSync(), 1e-6, 'A');
});

test('model.fit adds the regularizer once per step, not scaled by the batch size', async () => {
  const m = model();
  m.compile({ optimizer: tf.train.sgd(0), loss: affinityLoss({ margin: 0.5 }) });
  const { x, y } = blobs(4, 1);
  const head = m.layers[1] as GaussianAffinity;
  const expected =
    maxMarginLoss(y, m.predict(x) as tf.Tensor, 0.5).dataSync()[0] + diversity(head.prototypes.read()).dataSync()[0];
  // The same four rows repeated 4 times: the mean hinge is unchanged, so the loss must be too.
  const small = (await m.trainOnBatch(x, y)) as number;
  const large = (await m.trainOnBatch(tf.tile(x, [4, 1]), tf.tile(y, [4, 1]))) as number;
  assertClose([small, large], [expected, expected], 1e-5, 'loss');
  const noRegularizer = model({ diversity: false });
  noRegularizer.compile({ optimizer: tf.train.sgd(0), loss: affinityLoss({ margin: 0.5 }) });
  const hingeOnly = (await noRegularizer.trainOnBatch(x, y)) as number;
  assertClose([hingeOnly], [maxMarginLoss(y, noRegularizer.predict(x) as tf.Tensor, 0.5).dataSync()[0]], 1e-5, 'hinge only');
});

test('trains on separable blobs with plain one-hot labels; memory stays flat', async () => {
  const m = model();
  const { x, y } = blobs(64, 2);
  const first = (await m.trainOnBatch(x, y)) as number;
  const tensorsAfterWarmup = tf.memory().numTensors;
  let last = first;
  for (let step = 0; step < 20; step++) last = (await m.trainOnBatch(x, y)) as number;
  assert.equal(tf.memory().numTensors, tensorsAfterWarmup, 'no tensor leaks across 20 steps');
  assert.ok(last < 0.5 * first, `loss fell from ${first} to ${last}`);
  const predicted = tf.argMax(m.predict(x) as tf.Tensor, 1);
  const accuracy = tf.mean(tf.equal(predicted, tf.argMax(y, 1)).toFloat()).dataSync()[0];
  assert.ok(accuracy > 0.95, `accuracy ${accuracy}`);
});

async function saveToMemory(m: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

test('save and load in memory: same config, same predictions', async () => {
  const m = model({ diversity: { reduction: 'sum', scope: 'acrossClasses' } });
  const { x, y } = blobs(16, 3);
  await m.fit(x, y, { epochs: 2, verbose: 0 });
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(m)));
  const head = loaded.layers[1] as GaussianAffinity;
  assert.ok(head instanceof GaussianAffinity);
  assert.deepEqual(head.getConfig(), m.layers[1].getConfig());
  assert.deepEqual(head.diversity, { reduction: 'sum', squared: true, scope: 'acrossClasses', weight: 1 });
  assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((m.predict(x) as tf.Tensor).dataSync()));
});

test('save and load through file:// (model.json + weights.bin)', async () => {
  const m = model();
  const { x, y } = blobs(16, 4);
  await m.fit(x, y, { epochs: 1, verbose: 0 });
  const path = join(folder, 'model');
  await m.save(`file://${path}`);
  // The model.json path loads with both handlers; the folder itself with ours only (tfjs-node's needs the file).
  const loaded = await tf.loadLayersModel(`file://${join(path, 'model.json')}`);
  assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((m.predict(x) as tf.Tensor).dataSync()));
  if (TEST_BACKEND === 'cpu') assert.equal((await tf.loadLayersModel(`file://${path}`)).layers.length, 2);
});

// On tfjs-node its own file:// handler serves (ours steps aside), with errors of its own.
const OWN_FILE_HANDLER = TEST_BACKEND === 'cpu' || "tfjs-node's file:// handler serves there, with its own errors";

test('a truncated or missing model file gives ModelFileError naming the file', { skip: OWN_FILE_HANDLER === true ? false : OWN_FILE_HANDLER }, async () => {
  const m = model();
  const path = join(folder, 'broken');
  await m.save(`file://${path}`);
  const weights = await readFile(join(path, 'weights.bin'));
  await writeFile(join(path, 'weights.bin'), weights.subarray(0, weights.length - 4));
  await assert.rejects(tf.loadLayersModel(`file://${path}`), (e: Error) => e instanceof ModelFileError && /bytes/.test(e.message));
  await writeFile(join(path, 'model.json'), '{"modelTopology": ');
  await assert.rejects(tf.loadLayersModel(`file://${path}`), (e: Error) => e instanceof ModelFileError && /not valid JSON/.test(e.message));
  await assert.rejects(tf.loadLayersModel(`file://${join(folder, 'nothing-here')}`), (e: Error) => e instanceof ModelFileError && /no model at/.test(e.message));
  await m.save(`file://${path}`);
  const json = JSON.parse(await readFile(join(path, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = ['../elsewhere/weights.bin'];
  await writeFile(join(path, 'model.json'), JSON.stringify(json));
  await assert.rejects(tf.loadLayersModel(`file://${path}`), (e: Error) => e instanceof ModelFileError && /outside its folder/.test(e.message));
});

test("sigma 'auto' is the mean squared feature-prototype distance of the first training call, then fixed and saved", async () => {
  const layer = new GaussianAffinity({ classes: 2, prototypesPerClass: 1, sigma: 'auto', seed: 1 });
  assert.equal(layer.sigmaKnown, false);
  assert.throws(() => layer.sigma, /sigma 'auto' is set at the layer's first training call/);
  // An inference call before training does not fix it (BatchNorm has not seen the data yet).
  tf.dispose(layer.apply(tf.tensor2d([[50, 50]])) as tf.Tensor);
  assert.equal(layer.sigmaKnown, false);
  const features = tf.tensor2d([[0, 0], [3, 4]]);
  const first = layer.apply(features, { training: true }) as tf.Tensor;
  const w = layer.prototypes.read().dataSync();
  // By hand: the mean of ||f_i - w_k||^2 over the 2 x 2 pairs.
  let sum = 0;
  for (const [fx, fy] of [[0, 0], [3, 4]]) for (const k of [0, 1]) sum += (fx - w[2 * k]) ** 2 + (fy - w[2 * k + 1]) ** 2;
  assert.ok(Math.abs(layer.sigma - sum / 4) < 1e-4, `sigma ${layer.sigma} vs ${sum / 4}`);
  // The affinities of that first call already use it.
  const expected = [[0, 0], [3, 4]].flatMap(([fx, fy]) => [0, 1].map((k) => Math.exp(-((fx - w[2 * k]) ** 2 + (fy - w[2 * k + 1]) ** 2) / (sum / 4))));
  assertClose(first.dataSync(), expected, 1e-5, 'affinities');
  // A later batch does not move it, and the config carries the number.
  layer.apply(tf.tensor2d([[100, 100]]), { training: true });
  assert.ok(Math.abs(layer.sigma - sum / 4) < 1e-4);
  assert.equal(layer.getConfig().sigma, layer.sigma);
  assert.equal(new GaussianAffinity({ classes: 2, sigma: 'auto' }).getConfig().sigma, 'auto');
  assert.throws(() => new GaussianAffinity({ classes: 2, sigma: 'automatic' as never }), /sigma must be a number > 0 or 'auto', got "automatic"/);
  tf.dispose([features, first]);
});

test("the data-parallel hook of sigma 'auto' is symbol-keyed: out of the layer's names and config, called by the first training call only", () => {
  const layer = new GaussianAffinity({ classes: 2, sigma: 'auto', seed: 1 });
  const calls: Array<[number, number]> = [];
  layer[SHARE_CALIBRATION] = (mean, rows) => {
    calls.push([mean, rows]);
    return 7;
  };
  assert.ok(!Object.keys(layer).some((key) => /calibration/i.test(key)), 'no named hook on the layer');
  tf.dispose(layer.apply(tf.tensor2d([[50, 50]])) as tf.Tensor);
  assert.equal(calls.length, 0, 'an inference call does not ask the group');
  tf.dispose(layer.apply(tf.tensor2d([[0, 0], [3, 4], [1, 1]]), { training: true }) as tf.Tensor);
  tf.dispose(layer.apply(tf.tensor2d([[1, 2]]), { training: true }) as tf.Tensor);
  // Asked once, with this shard's mean and rows; its answer is the sigma, saved as a number.
  assert.deepEqual(calls.map(([, rows]) => rows), [3]);
  assert.equal(layer.sigma, 7);
  assert.equal(layer.getConfig().sigma, 7);
  assert.ok(!Object.keys(layer.getConfig()).some((key) => /calibration/i.test(key)));
});

test("a model with sigma 'auto' trains, and loads back with the sigma it calibrated", async () => {
  const m = model({ sigma: 'auto' });
  const { x, y } = blobs(64, 5);
  await m.fit(x, y, { epochs: 3, verbose: 0 });
  const head = m.layers[1] as GaussianAffinity;
  assert.ok(head.sigma > 0);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(await saveToMemory(m)));
  assert.equal((loaded.layers[1] as GaussianAffinity).sigma, head.sigma);
  assert.deepEqual(Array.from((loaded.predict(x) as tf.Tensor).dataSync()), Array.from((m.predict(x) as tf.Tensor).dataSync()));
});
