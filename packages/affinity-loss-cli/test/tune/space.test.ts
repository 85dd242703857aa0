import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { Rng } from 'affinity-loss/internal/data/rng.js';
import { DEFAULT_SEARCH_SPACE, sampleTrial, searchedSpace } from '../../src/tune/space.js';
import { halvingEpochs, planTune } from '../../src/tune/tuner.js';
import { resolveExperimentConfig } from '../../src/bench/experiment.js';

test('halvingEpochs: the last round trains the full epochs, each earlier one eta times fewer', () => {
  assert.deepEqual(halvingEpochs(9, 9, 3), [1, 3, 9]); // 9 configurations: rounds of 9, 3, 1
  assert.deepEqual(halvingEpochs(27, 27, 3), [1, 3, 9, 27]);
  assert.deepEqual(halvingEpochs(10, 4, 2), [3, 5, 10]); // round(10/4) = 3 (2.5 rounds up)
  assert.deepEqual(halvingEpochs(10, 2, 3), [10]); // fewer configurations than eta: one round
  assert.deepEqual(halvingEpochs(2, 27, 3), [1, 2]); // rounds that cannot train fewer epochs merge
});

test('searchedSpace: the affinity heads search their settings and the rate; fixed values and other heads do not', () => {
  const head = ['sigma', 'margin', 'prototypesPerClass', 'diversityWeight', 'classMargins', 'priorCorrection', 'learningRate'];
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', method: 'affinity' })), head);
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', method: 'affinity-lt' })), head);
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', method: 'affinity-m5' })), head.filter((key) => key !== 'prototypesPerClass'));
  // The cross-entropy form has no margin.
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', method: 'affinity-ce' })), ['sigma', 'prototypesPerClass', 'diversityWeight', 'priorCorrection', 'learningRate']);
  assert.deepEqual(
    Object.keys(searchedSpace({ dataset: 'mnist', method: 'affinity', sigma: 10, margin: 0.5, classMargins: true, priorCorrection: 'auto' })),
    ['prototypesPerClass', 'diversityWeight', 'learningRate'],
  );
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', method: 'focal' })), ['learningRate']);
  assert.deepEqual(Object.keys(searchedSpace({ dataset: 'mnist', method: 'focal', learningRate: 1e-3 })), []);
});

test('sampleTrial draws inside the ranges, log-uniformly for sigma, and the same seed draws the same values', () => {
  const space = searchedSpace({ dataset: 'mnist', method: 'affinity' });
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 400 }, () => sampleTrial(space, rng, resolveExperimentConfig({ dataset: 'mnist', method: 'affinity' })));
  };
  const trials = draw(5);
  assert.deepEqual(draw(5), trials);
  assert.notDeepEqual(draw(6), trials);
  const [low, high] = DEFAULT_SEARCH_SPACE.sigma as readonly [number, number];
  let belowDefault = 0;
  for (const trial of trials) {
    const sigma = trial.sigma as number;
    assert.ok(sigma >= 130 * low * 0.999 && sigma <= 130 * high * 1.001, `sigma ${sigma}`);
    assert.ok(trial.margin! >= 0.05 && trial.margin! <= 0.8);
    assert.ok([1, 2, 5].includes(trial.prototypesPerClass!));
    assert.ok(typeof trial.classMargins === 'boolean');
    assert.ok((DEFAULT_SEARCH_SPACE.priorCorrection as readonly unknown[]).includes(trial.priorCorrection), `tau ${trial.priorCorrection}`);
    assert.ok(trial.learningRate! >= 3e-4 * 0.999 && trial.learningRate! <= 3e-3 * 1.001);
    if (sigma < 130) belowDefault++;
  }
  // Log-uniform on [0.05, 5] x default: ln(1 / 0.05) / ln(5 / 0.05) = 65% of the mass below the
  // default; a uniform draw would put (1 - 0.05) / 4.95 = 19% there.
  assert.ok(belowDefault > 230 && belowDefault < 290, `${belowDefault} of 400 below the default sigma`);
});

test('planTune checks everything before training and refuses a search without a validation split', () => {
  const plan = planTune({ base: { dataset: 'gaussians', method: 'affinity', epochs: 9 }, budget: 9 });
  assert.equal(plan.configurations.length, 9);
  assert.deepEqual(plan.rounds, [1, 3, 9]);
  assert.deepEqual(planTune({ base: { dataset: 'gaussians', method: 'affinity', epochs: 9 }, budget: 9, strategy: 'random' }).rounds, [9]);
  const refuse = (options: Parameters<typeof planTune>[0], message: RegExp) =>
    assert.throws(() => planTune(options), (error: Error) => error instanceof AffinityConfigError && message.test(error.message));
  refuse({ base: { dataset: 'gaussians', method: 'affinity', validationFraction: 0 }, budget: 4 }, /validation split/);
  refuse({ base: { dataset: 'gaussians', method: 'affinity' }, budget: 0 }, /budget must be an integer >= 1/);
  refuse({ base: { dataset: 'gaussians', method: 'affinity' }, budget: 4, eta: 1 }, /eta must be an integer >= 2/);
  refuse({ base: { dataset: 'gaussians', method: 'focal', learningRate: 1e-3 }, budget: 4 }, /nothing to search/);
  refuse({ base: { dataset: 'gaussians', method: 'affinity', sigma: -1 }, budget: 4 }, /sigma must be a finite number > 0/);
});

test('sampleTrial draws the head settings first, then the learning rate: a search seed gives the trials it gave before the settings table', () => {
  // The draws as tune made them before: sigma, margin, prototypes, diversity weight, margin form,
  // tau, learning rate, each from the same stream.
  const rng = new Rng(11);
  const logUniform = (low: number, high: number) => Math.exp(Math.log(low) + rng.next() * (Math.log(high) - Math.log(low)));
  const round3 = (value: number) => Number(value.toPrecision(3));
  const taus = DEFAULT_SEARCH_SPACE.priorCorrection;
  const expected = Array.from({ length: 20 }, () => ({
    sigma: round3(130 * logUniform(0.05, 5)),
    margin: round3(0.05 + rng.next() * 0.75),
    prototypesPerClass: [1, 2, 5][rng.int(3)],
    diversityWeight: round3(logUniform(0.001, 1)),
    classMargins: [false, true][rng.int(2)],
    priorCorrection: taus[rng.int(taus.length)],
    learningRate: round3(logUniform(3e-4, 3e-3)),
  }));
  const drawn = new Rng(11);
  const config = resolveExperimentConfig({ dataset: 'mnist', method: 'affinity' });
  const space = searchedSpace({ dataset: 'mnist', method: 'affinity' });
  assert.deepEqual(Array.from({ length: 20 }, () => sampleTrial(space, drawn, config)), expected);
});

test('searchedSpace refuses a field it does not search and a range of the wrong kind', () => {
  const base = { dataset: 'mnist', method: 'affinity' };
  assert.throws(() => searchedSpace(base, { sigmaScale: [0.5, 2] } as never), /the search space has unknown field sigmaScale; searched: sigma, margin, /);
  assert.throws(() => searchedSpace(base, { learningRate: [1e-4] } as never), /the search range of learningRate must be \[low, high\] with 0 < low <= high, got \[0.0001\]/);
  assert.throws(() => searchedSpace(base, { margin: [0.5, 0.1] }), /the search range of margin must be \[low, high\] with low <= high/);
  assert.throws(() => searchedSpace(base, { classMargins: [0, 1] } as never), /classMargins must be true or false, got 0/);
  assert.throws(() => searchedSpace(base, { prototypesPerClass: [] }), /must be a non-empty list/);
  assert.deepEqual(searchedSpace(base, { sigma: [0.5, 2], priorCorrection: [0, 'auto'] }), { sigma: [0.5, 2], priorCorrection: [0, 'auto'] });
});
