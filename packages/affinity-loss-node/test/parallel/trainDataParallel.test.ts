import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, buildClassifier, TrainingDivergedError, type ClassifierOptions, type Split } from 'affinity-loss';
import { classifierRecipe, ReplicaFailedError, trainDataParallel, useNodeBackend, type DataParallelOptions } from '../../src/index.js';

before(async () => {
  await useNodeBackend({ prefer: 'wasm', quiet: true });
});

const CLASSES = 4;

/** Seeded rows whose class shows in a few shifted features: learnable in a few steps. */
function makeSplit(rows: number, width: number, seed: number): Split {
  const features = new Float32Array(rows * width);
  const labels = new Int32Array(rows);
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < rows; i++) {
    labels[i] = i % CLASSES;
    for (let j = 0; j < width; j++) features[i * width + j] = next() + (j % CLASSES === labels[i] ? 1 : 0);
  }
  return { features, labels, count: rows };
}

interface Outcome {
  weights: Float32Array[];
  losses: number[];
  validation: number[];
  bestEpoch: number;
  sigma: unknown;
}

async function train(settings: ClassifierOptions, data: Split, workers: number, extra: Partial<DataParallelOptions> = {}): Promise<Outcome> {
  const classifier = buildClassifier(settings);
  try {
    const result = await trainDataParallel(classifier.model, data, {
      classes: CLASSES,
      featureShape: settings.inputShape,
      loss: classifier.loss,
      callbacks: classifier.callbacks,
      epochs: settings.epochs,
      batchSize: 64,
      seed: 9,
      workers,
      recipe: classifierRecipe(settings),
      ...extra,
    });
    tf.dispose(result.bestWeights);
    return {
      weights: classifier.model.getWeights().map((weight) => weight.dataSync() as Float32Array),
      losses: result.history.map((epoch) => epoch.loss),
      validation: result.history.map((epoch) => epoch.validationMacroF1),
      bestEpoch: result.bestEpoch,
      sigma: classifier.headSettings.sigma,
    };
  } finally {
    classifier.dispose();
  }
}

function largestDifference(a: Float32Array[], b: Float32Array[]): number {
  assert.equal(a.length, b.length);
  let largest = 0;
  a.forEach((weight, i) => weight.forEach((value, j) => (largest = Math.max(largest, Math.abs(value - b[i][j])))));
  return largest;
}

test('two workers train the weights one worker trains (MLP, BatchNorm, affinity m=5, sigma auto, Adam, validation)', async () => {
  const settings: ClassifierOptions = {
    method: 'affinity-m5',
    inputShape: [20],
    classes: CLASSES,
    classCounts: [150, 150, 150, 150],
    featureWidth: 16,
    epochs: 3,
    // Adam moves a weight by up to the learning rate whatever the size of its gradient, so a
    // weight whose gradient cancels to ~0 moves on rounding noise alone; seeds 3 and 4 give
    // such a weight (differences of 1e-3 to 6e-3), seed 5 none: the check is of the sharing.
    seed: 5,
    sigma: 'auto',
  };
  const data = makeSplit(600, 20, 1);
  const validation = makeSplit(80, 20, 2);
  const before = tf.memory().numTensors;
  const one = await train(settings, data, 1, { validation });
  const two = await train(settings, data, 2, { validation });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  // 30 Adam steps through BatchNorm shared across threads: float rounding only.
  assert.ok(largestDifference(one.weights, two.weights) < 1e-5, `weights differ by ${largestDifference(one.weights, two.weights)}`);
  one.losses.forEach((loss, i) => assert.ok(Math.abs(loss - two.losses[i]) < 1e-5 * loss, `epoch ${i + 1} loss ${loss} vs ${two.losses[i]}`));
  assert.deepEqual(two.validation, one.validation);
  assert.equal(two.bestEpoch, one.bestEpoch);
  // sigma 'auto' is the whole first batch's mean squared distance, not one shard's.
  assert.ok(Math.abs(Number(one.sigma) - Number(two.sigma)) < 1e-5 * Number(one.sigma), `sigma ${String(one.sigma)} vs ${String(two.sigma)}`);
  // It trained: the losses fell.
  assert.ok(one.losses[2] < one.losses[0]);
});

test('two workers follow one through convolutional BatchNorm (cnn3, SGD with momentum)', async () => {
  // SGD, not Adam: Adam's first steps move every weight by ~lr * sign(gradient), so the conv
  // biases in front of BatchNorm, whose true gradient is 0, move by +-lr on rounding noise.
  const settings: ClassifierOptions = {
    method: 'softmax',
    backbone: 'cnn3',
    inputShape: [4, 5, 1],
    classes: CLASSES,
    classCounts: [100, 100, 100, 100],
    featureWidth: 8,
    epochs: 2,
    seed: 4,
  };
  const data = makeSplit(400, 20, 5);
  const options = { optimizer: 'sgd' as const, learningRate: 0.05 };
  const one = await train(settings, data, 1, options);
  const two = await train(settings, data, 2, options);
  assert.ok(largestDifference(one.weights, two.weights) < 1e-4, `weights differ by ${largestDifference(one.weights, two.weights)}`);
});

const small: ClassifierOptions = { method: 'softmax', inputShape: [20], classes: CLASSES, classCounts: [50, 50, 50, 50], featureWidth: 8, epochs: 1, seed: 1 };

test('bad set-ups are refused with a clear error before anything trains', async () => {
  const data = makeSplit(200, 20, 3);
  const classifier = buildClassifier(small);
  const base = { classes: CLASSES, featureShape: [20], loss: classifier.loss, epochs: 1, seed: 1 };
  try {
    await assert.rejects(trainDataParallel(classifier.model, data, { ...base, workers: 2 }), (error: Error) => error instanceof AffinityConfigError && /recipe/.test(error.message));
    await assert.rejects(trainDataParallel(classifier.model, data, { ...base, workers: 0, recipe: classifierRecipe(small) }), AffinityConfigError);
    // 201 rows in batches of 100 leave a last batch of 1 row for 2 workers.
    await assert.rejects(
      trainDataParallel(classifier.model, makeSplit(201, 20, 3), { ...base, batchSize: 100, workers: 2, recipe: classifierRecipe(small) }),
      (error: Error) => error instanceof AffinityConfigError && /batch of 1 row/.test(error.message),
    );
  } finally {
    classifier.dispose();
  }
});

test('a worker that cannot build the model is reported by name, and nothing hangs', async () => {
  const data = makeSplit(200, 20, 3);
  const classifier = buildClassifier(small);
  const base = { classes: CLASSES, featureShape: [20], loss: classifier.loss, epochs: 1, seed: 1, workers: 2 };
  try {
    const missing = { ...classifierRecipe(small), exportName: 'noSuchBuilder' };
    await assert.rejects(trainDataParallel(classifier.model, data, { ...base, recipe: missing }), (error: Error) => error instanceof ReplicaFailedError && /noSuchBuilder/.test(error.message));
    const wider = classifierRecipe({ ...small, featureWidth: 9 });
    await assert.rejects(trainDataParallel(classifier.model, data, { ...base, recipe: wider }), (error: Error) => error instanceof ReplicaFailedError && /differ/.test(error.message));
  } finally {
    classifier.dispose();
  }
});

const FAILING_REPLICA = new URL('./fixtures/failingReplica.ts', import.meta.url).href;

for (const how of ['exit', 'uncaught', 'throw'] as const) {
  test(`a worker whose thread fails (${how}) mid-training is reported by name within seconds, and no tensor leaks`, { timeout: 60_000 }, async () => {
    const data = makeSplit(200, 20, 3);
    const classifier = buildClassifier(small);
    const tensors = tf.memory().numTensors;
    const recipe = { module: FAILING_REPLICA, exportName: 'buildFailingReplica', args: { settings: small, failAtStep: 3, how } };
    try {
      await assert.rejects(
        trainDataParallel(classifier.model, data, { classes: CLASSES, featureShape: [20], loss: classifier.loss, epochs: 3, batchSize: 64, seed: 1, workers: 2, recipe }),
        (error: Error) => {
          assert.ok(error instanceof ReplicaFailedError, String(error));
          assert.equal(error.replica, 1);
          if (how === 'exit') {
            assert.equal(error.exitCode, 7);
            assert.match(error.message, /exited with code 7 before it finished/);
          } else {
            assert.match(error.message, how === 'uncaught' ? /an uncaught fault in the worker/ : /a fault inside the step/);
          }
          return true;
        },
      );
      assert.equal(tf.memory().numTensors, tensors, 'tensors left behind by the failed run');
    } finally {
      classifier.dispose();
    }
  });
}

test('more workers than cores are refused, naming both', async () => {
  const classifier = buildClassifier(small);
  try {
    const cores = availableParallelism();
    await assert.rejects(
      trainDataParallel(classifier.model, makeSplit(200, 20, 3), { classes: CLASSES, featureShape: [20], loss: classifier.loss, epochs: 1, seed: 1, workers: cores + 1, recipe: classifierRecipe(small) }),
      (error: Error) => error instanceof AffinityConfigError && error.message.includes(`workers ${cores + 1} is more than this machine's ${cores} cores`),
    );
  } finally {
    classifier.dispose();
  }
});

test('a diverging run stops with TrainingDivergedError on every worker', async () => {
  const data = makeSplit(200, 20, 3);
  await assert.rejects(train(small, data, 2, { learningRate: 1e30 }), TrainingDivergedError);
});
