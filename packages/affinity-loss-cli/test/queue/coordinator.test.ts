// The coordinator (runPlans with the queue executor) against a real redis-server, with workers
// in this process: BullMQ workers whose processor trains tiny runs on the cpu backend, or
// misbehaves on purpose. The worker processes of `affinity worker` are tested in test/cli/queue.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { resolveExperimentConfig } from '../../src/bench/experiment.js';
import { runPlans, type PoolEvent } from '../../src/bench/pool.js';
import type { RunRecord } from '../../src/bench/results.js';
import { executeRun, type PlannedRun } from '../../src/bench/run.js';
import { queueOptions } from '../../src/queue/connection.js';
import { queueExecutor, runJobOptions } from '../../src/queue/coordinator.js';
import { jobDataOf, jobIdOf, readJobData, RUN_JOB_NAME, type RunJobData } from '../../src/queue/jobs.js';
import { parseQueueUrl } from '../../src/queue/url.js';
import { startQueueWorker } from '../../src/queue/worker.js';
import { temporaryFolder } from '../../../affinity-loss-node/test/data/tmp.js';
import { startRedisServer } from './redisServer.js';

const root = temporaryFolder('queue-coordinator');
// Whatever a failed test left open is closed before the server stops (hooks run in the order
// they were registered): an open connection would keep this file's process alive.
const opened: { close(): Promise<unknown> }[] = [];
after(async () => {
  await Promise.allSettled(opened.map((item) => Promise.race([item.close(), new Promise((resolve) => setTimeout(resolve, 3000))])));
});
const redis = await startRedisServer();
const address = parseQueueUrl(redis.url, {});

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

/** Runs of a second or less on the cpu backend: 2-D blobs, 30% of the rows, one epoch. */
function blobPlans(losses: readonly string[], epochs = 1): PlannedRun[] {
  return losses.map((loss) => ({
    id: `blobs__${loss}__seed1`,
    protocol: 'test',
    setting: 'blobs',
    settingOrder: 0,
    config: resolveExperimentConfig({ dataset: 'gaussians', method: loss, epochs, featureWidth: 8, batchSize: 64, trainFraction: 0.3 }),
    extras: {},
  }));
}

/** A worker in this process; `process` gets the checked plan. Counts the runs each plan trained. */
function localWorker(queueName: string, process: (plan: PlannedRun, job: Job) => Promise<RunRecord> = (plan) => executeRun(plan, 'cpu'), concurrency = 1) {
  const trained = new Map<string, number>();
  const worker = new Worker<RunJobData, RunRecord>(
    queueName,
    async (job) => {
      const plan = readJobData(job.data, job.id!);
      trained.set(plan.id, (trained.get(plan.id) ?? 0) + 1);
      return process(plan, job);
    },
    { ...queueOptions(address), name: 'test-worker', concurrency },
  );
  worker.on('error', () => {});
  opened.push(worker);
  return { worker, trained };
}

function newQueue(name: string): Queue<RunJobData, RunRecord> {
  const queue = new Queue<RunJobData, RunRecord>(name, queueOptions(address));
  queue.on('error', () => {});
  opened.push(queue);
  return queue;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('results completed in Redis while no coordinator ran are written without training again; only missing runs are enqueued', async () => {
  const name = 'resume';
  const plans = blobPlans(['softmax', 'focal', 'center-loss']);
  // An earlier coordinator enqueued two runs and died; a worker trained them meanwhile.
  const queue = newQueue(name);
  await queue.addBulk(plans.slice(0, 2).map((plan) => ({ name: RUN_JOB_NAME, data: jobDataOf(plan), opts: runJobOptions(plan) })));
  const early = localWorker(name);
  await until(async () => (await queue.getCompletedCount()) === 2, 'the first two jobs');
  await early.worker.close();

  // Long enough for the coordinator to see it running (real runs take minutes).
  const now = localWorker(name, async (plan) => (await new Promise((resolve) => setTimeout(resolve, 500)), executeRun(plan, 'cpu')));
  const events: PoolEvent[] = [];
  const runsDir = join(root, 'resume');
  const result = await runPlans(plans, { runsDir, executor: queueExecutor({ address, queueName: name }), onEvent: (event) => events.push(event), command: 'affinity bench x' });
  await now.worker.close();
  await queue.close();

  assert.deepEqual(result.done.map((run) => run.id), plans.map((plan) => plan.id));
  assert.deepEqual(result.failed, []);
  assert.deepEqual([...now.trained], [['blobs__center-loss__seed1', 1]], 'only the missing run trained now');
  const notes = events.flatMap((event) => (event.type === 'note' ? [event.message] : []));
  assert.ok(notes.some((note) => /1 enqueued, 2 already completed there \(not trained again\)/.test(note)), notes.join('\n'));
  assert.ok(events.some((event) => event.type === 'started' && event.plan.id === 'blobs__center-loss__seed1' && event.where === 'test-worker'), 'the running job is named with its worker');
  for (const plan of plans) {
    const record = JSON.parse(readFileSync(join(runsDir, `${plan.id}.json`), 'utf8')) as RunRecord;
    assert.equal(record.command, 'affinity bench x', 'written as a local run is');
    assert.equal(record.history.length, 1);
  }
});

test('a run trained twice (at-least-once delivery) is written once, and counted once', async () => {
  const name = 'twice';
  const [first, held] = blobPlans(['softmax', 'focal']);
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { worker, trained } = localWorker(
    name,
    async (plan) => {
      if (plan.id === held.id) await gate;
      return executeRun(plan, 'cpu');
    },
    2,
  );
  const runsDir = join(root, 'twice');
  const events: PoolEvent[] = [];
  const running = runPlans([first, held], { runsDir, executor: queueExecutor({ address, queueName: name }), onEvent: (event) => events.push(event) });
  const file = join(runsDir, `${first.id}.json`);
  const queue = newQueue(name);
  let written: string;
  let result: Awaited<typeof running>;
  try {
    await until(() => existsSync(file), 'the first result');
    written = readFileSync(file, 'utf8');
    // What a lost lock or a second coordinator's retry does: the finished job runs again.
    await (await queue.getJob(jobIdOf(first)))!.retry('completed');
    await until(() => events.some((event) => event.type === 'note' && /delivered again/.test(event.message)), 'the second delivery');
  } finally {
    release();
    result = await running;
    await worker.close();
    await queue.close();
  }

  assert.equal(trained.get(first.id), 2, 'it did train twice');
  assert.deepEqual(result.done.map((run) => run.id), [first.id, held.id], 'counted once');
  assert.equal(events.filter((event) => event.type === 'finished').length, 2);
  assert.ok(events.some((event) => event.type === 'note' && event.message === `${first.id} was delivered again (it trained twice); the same result, counted once`));
  assert.equal(readFileSync(file, 'utf8'), written, 'the first file is kept as it was');
  assert.deepEqual(readdirSync(runsDir).filter((entry) => entry.endsWith('.json')).sort(), [`${held.id}.json`, `${first.id}.json`].sort());
});

test('a failure a retry cannot fix fails once with its reason; another is retried; a wrong result is refused, never written', async () => {
  const name = 'failures';
  const [bad, flaky, wrong] = blobPlans(['softmax', 'focal', 'center-loss']);
  const { worker, trained } = localWorker(name, async (plan, job) => {
    if (plan.id === bad.id) throw new UnrecoverableError('DatasetNotFoundError: /data/cifar10 is missing on this worker');
    if (plan.id === flaky.id && job.attemptsMade === 0) throw new Error('the thread ran out of memory');
    const record = await executeRun(plan, 'cpu');
    return plan.id === wrong.id ? { ...record, config: { ...record.config, epochs: 7 } } : record;
  });
  const runsDir = join(root, 'failures');
  const events: PoolEvent[] = [];
  const result = await runPlans([bad, flaky, wrong], {
    runsDir,
    executor: queueExecutor({ address, queueName: name, attempts: 3, retryDelayMs: 1500 }),
    onEvent: (event) => events.push(event),
  });
  await worker.close();
  assert.deepEqual(result.done.map((run) => run.id), [flaky.id]);
  assert.equal(trained.get(bad.id), 1, 'not retried');
  assert.equal(trained.get(flaky.id), 2, 'retried once');
  const failures = new Map(result.failed.map(({ plan, error }) => [plan.id, error.message]));
  assert.equal(failures.get(bad.id), 'DatasetNotFoundError: /data/cifar10 is missing on this worker (on test-worker, 1 attempt; not retried: a retry cannot fix it)');
  assert.match(failures.get(wrong.id)!, /the result of job blobs__center-loss__seed1__[0-9a-f]+ was trained with another config \(epochs: 7 there, 1 now\)/);
  assert.ok(events.some((event) => event.type === 'note' && /blobs__focal__seed1: try 1 failed \(the thread ran out of memory\); back in the queue to be retried/.test(event.message)));
  assert.deepEqual(readdirSync(runsDir).filter((entry) => entry.endsWith('.json')), [`${flaky.id}.json`]);
  // Failed jobs stay in Redis with their reason; the same command again retries them.
  const queue = newQueue(name);
  const job = await queue.getJob(jobIdOf(bad));
  assert.equal(await job!.getState(), 'failed');
  assert.equal(job!.attemptsMade, 1);
  await queue.close();
});

test('a worker fails a job that names a module, or whose dataset is missing here, once and without loading anything', async () => {
  const name = 'refusals';
  const marker = join(root, 'loaded');
  const evil = join(root, 'evil.mjs');
  writeFileSync(evil, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'loaded');\nexport const build = () => {};\n`);
  const missing = {
    id: 'digits__softmax__seed1',
    protocol: 'test',
    setting: 'digits',
    settingOrder: 0,
    config: resolveExperimentConfig({ dataset: 'digits', datasetPath: join(root, 'no-such', 'digits.csv.gz'), method: 'softmax', epochs: 1 }),
    extras: {},
  } satisfies PlannedRun;
  const [plain] = blobPlans(['softmax']);
  const tampered = { ...jobDataOf(plain), plan: { ...jobDataOf(plain).plan, recipe: { module: evil, exportName: 'build' } } };
  const queue = newQueue(name);
  await queue.add(RUN_JOB_NAME, jobDataOf(missing), runJobOptions(missing));
  await queue.add(RUN_JOB_NAME, tampered as RunJobData, runJobOptions(plain));
  const events: string[] = [];
  const worker = await startQueueWorker({ address, queueName: name, threads: 1, onEvent: (event) => events.push(JSON.stringify(event)) });
  opened.push(worker);
  await until(async () => (await queue.getFailedCount()) === 2, 'both jobs to fail', 60_000);
  await worker.close();

  const missingJob = await queue.getJob(jobIdOf(missing));
  assert.equal(missingJob!.attemptsMade, 1, 'attempts 2, but a missing dataset is not retried');
  assert.match(missingJob!.failedReason, /^DatasetNotFoundError: .*no-such\/digits\.csv\.gz is not digits\.csv\.gz nor a folder holding it/);
  const tamperedJob = await queue.getJob(jobIdOf(plain));
  assert.equal(tamperedJob!.attemptsMade, 1);
  assert.match(tamperedJob!.failedReason, /^job blobs__softmax__seed1__[0-9a-f]+ refused: its plan has unknown field recipe/);
  assert.equal(existsSync(marker), false, 'the module named by the job was never loaded');
  assert.ok(events.some((line) => /"type":"failed".*"retried":false/.test(line)), events.join('\n'));
  await queue.close();
});
