import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, DiversityRegularizer, ShapeError, diversity } from '../../src/index.js';
import { assertClose, finiteDifferenceGradient, normRelativeError } from '../helpers.js';
import * as ref from './reference.js';
import { chooseDiversityForm, diversityInForm, type DiversityForm } from '../../src/affinity/regularizer.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

// Three prototypes (0,0), (1,0), (0,2): pairwise squared distances 1, 4, 5.
const three = () => tf.tensor3d([[[0, 0]], [[1, 0]], [[0, 2]]]);

test('mean over pairs by hand, with the diagonal left out', () => {
  // mu = 10/3; deviations -7/3, 2/3, 5/3; R = (49 + 4 + 25) / 9 / 3 = 26/9.
  // With the diagonal j = k inside (a known bug) the 9 entries give mu = 20/9 and R = 5.58.
  assertClose(diversity(three()).dataSync(), [26 / 9], 1e-6, 'R');
});

test('sum reduction, weight, unsquared distances by hand', () => {
  assertClose(diversity(three(), { reduction: 'sum' }).dataSync(), [78 / 9], 1e-6, 'sum');
  assertClose(diversity(three(), { weight: 0.5 }).dataSync(), [13 / 9], 1e-6, 'weighted');
  // Distances 1, 2, sqrt(5).
  const d = [1, 2, Math.sqrt(5)];
  const mu = (3 + Math.sqrt(5)) / 3;
  const expected = d.reduce((s, x) => s + (x - mu) ** 2, 0) / 3;
  assertClose(diversity(three(), { squared: false }).dataSync(), [expected], 1e-6, 'unsquared');
});

test('scope acrossClasses ignores pairs inside a class', () => {
  // class 0: (0,0), (1,0); class 1: (0,2), (3,0). Cross pairs: 4, 9, 5, 4: mu = 5.5, R = 17/4.
  const w = tf.tensor3d([[[0, 0], [1, 0]], [[0, 2], [3, 0]]]);
  assertClose(diversity(w, { scope: 'acrossClasses' }).dataSync(), [17 / 4], 1e-6, 'across');
  assertClose(diversity(w).dataSync(), [ref.diversity([[[0, 0], [1, 0]], [[0, 2], [3, 0]]])], 1e-6, 'all');
});

test('equidistant prototypes have zero regularizer', () => {
  const h = Math.sqrt(3) / 2;
  assertClose(diversity(tf.tensor3d([[[0, 0]], [[1, 0]], [[0.5, h]]])).dataSync(), [0], 1e-5, 'triangle');
});

test('a single prototype (C*m = 1) gives 0 and a zero gradient, not NaN', () => {
  const w = tf.tensor3d([[[0.3, -2, 1]]]);
  assert.ok(diversity(w).dataSync()[0] === 0);
  for (const options of [{}, { squared: false }, { scope: 'acrossClasses' as const }]) {
    const g = tf.grad((x: tf.Tensor) => diversity(x, options))(w);
    assert.ok(Array.from(g.dataSync()).every((x) => x === 0), `${JSON.stringify(options)}: ${g.dataSync()}`);
  }
  // One class with several prototypes has no cross-class pair.
  assert.ok(diversity(tf.ones([1, 3, 2]), { scope: 'acrossClasses' }).dataSync()[0] === 0);
});

test('gradients against float64 finite differences, every option', () => {
  const C = 3;
  const m = 2;
  const d = 3;
  const w = tf.randomNormal([C, m, d], 0, 1, 'float32', 5) as tf.Tensor3D;
  const w0 = Array.from(w.dataSync());
  const cases = [
    {},
    { reduction: 'sum' as const },
    { squared: false },
    { scope: 'acrossClasses' as const },
    { reduction: 'sum' as const, squared: false, scope: 'acrossClasses' as const, weight: 0.3 },
  ];
  for (const options of cases) {
    const value = diversity(w, options).dataSync()[0];
    assertClose([value], [ref.diversity(ref.nest<number[][][]>(w0, [C, m, d]), options)], 1e-5, JSON.stringify(options));
    const g = tf.grad((x: tf.Tensor) => diversity(x, options))(w).dataSync();
    const fd = finiteDifferenceGradient((flat) => ref.diversity(ref.nest<number[][][]>(flat, [C, m, d]), options), w0);
    const error = normRelativeError(g, fd);
    assert.ok(error < 1e-3, `${JSON.stringify(options)}: relative gradient error ${error}`);
  }
});

test('rank-2 prototypes (K, d) are K classes of one prototype each, not a zero; other ranks are refused', () => {
  const w = [[0, 0], [1, 0], [0, 2]];
  const flat = diversity(tf.tensor2d(w)).dataSync()[0];
  assertClose([flat], [26 / 9], 1e-6, 'rank 2');
  assertClose(diversity(tf.tensor2d(w), { scope: 'acrossClasses' }).dataSync(), [26 / 9], 1e-6, 'rank 2, across classes');
  assert.throws(() => diversity(tf.zeros([1, 2, 3, 2])), (e: Error) => e instanceof ShapeError && /\(C, m, d\) or \(K, d\)/.test(e.message));
});

test('options are validated with typed errors', () => {
  assert.throws(() => diversity(three(), { reduction: 'max' as 'sum' }), (e: Error) => e instanceof AffinityConfigError && /'mean', 'sum'.*"max"/.test(e.message));
  assert.throws(() => diversity(three(), { scope: 'within' as 'all' }), AffinityConfigError);
  assert.throws(() => diversity(three(), { weight: -1 }), AffinityConfigError);
  assert.throws(() => diversity(three(), { squared: 'yes' as unknown as boolean }), AffinityConfigError);
  assert.throws(() => diversity(tf.zeros([2])), ShapeError);
});

test('DiversityRegularizer is a real tfjs regularizer that serializes', async () => {
  const regularizer = new DiversityRegularizer({ reduction: 'sum', scope: 'acrossClasses' });
  const layer = tf.layers.dense({ units: 3, inputShape: [2], kernelRegularizer: regularizer as never });
  const model = tf.sequential({ layers: [layer] });
  assert.equal(layer.losses.length, 1, 'the dense layer accepted it as a regularizer');
  assertClose(layer.losses[0]().dataSync(), diversity(layer.getWeights()[0]).dataSync(), 1e-6, 'layer loss');
  assert.deepEqual(layer.getConfig().kernelRegularizer, {
    className: 'DiversityRegularizer',
    config: { reduction: 'sum', squared: true, scope: 'acrossClasses', weight: 1 },
  });
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const copy = (loaded.layers[0] as unknown as { kernelRegularizer: unknown }).kernelRegularizer;
  assert.ok(copy instanceof DiversityRegularizer);
  assert.deepEqual(copy.options, regularizer.options);
});

test('the moment form (K > d) and the distance-matrix form (K <= d) agree, value and gradient', () => {
  // Padding with zero coordinates changes no distance but moves K = 12 from above d = 4 to below d = 16.
  const narrow = tf.randomNormal([4, 3, 4], 0, 1, 'float32', 21) as tf.Tensor3D;
  const wide = tf.concat([narrow, tf.zeros([4, 3, 12])], 2);
  for (const reduction of ['mean', 'sum'] as const) {
    assertClose(diversity(wide, { reduction }).dataSync(), diversity(narrow, { reduction }).dataSync(), 1e-5, reduction);
    const gradNarrow = tf.grad((x: tf.Tensor) => diversity(x, { reduction }))(narrow);
    const gradWide = tf.grad((x: tf.Tensor) => diversity(x, { reduction }))(wide).slice([0, 0, 0], [4, 3, 4]);
    assert.ok(normRelativeError(gradNarrow.dataSync(), gradWide.dataSync()) < 1e-5, reduction);
  }
});

test('the three forms (arrays, distance matrix, moments) agree on value and gradient, every option', () => {
  // K = 12 prototypes: below d = 16 (the distance forms' home) and above d = 4 (the moments').
  for (const width of [4, 16]) {
    const w = tf.randomNormal([4, 3, width], 0, 1, 'float32', 30 + width) as tf.Tensor3D;
    for (const scope of ['all', 'acrossClasses'] as const) {
      for (const squared of [true, false]) {
        for (const reduction of ['mean', 'sum'] as const) {
          const options = { scope, squared, reduction, weight: 0.7 };
          const forms: DiversityForm[] = scope === 'all' && squared ? ['arrays', 'distances', 'moments'] : ['arrays', 'distances'];
          const results = forms.map((form) => ({
            form,
            value: diversityInForm(w, options, form).dataSync()[0],
            gradient: tf.grad((x: tf.Tensor) => diversityInForm(x, options, form))(w).dataSync(),
          }));
          const [first, ...others] = results;
          const label = `d ${width} ${JSON.stringify(options)}`;
          assert.ok(first.value > 0, `${label}: R > 0 for random prototypes`);
          for (const other of others) {
            assertClose([other.value], [first.value], 1e-4, `${label}: ${other.form} value`);
            const error = normRelativeError(other.gradient, first.gradient);
            assert.ok(error < 1e-4, `${label}: ${other.form} gradient differs from arrays by ${error}`);
          }
        }
      }
    }
  }
});

test('diversity uses JavaScript arrays for small heads on host backends, kernels on GPUs and for large heads', () => {
  assert.equal(chooseDiversityForm(10, 128, 'all', true, 'wasm'), 'arrays');
  assert.equal(chooseDiversityForm(10, 128, 'all', true, 'cpu'), 'arrays');
  assert.equal(chooseDiversityForm(10, 128, 'all', true, 'webgl'), 'distances');
  assert.equal(chooseDiversityForm(50, 128, 'all', true, 'wasm'), 'distances', '1225 pairs x 128 is past the arrays limit');
  assert.equal(chooseDiversityForm(50, 16, 'all', true, 'wasm'), 'moments');
  assert.equal(chooseDiversityForm(50, 16, 'acrossClasses', true, 'wasm'), 'arrays');
  assert.equal(chooseDiversityForm(200, 16, 'acrossClasses', true, 'wasm'), 'distances');
  assert.throws(() => diversityInForm(three(), { squared: false }, 'moments'), AffinityConfigError);
});
