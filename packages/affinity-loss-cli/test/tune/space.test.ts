import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { Rng } from 'affinity-loss/internal/data/rng.js';
import { DEFAULT_SEARCH_SPACE, sampleTrial, searchedSpace } from '../../src/tune/space.js';
import { halvingEpochs, planTune } from '../../src/tune/tuner.js';

test('halvingEpochs: the last round trains the full epochs, each earlier one eta times fewer', () => {
  assert.deepEqual(halvingEpochs(9, 9, 3), [1, 3, 9]); // 9 configurations: rounds of 9, 3, 1
  assert.deepEqual(halvingEpochs(27, 27, 3), [1, 3, 9, 27]);
  assert.deepEqual(halvingEpochs(10, 4, 2), [3, 5, 10]); // round(10/4) = 3 (2.5 rounds up)
  assert.deepEqual(halvingEpochs(10, 2, 3), [10]); // fewer configurations than eta: one round
  assert.deepEqual(halvingEpochs(2, 27, 3), [1, 2]); // rounds that cannot train fewer epochs merge
});

test('searchedSpace: the affinity heads search their settings and the rate; fixed values and other heads do not', () => {
  const head = ['sigmaScale', 'margin', 'prototypesPerClass', 'diversityWeight', 'classMargins', 'priorCorrection', 'learningRate'];
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', loss: 'affinity' })), head);
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', loss: 'affinity-lt' })), head);
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', loss: 'affinity-m5' })), head.filter((key) => key !== 'prototypesPerClass'));
  // The cross-entropy form has no margin.
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', loss: 'affinity-ce' })), ['sigmaScale', 'prototypesPerClass', 'diversityWeight', 'priorCorrection', 'learningRate']);
  assert.deepEqual(
    Object.keys(searchedSpace({ dataset: 'mnist', loss: 'affinity', sigma: 10, margin: 0.5, classMargins: true, priorCorrection: 'auto' })),
    ['prototypesPerClass', 'diversityWeight', 'learningRate'],
  );
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', loss: 'focal' })), ['learningRate']);
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', loss: 'focal', learningRate: 1e-3 })), []);
});

test('sampleTrial draws inside the ranges, log-uniformly for sigma, and the same seed draws the same values', () => {
  const space = searchedSpace({ dataset: 'mnist', loss: 'affinity' });
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 400 }, () => sampleTrial(space, rng, 128));
  };
  const trials = draw(5);
  assert.deepEqual(draw(5), trials);
  assert.notDeepEqual(draw(6), trials);
  const [low, high] = DEFAULT_SEARCH_SPACE.sigmaScale;
  let belowDefault = 0;
  for (const trial of trials) {
    assert.ok(trial.sigma! >= 130 * low * 0.999 && trial.sigma! <= 130 * high * 1.001, `sigma ${trial.sigma}`);
    assert.ok(trial.margin! >= 0.05 && trial.margin! <= 0.8);
    assert.ok([1, 2, 5].includes(trial.prototypesPerClass!));
    assert.ok(typeof trial.classMargins === 'boolean');
    assert.ok(DEFAULT_SEARCH_SPACE.priorCorrection.includes(trial.priorCorrection!), `tau ${trial.priorCorrection}`);
    assert.ok(trial.learningRate! >= 3e-4 * 0.999 && trial.learningRate! <= 3e-3 * 1.001);
    if (trial.sigma! < 130) belowDefault++;
  }
  // Log-uniform on [0.05, 5] x default: ln(1 / 0.05) / ln(5 / 0.05) = 65% of the mass below the
  // default; a uniform draw would put (1 - 0.05) / 4.95 = 19% there.
  assert.ok(belowDefault > 230 && belowDefault < 290, `${belowDefault} of 400 below the default sigma`);
});

test('planTune checks everything before training and refuses a search without a validation split', () => {
  const plan = planTune({ base: { dataset: 'gaussians', loss: 'affinity', epochs: 9 }, budget: 9 });
  assert.equal(plan.configurations.length, 9);
  assert.deepEqual(plan.rounds, [1, 3, 9]);
  assert.deepEqual(planTune({ base: { dataset: 'gaussians', loss: 'affinity', epochs: 9 }, budget: 9, strategy: 'random' }).rounds, [9]);
  const refuse = (options: Parameters<typeof planTune>[0], message: RegExp) =>
    assert.throws(() => planTune(options), (error: Error) => error instanceof AffinityConfigError && message.test(error.message));
  refuse({ base: { dataset: 'gaussians', loss: 'affinity', validationFraction: 0 }, budget: 4 }, /validation split/);
  refuse({ base: { dataset: 'gaussians', loss: 'affinity' }, budget: 0 }, /budget must be an integer >= 1/);
  refuse({ base: { dataset: 'gaussians', loss: 'affinity' }, budget: 4, eta: 1 }, /eta must be an integer >= 2/);
  refuse({ base: { dataset: 'gaussians', loss: 'focal', learningRate: 1e-3 }, budget: 4 }, /nothing to search/);
  refuse({ base: { dataset: 'gaussians', loss: 'affinity', sigma: -1 }, budget: 4 }, /sigma must be a finite number > 0/);
});
