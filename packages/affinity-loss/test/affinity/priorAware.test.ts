import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  AffinityConfigError,
  GaussianAffinity,
  ShapeError,
  affinityLoss,
  choosePriorCorrection,
  gaussianAffinity,
  gaussianLogAffinity,
  maxMarginLoss,
  predictClasses,
  predictClassIds,
  priorCorrectedScores,
} from '../../src/index.js';
import { assertClose, finiteDifferenceGradient, normRelativeError } from '../helpers.js';
import * as ref from './reference.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

const affinities = () => tf.tensor2d([[0.2, 0.9, 0.5], [0.1, 0.3, 0.95]]);

test('class margins by hand: margin (n_min / n_y)^(1/4), the rarest class keeps the margin', () => {
  // counts 16, 1, 81: margins 0.5 * (1/16)^(1/4) = 0.25, 0.5, 0.5 * (1/81)^(1/4) = 0.5 / 3.
  // Row 0, y = 0 (margin 0.25): (0.25 + 0.9 - 0.2) + (0.25 + 0.5 - 0.2) = 1.5.
  // Row 1, y = 2 (margin 1/6): (1/6 + 0.1 - 0.95) < 0, (1/6 + 0.3 - 0.95) < 0: 0. Mean 0.75.
  const loss = maxMarginLoss(tf.tensor1d([0, 2], 'int32'), affinities(), { margin: 0.5, classCounts: [16, 1, 81] });
  assertClose([loss.dataSync()[0]], [0.75], 1e-6, 'loss');
  // Equal counts give the one margin back.
  const even = maxMarginLoss(tf.tensor1d([0, 2], 'int32'), affinities(), { margin: 0.5, classCounts: [5, 5, 5] }).dataSync()[0];
  assertClose([even], [maxMarginLoss(tf.tensor1d([0, 2], 'int32'), affinities(), 0.5).dataSync()[0]], 1e-7, 'even counts');
});

test('class margins: counts checked against the classes, bad counts refused by the factory', () => {
  assert.throws(() => maxMarginLoss(tf.tensor1d([0, 2], 'int32'), affinities(), { margin: 0.5, classCounts: [1, 2] }), ShapeError);
  assert.throws(() => affinityLoss({ margin: 0.5, classCounts: [10, 0, 3] }), (e: Error) => e instanceof AffinityConfigError && /classCounts\[1\]/.test(e.message));
});

test('gradient of the hinge with class margins against float64 finite differences', () => {
  const [N, C, m, d, sigma, margin] = [6, 3, 2, 4, 8, 0.6];
  const counts = [400, 60, 5];
  const margins = counts.map((n) => margin * (Math.min(...counts) / n) ** 0.25);
  const labels = [0, 1, 2, 0, 1, 2];
  const features = tf.randomNormal([N, d], 0, 1.2, 'float32', 21) as tf.Tensor2D;
  const protos = tf.randomNormal([C, m, d], 0, 1.2, 'float32', 22) as tf.Tensor3D;
  const y = tf.tensor1d(labels, 'int32');
  const loss = affinityLoss({ margin, classCounts: counts });
  const total = (f: tf.Tensor, w: tf.Tensor) => loss(y, gaussianAffinity(f as tf.Tensor2D, w as tf.Tensor3D, sigma));
  const [gradF, gradW] = tf.grads(total)([features, protos]);
  const f0 = Array.from(features.dataSync());
  const w0 = Array.from(protos.dataSync());
  const loss64 = (fFlat: number[], wFlat: number[]) =>
    ref.hinge(ref.affinities(ref.nest<number[][]>(fFlat, [N, d]), ref.nest<number[][][]>(wFlat, [C, m, d]), sigma), labels, margins);
  assertClose([total(features, protos).dataSync()[0]], [loss64(f0, w0)], 1e-5, 'loss');
  // The per-class margins matter here: one margin gives another value.
  assert.ok(Math.abs(loss64(f0, w0) - ref.hinge(ref.affinities(ref.nest(f0, [N, d]), ref.nest(w0, [C, m, d]), sigma), labels, margin)) > 1e-3);
  const fdF = finiteDifferenceGradient((f) => loss64(f, w0), f0);
  const fdW = finiteDifferenceGradient((w) => loss64(f0, w), w0);
  assert.ok(fdF.some((g) => Math.abs(g) > 1e-3), 'the case has a non-zero gradient');
  assert.ok(normRelativeError(gradF.dataSync(), fdF) < 1e-3, `features: ${normRelativeError(gradF.dataSync(), fdF)}`);
  assert.ok(normRelativeError(gradW.dataSync(), fdW) < 1e-3, `prototypes: ${normRelativeError(gradW.dataSync(), fdW)}`);
});

test('log-affinity: -min_t ||f - w||^2 / sigma, its gradient against finite differences, no saturation', () => {
  const [N, C, m, d, sigma] = [5, 3, 2, 4, 6];
  const features = tf.randomNormal([N, d], 0, 1.5, 'float32', 31) as tf.Tensor2D;
  const protos = tf.randomNormal([C, m, d], 0, 1.5, 'float32', 32) as tf.Tensor3D;
  const f0 = Array.from(features.dataSync());
  const w0 = Array.from(protos.dataSync());
  const log64 = (fFlat: number[], wFlat: number[]) =>
    ref.affinities(ref.nest<number[][]>(fFlat, [N, d]), ref.nest<number[][][]>(wFlat, [C, m, d]), sigma).map((row) => row.map(Math.log));
  assertClose(gaussianLogAffinity(features, protos, sigma).dataSync(), log64(f0, w0).flat(), 1e-5, 'values');
  // A weighted sum of the scores, so every entry's gradient is checked.
  const weights = Array.from({ length: N * C }, (_, i) => ((i * 7) % 5) - 2);
  const objective = (f: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(gaussianLogAffinity(f as tf.Tensor2D, w as tf.Tensor3D, sigma), tf.tensor2d(weights, [N, C])));
  const weighted64 = (fFlat: number[], wFlat: number[]) => log64(fFlat, wFlat).flat().reduce((sum, v, i) => sum + v * weights[i], 0);
  const [gradF, gradW] = tf.grads(objective)([features, protos]);
  assert.ok(normRelativeError(gradF.dataSync(), finiteDifferenceGradient((f) => weighted64(f, w0), f0)) < 1e-3, 'features');
  assert.ok(normRelativeError(gradW.dataSync(), finiteDifferenceGradient((w) => weighted64(f0, w), w0)) < 1e-3, 'prototypes');
  // Far from every prototype the affinity's gradient is 0 in float32; the log form's is 2 (f - w) / sigma.
  const far = tf.tensor2d([[200, 0]]);
  const one = tf.tensor3d([[[0, 0]], [[1, 0]]]);
  const viaAffinity = tf.grad((f: tf.Tensor) => tf.sum(tf.log(tf.add(gaussianAffinity(f as tf.Tensor2D, one, 1), 1e-30))))(far).dataSync();
  const viaLog = tf.grad((f: tf.Tensor) => tf.sum(gaussianLogAffinity(f as tf.Tensor2D, one, 1)))(far).dataSync();
  assert.equal(viaAffinity[0], 0);
  assertClose(viaLog, [-(2 * 200 + 2 * 199), 0], 1e-5, 'log gradient');
});

test('prior-corrected prediction by hand: argmax_j (log A_ij - tau log pi_j)', () => {
  // counts 90, 10: log pi = log 0.9, log 0.1. Row 0: A = (0.5, 0.3); log-ratio 0.51 in favour of
  // class 0, prior gap log 9 = 2.20: tau 0.2 keeps class 0 (0.51 > 0.44), tau 0.3 flips it (0.66).
  const a = tf.tensor2d([[0.5, 0.3], [0.2, 0.6]]);
  const prior = { classCounts: [90, 10] };
  assert.deepEqual(Array.from(predictClasses(a).dataSync()), [0, 1]);
  assert.deepEqual(Array.from(predictClasses(a, { ...prior, tau: 0.2 }).dataSync()), [0, 1]);
  assert.deepEqual(Array.from(predictClasses(a, { ...prior, tau: 0.3 }).dataSync()), [1, 1]);
  const scores = priorCorrectedScores(a, { ...prior, tau: 0.3 }).dataSync();
  assertClose(scores, [Math.log(0.5) - 0.3 * Math.log(0.9), Math.log(0.3) - 0.3 * Math.log(0.1), Math.log(0.2) - 0.3 * Math.log(0.9), Math.log(0.6) - 0.3 * Math.log(0.1)], 1e-6, 'scores');
  // Log-affinity scores are corrected as they are, without a second log.
  const logScores = priorCorrectedScores(tf.log(a), { ...prior, tau: 0.3, outputForm: 'logAffinity' }).dataSync();
  assertClose(logScores, scores, 1e-6, 'log form');
  assert.throws(() => predictClasses(a, { ...prior, tau: -1 }), AffinityConfigError);
});

/** One-feature model whose head puts class 0's prototype at 0 and class 1's at 1. */
function lineModel(args: Partial<ConstructorParameters<typeof GaussianAffinity>[0]> = {}): { model: tf.LayersModel; head: GaussianAffinity } {
  const input = tf.input({ shape: [1] });
  const head = new GaussianAffinity({ classes: 2, sigma: 1, diversity: false, classCounts: [90, 10], ...args });
  const model = tf.model({ inputs: input, outputs: head.apply(input) as tf.SymbolicTensor });
  head.prototypes.write(tf.tensor3d([[[0]], [[1]]]));
  return { model, head };
}

test('the layer keeps outputForm, classCounts and tau in its config; a loaded model predicts the same', async () => {
  const { model, head } = lineModel({ outputForm: 'logAffinity', priorCorrection: 0.75 });
  assert.equal(head.getConfig().outputForm, 'logAffinity');
  assert.deepEqual(head.getConfig().classCounts, [90, 10]);
  assert.equal(head.getConfig().priorCorrection, 0.75);
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const loadedHead = loaded.layers[1] as GaussianAffinity;
  assert.deepEqual(loadedHead.getConfig(), head.getConfig());
  // x = 0.4 is nearer class 0 (log-ratio (0.36 - 0.16) = 0.2 for class 0) but tau 0.75 shifts
  // class 1 by 0.75 log 9 = 1.65: class 1. x = 0.1 also flips (0.8 < 1.65); x = -1 does not (3 > 1.65).
  const split = { features: new Float32Array([0.4, 0.1, -1]), labels: new Int32Array([0, 0, 0]), count: 3 };
  assert.deepEqual(Array.from(predictClassIds(loaded, split, { featureShape: [1] })), [1, 1, 0]);
  loadedHead.setPriorCorrection(0);
  assert.deepEqual(Array.from(predictClassIds(loaded, split, { featureShape: [1] })), [0, 0, 0]);
});

test('bad prior options are refused with a typed error naming them', () => {
  assert.throws(() => new GaussianAffinity({ classes: 2, sigma: 1, priorCorrection: 0.5 }), /priorCorrection > 0 needs classCounts/);
  assert.throws(() => new GaussianAffinity({ classes: 2, sigma: 1, classCounts: [1, 2, 3] }), /one entry per class \(2\), got 3/);
  assert.throws(() => new GaussianAffinity({ classes: 2, sigma: 1, classCounts: [1, -2] }), /classCounts\[1\]/);
  assert.throws(() => new GaussianAffinity({ classes: 2, sigma: 1, classCounts: [1, 2], priorCorrection: -0.1 }), /priorCorrection/);
  assert.throws(() => new GaussianAffinity({ classes: 2, sigma: 1, outputForm: 'logits' as 'affinity' }), /outputForm must be/);
});

test('choosePriorCorrection: the best balanced accuracy on validation, the smallest tau on a tie', () => {
  const { model, head } = lineModel();
  // Class 1 rows sit at 0.3-0.45, nearer class 0's prototype: uncorrected, every one is wrong.
  // Boundary with tau: x* = 0.5 - tau log 9 / 2 (sigma 1); tau 0.1 -> 0.39, tau 0.2 -> 0.28.
  const features = new Float32Array([-0.5, -0.2, 0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45]);
  const labels = new Int32Array([0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const choice = choosePriorCorrection(model, { features, labels, count: 9 }, { featureShape: [1], grid: [0, 0.1, 0.2, 0.3, 1] });
  // tau 0: recall 1 / 0 -> 0.5. tau 0.1: class 1 gets 0.4, 0.45 -> 0.75. tau 0.2: all of class 1,
  // class 0 keeps all (0.2 < 0.28) -> 1. tau 0.3 (x* 0.17): class 0 loses 0.2 -> 0.9. tau 1: 0.5 + ...
  assert.deepEqual(choice.scores.map((s) => s.tau), [0, 0.1, 0.2, 0.3, 1]);
  assertClose(choice.scores.slice(0, 4).map((s) => s.score), [0.5, 0.75, 1, 0.9], 1e-9, 'balanced accuracy');
  assert.equal(choice.tau, 0.2);
  assert.equal(head.priorCorrection, 0.2);
  // A tie keeps the smaller tau.
  const tie = choosePriorCorrection(model, { features, labels, count: 9 }, { featureShape: [1], grid: [0.25, 0.2] });
  assert.equal(tie.tau, 0.2);
  assert.throws(() => choosePriorCorrection(model, { features: new Float32Array(), labels: new Int32Array(), count: 0 }, { featureShape: [1] }), AffinityConfigError);
  const plain = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 2 })] });
  assert.throws(() => choosePriorCorrection(plain, { features, labels, count: 9 }, { featureShape: [1] }), /GaussianAffinity layer with classCounts/);
});
