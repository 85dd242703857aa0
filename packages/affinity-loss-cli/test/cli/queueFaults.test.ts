// Faults of a queued bench, with real processes against a real redis-server: a worker killed
// mid-run, the coordinator killed, a worker stopped by SIGTERM once or twice. Lock and stall
// settings are short here (seconds) so a lost job comes back in seconds rather than minutes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { planBench } from '../../src/bench/runner.js';
import { queueOptions } from '../../src/queue/connection.js';
import { runJobOptions } from '../../src/queue/coordinator.js';
import { jobDataOf, jobIdOf, RUN_JOB_NAME, type RunJobData } from '../../src/queue/jobs.js';
import { parseQueueUrl } from '../../src/queue/url.js';
import { temporaryFolder } from '../../../affinity-loss-node/test/data/tmp.js';
import { CliProcess, until } from '../queue/cliProcess.js';
import { startRedisServer } from '../queue/redisServer.js';

const root = temporaryFolder('queue-faults');
const redis = await startRedisServer();
const address = parseQueueUrl(redis.url, {});

const TINY = ['--protocol', 'figure1', '--quick', '--train-fraction', '0.06', '--epochs', '1'];
const SHORT_LOCKS = ['--lock-seconds', '2', '--stall-check-seconds', '1'];
const plansOf = (losses: string[], epochs = 1) => planBench({ protocol: 'figure1', quick: true, methods: losses, overrides: { trainFraction: 0.06, epochs } }).plans;

function queueNamed(name: string): Queue<RunJobData> {
  const queue = new Queue<RunJobData>(name, queueOptions(address));
  queue.on('error', () => {});
  return queue;
}

function runFiles(out: string): string[] {
  const folder = join(out, 'runs');
  return existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.json') && !name.includes('.tmp')) : [];
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, 'g'))?.length ?? 0;

test('a worker killed with SIGKILL mid-run: its job goes to another worker, and the one lost worker does not fail it', async () => {
  const name = 'killed-worker';
  const out = join(root, 'killed-worker');
  const [plan] = plansOf(['softmax']);
  const queue = queueNamed(name);
  try {
    const first = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1', ...SHORT_LOCKS]);
    await first.waitFor(/1 job at once/);
    const coordinator = new CliProcess(['bench', ...TINY, '--methods', 'softmax', '--queue', redis.url, '--queue-name', name, '--out', out]);
    await first.waitFor(/started digits-0-4-at-10__softmax__seed1/);
    first.child.kill('SIGKILL');
    await first.exit();
    const second = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1', ...SHORT_LOCKS]);
    assert.equal(await coordinator.exit(), 0, coordinator.output);
    second.child.kill('SIGTERM');
    assert.equal(await second.exit(), 0, second.output);

    assert.doesNotMatch(first.output, /finished digits/);
    assert.match(second.output, new RegExp(`started ${jobIdOf(plan)}[^\\n]*\\n[^\\n]*finished ${jobIdOf(plan)}`));
    assert.match(coordinator.output, new RegExp(`started ${plan.id} on \\S+:${first.pid}`));
    assert.match(coordinator.output, /its worker stopped answering \(lock expired\); the job goes back to the queue for another worker/);
    assert.match(coordinator.output, new RegExp(`started ${plan.id} on \\S+:${second.pid}`));
    assert.match(coordinator.output, /1 runs trained, 0 already done, 0 failed/);
    assert.deepEqual(runFiles(out), [`${plan.id}.json`]);
    const job = await queue.getJob(jobIdOf(plan));
    assert.equal(job!.stalledCounter, 1, 'the stall was counted');
    assert.equal(job!.attemptsMade, 1, 'a stall is not a failed attempt');
  } finally {
    await queue.close();
  }
});

test('the coordinator killed: the same command again finds what finished meanwhile in Redis and in the folder, and enqueues only what is missing', async () => {
  const name = 'killed-coordinator';
  const out = join(root, 'killed-coordinator');
  const losses = ['softmax', 'center-loss', 'affinity'];
  const plans = plansOf(losses);
  const command = ['bench', ...TINY, '--methods', losses.join(','), '--queue', redis.url, '--queue-name', name, '--out', out];
  const queue = queueNamed(name);
  const worker = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1']);
  try {
    await worker.waitFor(/1 job at once/);
    const first = new CliProcess(command);
    await until(() => runFiles(out).length > 0, 'the first result file');
    first.child.kill('SIGKILL');
    await first.exit();
    // The worker goes on with the jobs in Redis while no coordinator runs.
    await until(async () => (await queue.getCompletedCount()) === 3, 'the worker to finish every job');
    const onDisk = runFiles(out);
    assert.equal(onDisk.length, 1, `${onDisk.join(', ')}: only the first result reached the folder`);
    // One finished job is gone from Redis too (kept for a week in real use): that run is missing everywhere.
    const missing = plans.find((plan) => !onDisk.includes(`${plan.id}.json`))!;
    await queue.remove(jobIdOf(missing));

    const again = new CliProcess(command);
    assert.equal(await again.exit(), 0, again.output);
    assert.match(again.output, /3 runs planned: 1 already done, 2 to train on the queue/);
    assert.match(again.output, /: 1 enqueued, 1 already completed there \(not trained again\); waiting/);
    assert.match(again.output, new RegExp(`warning: took over .*runs/\\.lock: its owner, pid ${first.child.pid} \\(since .*\\), no longer runs`));
    assert.deepEqual(runFiles(out).sort(), plans.map((plan) => `${plan.id}.json`).sort());
    for (const file of ['results.md', 'report.html']) assert.ok(existsSync(join(out, file)), file);
    // Each run trained once, but the one whose job had gone, which trained again.
    for (const plan of plans) {
      assert.equal(count(worker.output, new RegExp(`started ${jobIdOf(plan)}`)), plan === missing ? 2 : 1, `${plan.id}:\n${worker.output}`);
    }
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exit();
    await queue.close();
  }
});

test('SIGTERM stops a worker after its job finishes; a second SIGTERM puts the job back in the queue at once, for another worker', async () => {
  const name = 'stopped';
  const [finishing, released] = plansOf(['softmax', 'affinity'], 2);
  const queue = queueNamed(name);
  try {
    await queue.add(RUN_JOB_NAME, jobDataOf(finishing), runJobOptions(finishing));
    const first = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1']);
    await first.waitFor(/started digits-0-4-at-10__softmax/);
    first.child.kill('SIGTERM');
    assert.equal(await first.exit(), 0, first.output);
    assert.match(first.output, new RegExp(`SIGTERM: taking no new job; finishing the jobs in training[^\\n]*\\n[^\\n]*finished ${jobIdOf(finishing)}[^\\n]*\\n[^\\n]*stopped`));
    assert.equal(await queue.getJobState(jobIdOf(finishing)), 'completed');

    await queue.add(RUN_JOB_NAME, jobDataOf(released), runJobOptions(released));
    // A minute-long lock: the job can only come back this soon if the worker gives it back.
    const second = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1', '--lock-seconds', '60']);
    await second.waitFor(/started digits-0-4-at-10__affinity/);
    second.child.kill('SIGTERM');
    await second.waitFor(/SIGTERM: taking no new job/);
    second.child.kill('SIGTERM');
    assert.equal(await second.exit(15_000), 0, second.output);
    assert.match(second.output, new RegExp(`put ${jobIdOf(released)} back in the queue, unfinished[\\s\\S]*stopped`));
    assert.doesNotMatch(second.output, /finished digits/);
    assert.equal(await queue.getJobState(jobIdOf(released)), 'waiting');
    assert.equal((await queue.getJob(jobIdOf(released)))!.attemptsMade, 0, 'giving a job back is not a failed attempt');

    const third = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1']);
    await third.waitFor(new RegExp(`finished ${jobIdOf(released)}`));
    third.child.kill('SIGTERM');
    assert.equal(await third.exit(), 0);
    assert.equal(await queue.getJobState(jobIdOf(released)), 'completed');
  } finally {
    await queue.close();
  }
});

test('a worker paused past its lock (at-least-once delivery): another trains the run; the paused one stops its copy when it wakes; the run is written once', async () => {
  const name = 'paused-worker';
  const out = join(root, 'paused-worker');
  const [plan] = plansOf(['softmax'], 3);
  const paused = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1', ...SHORT_LOCKS]);
  await paused.waitFor(/1 job at once/);
  const coordinator = new CliProcess(['bench', ...TINY.slice(0, -2), '--epochs', '3', '--methods', 'softmax', '--queue', redis.url, '--queue-name', name, '--out', out]);
  await paused.waitFor(/started digits-0-4-at-10__softmax__seed1/);
  // A machine suspended, or a process swapped out: alive, but silent past its lock.
  paused.child.kill('SIGSTOP');
  const other = new CliProcess(['worker', '--queue', redis.url, '--queue-name', name, '--workers', '1', ...SHORT_LOCKS]);
  try {
    assert.equal(await coordinator.exit(), 0, coordinator.output);
  } finally {
    paused.child.kill('SIGCONT');
  }
  await paused.waitFor(new RegExp(`lost the lock of ${jobIdOf(plan)} \\(this process was paused or cut off, and another worker may have it now\\); stopped training it`));
  for (const worker of [paused, other]) worker.child.kill('SIGTERM');
  for (const worker of [paused, other]) assert.equal(await worker.exit(), 0, worker.output);

  assert.doesNotMatch(paused.output, /finished digits|warning/);
  assert.match(other.output, new RegExp(`finished ${jobIdOf(plan)}`));
  assert.equal(count(coordinator.output, /\[1\/1\] digits 0-4 at 10% softmax seed 1/), 1, coordinator.output);
  assert.deepEqual(runFiles(out), [`${plan.id}.json`]);
});
