import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AffinityConfigError, DatasetFormatError } from 'affinity-loss/internal/errors.js';
import { planBench } from '../../src/bench/runner.js';
import { recordedConfig, type PlannedRun } from '../../src/bench/run.js';
import type { RunRecord } from '../../src/bench/results.js';
import { jobDataOf, jobIdOf, readJobData, readJobResult } from '../../src/queue/jobs.js';

const tiny = (epochs = 1) => planBench({ protocol: 'figure1', quick: true, methods: ['softmax', 'affinity'], overrides: { trainFraction: 0.06, epochs } }).plans;

test('a job id is the run id and a hash of everything that defines the run: the same run gives the same id, another config another', () => {
  const [softmax, affinity] = tiny();
  assert.match(jobIdOf(softmax), /^digits-0-4-at-10__softmax__seed1__[0-9a-f]{16}$/);
  assert.equal(jobIdOf(tiny()[0]), jobIdOf(softmax), 'planned again: the same job');
  // The order fields were set in does not matter.
  const reordered: PlannedRun = { ...softmax, config: Object.fromEntries(Object.entries(softmax.config).reverse()) as PlannedRun['config'] };
  assert.equal(jobIdOf(reordered), jobIdOf(softmax));
  assert.notEqual(jobIdOf(tiny(2)[0]), jobIdOf(softmax), 'other epochs: another job');
  assert.notEqual(jobIdOf(affinity), jobIdOf(softmax));
});

test('a worker reads back exactly the plan the coordinator enqueued', () => {
  for (const plan of tiny()) {
    const data = JSON.parse(JSON.stringify(jobDataOf(plan)));
    assert.deepEqual(readJobData(data, jobIdOf(plan)), plan);
  }
});

test('a worker refuses code paths, unknown fields, bad values, unresolved configs and data changed after enqueueing', () => {
  const [plan] = tiny();
  const id = jobIdOf(plan);
  const data = () => JSON.parse(JSON.stringify(jobDataOf(plan)));
  const cases: [(value: { format: number; plan: Record<string, unknown> & { config: Record<string, unknown>; extras: Record<string, unknown> } }) => unknown, RegExp][] = [
    // The data-parallel recipe, anywhere a job could carry it.
    [(value) => ((value.plan.recipe = { module: '/tmp/evil.js', exportName: 'build' }), value), /its plan has unknown field recipe/],
    [(value) => ((value.plan.config.module = '/tmp/evil.js'), (value.plan.config.exportName = 'x'), value), /its config has unknown fields module, exportName/],
    [(value) => ((value.plan.extras.module = '/tmp/evil.js'), value), /its extras has unknown field module/],
    [(value) => ({ ...value, recipe: { module: 'x' } }), /its data has unknown field recipe/],
    [(value) => ((value.plan.config.learningRate = -1), value), /learningRate must be a finite number > 0, got -1/],
    [(value) => ((value.plan.config.margin = 0.5), value), /margin does not apply to method softmax/],
    [(value) => ((value.plan.config.method = 'nosuch'), value), /unknown method "nosuch"/],
    [(value) => ((value.plan.extras.features = 'yes'), value), /extras.features must be true or false/],
    [(value) => (delete value.plan.config.batchSize, value), /its config is not fully resolved here \(batchSize: unset there, 128 now\)/],
    [(value) => ((value.plan.config.epochs = 2), value), /its plan gives job id .*: the data was changed after it was enqueued/],
    [(value) => ((value.plan.id = '../../etc/passwd'), value), /its run id must be a file-name-safe name/],
    [(value) => ((value.format = 2), value), /format 2; this worker reads format 1/],
    [() => 'a string', /its data must be a plain object/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => readJobData(change(data()), id), (error: Error) => {
      assert.ok(error instanceof AffinityConfigError, `${message}: ${error.constructor.name} ${error.message}`);
      assert.match(error.message, new RegExp(`^job ${id} refused: `));
      assert.match(error.message, message);
      return true;
    });
  }
});

test('the coordinator refuses a result that is not the run it asked for', () => {
  const [plan, other] = tiny();
  const record = {
    id: plan.id,
    protocol: plan.protocol,
    setting: plan.setting,
    settingOrder: plan.settingOrder,
    method: plan.config.method,
    seed: plan.config.seed,
    config: recordedConfig(plan),
    bestEpoch: 1,
    history: [],
    minorityClasses: [],
    classNames: [],
    seconds: 1,
    backend: 'wasm',
  } satisfies RunRecord;
  assert.deepEqual(readJobResult(record, plan, 'j'), record);
  assert.throws(() => readJobResult({ ...record, id: other.id }, plan, 'j'), /the result of job j is for another run \(id "digits-0-4-at-10__affinity__seed1"\)/);
  assert.throws(() => readJobResult({ ...record, config: { ...record.config, epochs: 3 } }, plan, 'j'), /trained with another config \(epochs: 3 there, 1 now\)/);
  assert.throws(() => readJobResult({ ...record, history: 'x' }, plan, 'j'), DatasetFormatError);
  assert.throws(() => readJobResult(null, plan, 'j'), /the result of job j is empty/);
});
