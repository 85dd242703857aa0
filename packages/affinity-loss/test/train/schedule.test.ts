import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError } from '../../src/index.js';
import { learningRateAt, validateSchedule } from '../../src/train/schedule.js';

const at = (epoch: number, step = 0) => ({ epoch, step, stepsPerEpoch: 4, epochs: 10 });

test('cosine anneals from the initial rate to the minimum, half-way at the middle', () => {
  const options = { schedule: { type: 'cosine' as const, minLearningRate: 0.1 } };
  assert.equal(learningRateAt(1, at(0), options), 1);
  assert.ok(Math.abs(learningRateAt(1, at(5), options) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRateAt(1, at(2, 2), options) - (0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.25)))) < 1e-12);
});

test('step schedule multiplies by gamma at each milestone; warm-up ramps per step', () => {
  const options = { schedule: { type: 'step' as const, milestones: [3, 6], gamma: 0.1 } };
  assert.deepEqual([0, 2, 3, 5, 6, 9].map((e) => +learningRateAt(1, at(e), options).toPrecision(6)), [1, 1, 0.1, 0.1, 0.01, 0.01]);
  assert.deepEqual([0, 1, 2, 3, 4].map((s) => learningRateAt(1, { epoch: Math.floor(s / 4), step: s % 4, stepsPerEpoch: 4, epochs: 10 }, { warmupEpochs: 1 })), [0.25, 0.5, 0.75, 1, 1]);
});

test('bad schedules are refused', () => {
  assert.throws(() => validateSchedule({ type: 'step', milestones: [] }, 10), AffinityConfigError);
  assert.throws(() => validateSchedule({ type: 'step', milestones: [5, 3] }, 10), /increase/);
  assert.throws(() => validateSchedule({ type: 'step', milestones: [10] }, 10), /last epoch/);
  assert.throws(() => validateSchedule({ type: 'warp' } as never, 10), /constant/);
});
