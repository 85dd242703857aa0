import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, makeOptimizer, setLearningRate, type OptimizerOptions } from '../../src/index.js';
import { OPTIMIZER_NAMES } from '../../src/train/optimizer.js';
import { assertClose } from '../helpers.js';
import { useTestBackend } from '../testBackend.js';

before(async () => {
  tf.enableProdMode();
  await useTestBackend();
});

/**
 * Minimises f(x) = 0.5 ||x||^2 (gradient g = x) from `start`, returning x after each step.
 * `beforeStep(k)` runs before step k (0-based), so a test can change the rate between steps.
 */
function descend(optimizer: tf.Optimizer, start: number[], steps: number, beforeStep?: (step: number) => void): number[][] {
  const x = tf.variable(tf.tensor1d(start));
  const trajectory: number[][] = [];
  for (let step = 0; step < steps; step++) {
    beforeStep?.(step);
    optimizer.minimize(() => tf.mul(0.5, tf.sum(tf.square(x))) as tf.Scalar, false, [x]);
    trajectory.push(Array.from(x.dataSync()));
  }
  x.dispose();
  optimizer.dispose();
  return trajectory;
}

// float32 arithmetic: a few ulps of values near 1.
const TOL = 1e-6;
// Adam's bias correction 1 - 0.999^t cancels in float32 (1 - 0.998001 keeps ~4 digits), which
// moves x2 by ~2e-6 from the float64 value (simulated in float32 it matches to the last bit).
// 1e-5 still tells the formula apart from its variants: without bias correction x1 = 0.684, with
// beta1 0.99 x2 = 0.80016 instead of 0.80041.
const ADAM_TOL = 1e-5;

test('OPTIMIZER_NAMES lists exactly the two optimizers makeOptimizer builds', () => {
  assert.deepEqual([...OPTIMIZER_NAMES], ['adam', 'sgd']);
  for (const name of OPTIMIZER_NAMES) {
    const optimizer = makeOptimizer({ name, learningRate: 0.1 });
    assert.ok(optimizer instanceof tf.Optimizer);
    optimizer.dispose();
  }
});

test('sgd defaults to heavy-ball momentum 0.9: buf = 0.9 buf + g, x -= lr buf (PyTorch convention)', () => {
  // x0 = 1, lr 0.1, g = x.
  // step 1: g = 1;   buf = 0.9*0 + 1 = 1;       x1 = 1 - 0.1*1 = 0.9
  // step 2: g = 0.9; buf = 0.9*1 + 0.9 = 1.8;   x2 = 0.9 - 0.1*1.8 = 0.72
  // step 3: g = 0.72; buf = 0.9*1.8 + 0.72 = 2.34; x3 = 0.72 - 0.234 = 0.486
  // (the lr-inside-the-buffer convention, buf = m buf + lr g, gives the same numbers only while
  // lr is constant; the setLearningRate test below tells the two apart.)
  const trajectory = descend(makeOptimizer({ name: 'sgd', learningRate: 0.1 }), [1], 3);
  assertClose(trajectory.flat(), [0.9, 0.72, 0.486], TOL, 'sgd momentum 0.9 trajectory');
});

test('sgd momentum option: 0.5 and 0 (plain SGD)', () => {
  // momentum 0.5: buf1 = 1, x1 = 0.9; buf2 = 0.5*1 + 0.9 = 1.4, x2 = 0.9 - 0.14 = 0.76
  assertClose(descend(makeOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.5 }), [1], 2).flat(), [0.9, 0.76], TOL, 'momentum 0.5');
  // momentum 0: x_{k+1} = x_k - 0.1 x_k = 0.9 x_k: 0.9, 0.81
  const plain = makeOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0 });
  assert.equal(plain.getClassName(), 'SGD', 'momentum 0 builds a plain SGD optimizer');
  assertClose(descend(plain, [1], 2).flat(), [0.9, 0.81], TOL, 'momentum 0');
  const heavy = makeOptimizer({ name: 'sgd', learningRate: 0.1 });
  assert.equal(heavy.getClassName(), 'Momentum');
  heavy.dispose();
});

test('adam: beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected (PyTorch defaults)', () => {
  // x0 = 1, lr 0.1, g = x; m_t = 0.9 m + 0.1 g, v_t = 0.999 v + 0.001 g^2,
  // x -= lr * (m_t / (1 - 0.9^t)) / (sqrt(v_t / (1 - 0.999^t)) + 1e-8).
  // step 1: g = 1: m = 0.1, v = 0.001, mhat = 1, vhat = 1: x1 = 1 - 0.1 * 1/(1 + 1e-8) = 0.9
  // step 2: g = 0.9: m = 0.09 + 0.09 = 0.18, v = 0.000999 + 0.00081 = 0.001809,
  //   mhat = 0.18 / 0.19 = 0.9473684, vhat = 0.001809 / 0.001999 = 0.9049525, sqrt = 0.9512899,
  //   x2 = 0.9 - 0.1 * 0.9473684 / 0.9512899 = 0.9 - 0.0995878 = 0.8004122
  // step 3: g = 0.8004122: m = 0.162 + 0.0800412 = 0.2420412, v = 0.0018072 + 0.0006407 = 0.0024479,
  //   mhat = 0.2420412 / 0.271 = 0.8931410, vhat = 0.0024479 / 0.002997001 = 0.8167667,
  //   x3 = 0.8004122 - 0.1 * 0.8931410 / 0.9037515 = 0.7015863
  const trajectory = descend(makeOptimizer({ name: 'adam', learningRate: 0.1 }), [1], 3);
  assertClose(trajectory.flat(), [0.9, 0.8004122, 0.7015863], ADAM_TOL, 'adam trajectory');
});

test("adam's first step moves every coordinate by lr, whatever its gradient's size", () => {
  // mhat = g, vhat = g^2 at t = 1, so the step is lr * g / |g| = lr * sign(g).
  const trajectory = descend(makeOptimizer({ name: 'adam', learningRate: 0.1 }), [1, -2, 0.5], 1);
  assertClose(trajectory[0], [0.9, -1.9, 0.4], ADAM_TOL, 'adam first step');
});

test('adam ignores the momentum option, even one sgd would refuse', () => {
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.1, momentum: 5 });
  assert.equal(optimizer.getClassName(), 'Adam');
  optimizer.dispose();
});

test('setLearningRate changes the size of the next step (sgd with momentum)', () => {
  // step 1 at lr 0.1: buf = 1, x1 = 0.9; then lr 0.01: buf = 0.9*1 + 0.9 = 1.8, x2 = 0.9 - 0.018 = 0.882
  // (had the rate been folded into the buffer, buf2 = 0.9*0.1 + 0.01*0.9 = 0.099, x2 = 0.801.)
  const optimizer = makeOptimizer({ name: 'sgd', learningRate: 0.1 });
  const trajectory = descend(optimizer, [1], 2, (step) => step === 1 && setLearningRate(optimizer, 0.01));
  assertClose(trajectory.flat(), [0.9, 0.882], TOL, 'sgd momentum after setLearningRate');
});

test('setLearningRate changes the size of the next step (plain sgd)', () => {
  // x1 = 1 - 0.1 = 0.9; lr 0.5: x2 = 0.9 - 0.5*0.9 = 0.45
  const optimizer = makeOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0 });
  const trajectory = descend(optimizer, [1], 2, (step) => step === 1 && setLearningRate(optimizer, 0.5));
  assertClose(trajectory.flat(), [0.9, 0.45], TOL, 'sgd after setLearningRate');
});

test('setLearningRate changes the size of the next step (adam)', () => {
  // As the adam test, with lr 0.01 at step 2: x2 = 0.9 - 0.01 * 0.9473684 / 0.9512899 = 0.8900412
  const optimizer = makeOptimizer({ name: 'adam', learningRate: 0.1 });
  const trajectory = descend(optimizer, [1], 2, (step) => step === 1 && setLearningRate(optimizer, 0.01));
  assertClose(trajectory.flat(), [0.9, 0.8900412], ADAM_TOL, 'adam after setLearningRate');
});

test('steps allocate no tensors once the optimizer state exists; setLearningRate leaks none', () => {
  for (const name of OPTIMIZER_NAMES) {
    const optimizer = makeOptimizer({ name, learningRate: 0.1 });
    const x = tf.variable(tf.tensor1d([1, -1]));
    const step = () => optimizer.minimize(() => tf.sum(tf.square(x)) as tf.Scalar, false, [x]);
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      setLearningRate(optimizer, 0.1 / (i + 2));
      step();
    }
    assert.equal(tf.memory().numTensors, before, `${name}: tensor count after 3 more steps`);
    x.dispose();
    optimizer.dispose();
  }
});

test('an unknown optimizer name is refused with the valid names', () => {
  for (const name of ['rmsprop', 'Adam', '', undefined, 3]) {
    assert.throws(
      () => makeOptimizer({ name, learningRate: 0.1 } as unknown as OptimizerOptions),
      (error: unknown) => error instanceof AffinityConfigError && /'adam', 'sgd'/.test(error.message) && error.message.includes(String(JSON.stringify(name))),
      `name ${String(name)}`,
    );
  }
});

test('a learning rate that is not a finite positive number is refused', () => {
  for (const name of OPTIMIZER_NAMES) {
    for (const learningRate of [0, -0.1, NaN, Infinity, '0.1']) {
      assert.throws(
        () => makeOptimizer({ name, learningRate } as unknown as OptimizerOptions),
        (error: unknown) => error instanceof AffinityConfigError && /learningRate must be a finite number > 0/.test(error.message),
        `${name} learningRate ${String(learningRate)}`,
      );
    }
  }
});

test('sgd momentum outside [0, 1) is refused', () => {
  for (const momentum of [1, 1.5, -0.1, NaN]) {
    assert.throws(
      () => makeOptimizer({ name: 'sgd', learningRate: 0.1, momentum }),
      (error: unknown) => error instanceof AffinityConfigError && /momentum must be a number in \[0, 1\)/.test(error.message),
      `momentum ${momentum}`,
    );
  }
});

test('dispose frees everything an optimizer made, momentum SGD included', () => {
  for (const [name, momentum] of [['adam', undefined], ['sgd', 0.9], ['sgd', 0]] as const) {
    const before = tf.memory().numTensors;
    const optimizer = makeOptimizer({ name, learningRate: 0.1, momentum });
    const x = tf.tidy(() => tf.variable(tf.tensor1d([1, -1])));
    optimizer.minimize(() => tf.sum(tf.square(x)) as tf.Scalar, false, [x]);
    setLearningRate(optimizer, 0.05);
    x.dispose();
    optimizer.dispose();
    assert.equal(tf.memory().numTensors, before, `${name} (momentum ${momentum}): tensors left after dispose`);
  }
});
