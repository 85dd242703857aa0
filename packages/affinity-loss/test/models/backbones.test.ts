import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  AffinityConfigError,
  CenterLossHead,
  CosineHead,
  GaussianAffinity,
  buildClassifier,
  type BackboneName,
  type Classifier,
} from '../../src/index.js';
import { BACKBONE_NAMES, BACKBONES, needsImages } from '../../src/models/backbones.js';
import { assertClose } from '../helpers.js';

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

const CLASSES = 3;
const IMAGE: number[] = [28, 28, 1];
const inputShapeOf = (backbone: BackboneName): number[] => (backbone === 'mlp' ? [784] : IMAGE);

function build(method: string, backbone: BackboneName, featureWidth: number, seed = 1, inputShape = inputShapeOf(backbone)): Classifier {
  return buildClassifier({ method, backbone, inputShape, classes: CLASSES, classCounts: [50, 10, 2], featureWidth, epochs: 5, seed });
}

/** Parameters of backbone + head BatchNorm (gamma, beta, moving mean, moving variance: 4 d). */
function featureParams(backbone: BackboneName, d: number): number {
  const featureLayer = (width: number) => width * d + d;
  switch (backbone) {
    // dense 784 -> 256, feature layer 256 -> d
    case 'mlp':
      return 784 * 256 + 256 + featureLayer(256) + 4 * d;
    // conv 3x3x1x32, conv 3x3x32x64; two 2x2 pools leave 7 x 7 x 64 = 3136 to flatten
    case 'cnn':
      return 9 * 32 + 32 + (9 * 32 * 64 + 64) + featureLayer(7 * 7 * 64) + 4 * d;
    // three convs, each with a BatchNorm of 4 x filters; global pooling leaves 128
    case 'cnn3':
      return 9 * 32 + 32 + 4 * 32 + (9 * 32 * 64 + 64) + 4 * 64 + (9 * 64 * 128 + 128) + 4 * 128 + featureLayer(128) + 4 * d;
  }
}

const classNames = (model: tf.LayersModel) => model.layers.map((layer) => layer.getClassName());

test('BACKBONE_NAMES and needsImages', () => {
  assert.deepEqual([...BACKBONE_NAMES], ['mlp', 'cnn', 'cnn3']);
  assert.deepEqual(BACKBONE_NAMES.map(needsImages), [false, true, true]);
  assert.deepEqual(Object.keys(BACKBONES).sort(), ['cnn', 'cnn3', 'mlp']);
});

test('each backbone maps its input to a d-wide feature vector (called directly)', () => {
  for (const backbone of BACKBONE_NAMES) {
    for (const featureWidth of [16, 2]) {
      const features = BACKBONES[backbone](tf.input({ shape: inputShapeOf(backbone) }), { featureWidth, seed: 3 });
      assert.deepEqual(features.shape, [null, featureWidth], `${backbone}, d = ${featureWidth}`);
    }
  }
});

test("the 'features' layer, the feature model and the parameter counts, d = 16 and d = 2", () => {
  for (const backbone of BACKBONE_NAMES) {
    for (const d of [16, 2]) {
      const what = `${backbone}, d = ${d}`;
      const built = build('softmax', backbone, d);
      const features = built.model.getLayer('features');
      assert.deepEqual(features.outputShape, [null, d], `${what}: features layer`);
      // ReLU features, except the 2-D ones of the plots, which must reach every direction.
      assert.equal(features.getConfig().activation, d <= 3 ? 'linear' : 'relu', `${what}: activation`);
      assert.deepEqual(built.featureModel.outputs.map((t) => t.shape), [[null, d]], `${what}: feature model`);
      // The feature model ends at the BatchNorm the head reads, not at the dense feature layer.
      assert.equal(built.featureModel.layers.at(-1)!.name, 'head_batchnorm', `${what}: last feature layer`);
      assert.equal(built.featureModel.countParams(), featureParams(backbone, d), `${what}: feature parameters`);
      // softmax head: a dense d -> C with bias.
      assert.equal(built.model.countParams(), featureParams(backbone, d) + d * CLASSES + CLASSES, `${what}: model parameters`);
      built.dispose();
    }
  }
});

test('every method ends in [null, C]; the heads hold weights of the documented shapes', () => {
  for (const backbone of BACKBONE_NAMES) {
    for (const d of [16, 2]) {
      const what = (method: string) => `${backbone} ${method}, d = ${d}`;
      const features = featureParams(backbone, d);

      const softmax = build('softmax', backbone, d);
      assert.deepEqual(softmax.model.outputs.map((t) => t.shape), [[null, CLASSES]], what('softmax'));
      assert.deepEqual(softmax.model.getLayer('logits').getWeights().map((w) => w.shape), [[d, CLASSES], [CLASSES]], what('softmax'));
      assert.deepEqual(softmax.anchors(), [], what('softmax'));
      softmax.dispose();

      const ldam = build('ldam', backbone, d);
      assert.deepEqual(ldam.model.outputs.map((t) => t.shape), [[null, CLASSES]], what('ldam'));
      const cosine = ldam.model.getLayer('cosine_logits');
      assert.ok(cosine instanceof CosineHead, what('ldam'));
      assert.deepEqual(cosine.kernel.shape, [d, CLASSES], what('ldam'));
      assert.equal(ldam.model.countParams(), features + d * CLASSES, what('ldam'));
      ldam.dispose();

      for (const [method, perClass] of [['affinity', 1], ['affinity-m5', 5]] as const) {
        const affinity = build(method, backbone, d);
        assert.deepEqual(affinity.model.outputs.map((t) => t.shape), [[null, CLASSES]], what(method));
        const head = affinity.model.getLayer('affinity');
        assert.ok(head instanceof GaussianAffinity, what(method));
        assert.deepEqual(head.prototypes.shape, [CLASSES, perClass, d], what(method));
        assert.equal(affinity.model.countParams(), features + CLASSES * perClass * d, what(method));
        // sigma defaults to d + 2 (defaultSigma), margin to 0.3.
        assert.deepEqual(
          affinity.headSettings,
          { sigma: d + 2, margin: 0.3, classMargins: false, lossForm: 'hinge', prototypesPerClass: perClass, diversityWeight: 1, priorCorrection: 0 },
          what(method),
        );
        // One anchor per prototype, class-major: [0 x m, 1 x m, 2 x m], each a point in R^d.
        const anchors = affinity.anchors();
        assert.deepEqual(anchors.map((a) => a.classId), [0, 1, 2].flatMap((c) => new Array<number>(perClass).fill(c)), what(method));
        assert.ok(anchors.every((a) => a.point.length === d), what(method));
        assertClose(anchors.flatMap((a) => a.point), head.prototypes.read().dataSync(), 0, `${what(method)}: anchors`);
        affinity.dispose();
      }

      const center = build('center-loss', backbone, d);
      assert.equal(center.model.outputs.length, 2, what('center-loss'));
      assert.deepEqual(center.model.outputs.map((t) => t.shape), [[null, CLASSES], [null, CLASSES]], what('center-loss'));
      const centerHead = center.model.getLayer('center_head');
      assert.ok(centerHead instanceof CenterLossHead, what('center-loss'));
      assert.deepEqual(centerHead.centers.shape, [CLASSES, d], what('center-loss'));
      assert.ok(Array.isArray(center.loss) && center.loss.length === 2, `${what('center-loss')}: one loss per output`);
      // kernel d x C, bias C, centres C x d.
      assert.equal(center.model.countParams(), features + d * CLASSES + CLASSES + CLASSES * d, what('center-loss'));
      assert.deepEqual(center.anchors().map((a) => a.classId), [0, 1, 2], what('center-loss'));
      center.dispose();
    }
  }
});

test('cnn3: three 3x3 convs of 32 / 64 / 128 filters, each BatchNorm + ReLU, two pools, global average pooling', () => {
  const built = build('softmax', 'cnn3', 16);
  const layers = built.featureModel.layers;
  const convs = layers.filter((layer) => layer.getClassName() === 'Conv2D');
  assert.deepEqual(convs.map((layer) => layer.getConfig().filters), [32, 64, 128]);
  assert.ok(convs.every((layer) => String(layer.getConfig().kernelSize) === '3,3' && layer.getConfig().padding === 'same'));
  // 'same' padding keeps the size; each 2x2 pool halves it: 28 -> 14 -> 7.
  assert.deepEqual(convs.map((layer) => layer.outputShape), [[null, 28, 28, 32], [null, 14, 14, 64], [null, 7, 7, 128]]);
  assert.deepEqual(classNames(built.featureModel), [
    'InputLayer',
    'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D',
    'Conv2D', 'BatchNormalization', 'ReLU', 'MaxPooling2D',
    'Conv2D', 'BatchNormalization', 'ReLU',
    'GlobalAveragePooling2D',
    'Dense', 'BatchNormalization',
  ]);
  // The convs feed BatchNorm, so they are linear; the ReLU comes after the normalisation.
  assert.ok(convs.every((layer) => layer.getConfig().activation === 'linear'));
  const pooled = layers.find((layer) => layer.getClassName() === 'GlobalAveragePooling2D')!;
  assert.deepEqual(pooled.outputShape, [null, 128]);
  built.dispose();
});

test('cnn: conv 32 - pool - conv 64 - pool - flatten 3136 - features, no BatchNorm before the head', () => {
  const built = build('softmax', 'cnn', 16);
  assert.deepEqual(classNames(built.featureModel), [
    'InputLayer', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'BatchNormalization',
  ]);
  const convs = built.featureModel.layers.filter((layer) => layer.getClassName() === 'Conv2D');
  assert.deepEqual(convs.map((layer) => layer.getConfig().filters), [32, 64]);
  assert.ok(convs.every((layer) => layer.getConfig().activation === 'relu'));
  assert.deepEqual(built.featureModel.layers.find((layer) => layer.getClassName() === 'Flatten')!.outputShape, [null, 3136]);
  built.dispose();
});

test('mlp: dense 256 (ReLU) then the feature layer; image inputs are flattened first', () => {
  const flat = build('softmax', 'mlp', 16);
  assert.deepEqual(classNames(flat.featureModel), ['InputLayer', 'Dense', 'Dense', 'BatchNormalization']);
  const hidden = flat.featureModel.layers[1];
  assert.equal(hidden.getConfig().units, 256);
  assert.equal(hidden.getConfig().activation, 'relu');
  flat.dispose();
  const image = build('softmax', 'mlp', 16, 1, IMAGE);
  assert.deepEqual(classNames(image.featureModel), ['InputLayer', 'Flatten', 'Dense', 'Dense', 'BatchNormalization']);
  assert.equal(image.featureModel.countParams(), featureParams('mlp', 16));
  image.dispose();
});

test('same seed, identical initial weights; another seed, every initialised kernel differs', () => {
  for (const backbone of BACKBONE_NAMES) {
    const weights = (seed: number) => {
      const built = build('affinity', backbone, 16, seed);
      const values = built.model.getWeights().map((w) => ({ rank: w.rank, values: Array.from(w.dataSync()) }));
      built.dispose();
      return values;
    };
    const a = weights(7);
    const b = weights(7);
    const c = weights(8);
    assert.deepEqual(b, a, `${backbone}: seed 7 twice`);
    assert.equal(c.length, a.length);
    // Kernels and prototypes (rank >= 2) come from seeded initialisers; biases and BatchNorm
    // statistics start at constants whatever the seed.
    const kernels = a.flatMap((w, i) => (w.rank >= 2 ? [i] : []));
    assert.equal(kernels.length, backbone === 'mlp' ? 3 : backbone === 'cnn' ? 4 : 5, `${backbone}: kernels`);
    for (const i of kernels) assert.notDeepEqual(c[i].values, a[i].values, `${backbone}: weight ${i} with seeds 7 and 8`);
    for (const i of a.keys()) if (a[i].rank < 2) assert.deepEqual(c[i].values, a[i].values, `${backbone}: constant weight ${i}`);
  }
});

test('an image backbone refuses a flat input shape', () => {
  for (const backbone of ['cnn', 'cnn3'] as const) {
    for (const inputShape of [[784], [28, 28], [1, 28, 28, 1]]) {
      assert.throws(
        () => build('softmax', backbone, 16, 1, inputShape),
        (error: unknown) =>
          error instanceof AffinityConfigError && error.message.includes(`'${backbone}'`) && error.message.includes(`[${inputShape.join(', ')}]`),
        `${backbone} on [${inputShape.join(', ')}]`,
      );
    }
  }
  assert.throws(
    () => buildClassifier({ method: 'softmax', backbone: 'resnet' as BackboneName, inputShape: IMAGE, classes: 3, classCounts: [1, 1, 1], epochs: 1, seed: 1 }),
    (error: unknown) => error instanceof AffinityConfigError && /'mlp', 'cnn', 'cnn3'/.test(error.message),
  );
});

test('zeros in: features exactly 0 (zero biases, fresh BatchNorm), so every head gives its value at the origin', () => {
  // Every bias starts at 0 and fresh BatchNorm maps 0 to (0 - 0) / sqrt(1 + eps) * 1 + 0 = 0, so a
  // zero input reaches each head as f = 0. Then: dense logits = b = 0; cosine logits = 0 (a zero
  // vector normalises to 0, not NaN); centre distances ||0 - c_j||^2 = 0 (centres start at 0);
  // affinities A_j = exp(-min_t ||w_jt||^2 / sigma), sigma = d + 2 = 18.
  const d = 16;
  for (const backbone of BACKBONE_NAMES) {
    const zeros = tf.zeros([3, ...inputShapeOf(backbone)]);
    const expectZeros = (tensor: tf.Tensor, length: number, what: string) => {
      assert.deepEqual(Array.from(tensor.dataSync()), new Array<number>(length).fill(0), `${backbone} ${what}`);
    };
    for (const method of ['softmax', 'ldam', 'center-loss'] as const) {
      const built = build(method, backbone, d);
      const features = built.featureModel.predict(zeros) as tf.Tensor;
      assert.deepEqual(features.shape, [3, d]);
      expectZeros(features, 3 * d, `${method} features`);
      const outputs = built.model.predict(zeros);
      const list = Array.isArray(outputs) ? outputs : [outputs];
      assert.equal(list.length, method === 'center-loss' ? 2 : 1);
      for (const output of list) {
        assert.deepEqual(output.shape, [3, CLASSES]);
        expectZeros(output, 3 * CLASSES, `${method} output`);
      }
      tf.dispose([features, ...list]);
      built.dispose();
    }
    for (const method of ['affinity', 'affinity-m5'] as const) {
      const built = build(method, backbone, d);
      const prototypes = (built.model.getLayer('affinity') as GaussianAffinity).prototypes.read().arraySync() as number[][][];
      const atOrigin = prototypes.map((perClass) => Math.exp(-Math.min(...perClass.map((w) => w.reduce((s, v) => s + v * v, 0))) / (d + 2)));
      const output = built.model.predict(zeros) as tf.Tensor;
      assert.deepEqual(output.shape, [3, CLASSES]);
      assertClose(output.dataSync(), [...atOrigin, ...atOrigin, ...atOrigin], 1e-5, `${backbone} ${method} affinities`);
      assert.ok(atOrigin.every((a) => a > 0 && a < 1), `${backbone} ${method}: affinities in (0, 1)`);
      output.dispose();
      built.dispose();
    }
    zeros.dispose();
  }
});

test('the feature model outputs what the head reads: softmax logits = f W + b on a non-zero batch', () => {
  for (const backbone of BACKBONE_NAMES) {
    const built = build('softmax', backbone, 16);
    const x = tf.randomUniform([3, ...inputShapeOf(backbone)], 0, 1, 'float32', 11);
    const features = built.featureModel.predict(x) as tf.Tensor2D;
    const logits = built.model.predict(x) as tf.Tensor2D;
    const [kernel, bias] = built.model.getLayer('logits').getWeights();
    const f = features.arraySync();
    const w = kernel.arraySync() as number[][];
    const b = bias.arraySync() as number[];
    const expected = f.flatMap((row) => b.map((bj, j) => row.reduce((s, v, k) => s + v * w[k][j], bj)));
    assert.ok(features.dataSync().every(Number.isFinite), `${backbone}: finite features`);
    assert.ok(f.some((row) => row.some((v) => v !== 0)), `${backbone}: non-trivial features`);
    assertClose(logits.dataSync(), expected, 1e-4, `${backbone} logits`);
    tf.dispose([x, features, logits]);
    built.dispose();
  }
});

test('dispose frees every tensor the classifier made', () => {
  const before = tf.memory().numTensors;
  for (const method of ['softmax', 'ldam-drw', 'center-loss', 'affinity-m5']) {
    build(method, 'cnn3', 16).dispose();
    assert.equal(tf.memory().numTensors, before, `${method}: tensors left after dispose`);
  }
});

test('diversityWeight sets the regularizer weight of the affinity head; 0 turns it off; negative is refused', () => {
  const build = (diversityWeight?: number) =>
    buildClassifier({ method: 'affinity', inputShape: [4], classes: 3, classCounts: [5, 5, 5], featureWidth: 2, epochs: 1, seed: 1, diversityWeight });
  const paper = build();
  assert.deepEqual(paper.affinityHead?.diversity, { reduction: 'mean', squared: true, scope: 'all', weight: 1 });
  const light = build(0.01);
  assert.equal(light.affinityHead?.diversity && light.affinityHead.diversity.weight, 0.01);
  const off = build(0);
  assert.equal(off.affinityHead?.diversity, false);
  assert.equal(off.model.losses.length, 0, 'no regularization loss without the regularizer');
  assert.throws(() => build(-1), /diversityWeight must be a finite number >= 0, got -1/);
  for (const model of [paper, light, off]) model.dispose();
});

test('sizes whose weights cannot be allocated are refused naming the sizes, not with a raw RangeError', () => {
  const base = { inputShape: [2], classes: 3, classCounts: [5, 5, 5], epochs: 1, seed: 1 };
  assert.throws(
    () => buildClassifier({ ...base, method: 'softmax', featureWidth: 1e9 }),
    (error: unknown) => error instanceof AffinityConfigError && /weights are too large to allocate \(input \[2\], featureWidth 1000000000, 3 classes\)/.test(error.message),
  );
  assert.throws(
    () => buildClassifier({ ...base, method: 'affinity', featureWidth: 8, prototypesPerClass: 1e9 }),
    (error: unknown) => error instanceof AffinityConfigError && /featureWidth 8, 3 classes, 1000000000 prototypes per class/.test(error.message),
  );
});
