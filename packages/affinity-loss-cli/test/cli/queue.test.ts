// `affinity bench --queue` with `affinity worker` processes against a real redis-server: the
// same numbers as a local bench, credentials nowhere, clear errors for a server that cannot be
// used, and a job a retry cannot fix failing once, in the output and the report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { planBench } from '../../src/bench/runner.js';
import type { RunResult } from '../../src/bench/results.js';
import { queueOptions } from '../../src/queue/connection.js';
import { runJobOptions } from '../../src/queue/coordinator.js';
import { jobDataOf, jobIdOf, RUN_JOB_NAME, type RunJobData } from '../../src/queue/jobs.js';
import { parseQueueUrl } from '../../src/queue/url.js';
import { parseRunResult } from '../../src/report/read.js';
import { temporaryFolder } from '../../../affinity-loss-node/test/data/tmp.js';
import { CliProcess } from '../queue/cliProcess.js';
import { startRedisServer } from '../queue/redisServer.js';

const PASSWORD = 'hunter2-very-secret';
const root = temporaryFolder('queue-cli');
const redis = await startRedisServer({ password: PASSWORD });
const withPassword = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
const withoutPassword = `redis://127.0.0.1:${redis.port}`;
const passwordEnv = { AFFINITY_QUEUE_PASSWORD: PASSWORD };

// The figure1 protocol on 6% of MNIST's training rows for one epoch: each run takes seconds.
const TINY = ['--protocol', 'figure1', '--quick', '--train-fraction', '0.06', '--epochs', '1'];

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => join(dir, name)).filter((path) => statSync(path).isFile());
}

function runs(out: string): Map<string, RunResult> {
  const folder = join(out, 'runs');
  return new Map(readdirSync(folder).filter((name) => name.endsWith('.json')).map((name) => [name, parseRunResult(readFileSync(join(folder, name), 'utf8'), name)]));
}

/** What must agree between two trainings of one run: all but times, the backend and the command. */
function numbers(run: RunResult): object {
  const { seconds: _seconds, command: _command, backend: _backend, history, ...rest } = run;
  return { ...rest, history: history.map(({ seconds: _epoch, ...epoch }) => epoch) };
}

test('a protocol through 2 worker processes: every result once, equal to a local run, and the password nowhere', async () => {
  const losses = ['--methods', 'softmax,center-loss,affinity'];
  // One worker has the password in its URL, the other in the environment.
  const workers = [new CliProcess(['worker', '--queue', withPassword, '--workers', '1']), new CliProcess(['worker', '--queue', withoutPassword, '--workers', '1'], passwordEnv)];
  for (const worker of workers) await worker.waitFor(/worker \S+ on redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 \(runs\): 1 thread, 1 job at once/);
  const out = join(root, 'queued');
  const coordinator = new CliProcess(['bench', ...TINY, ...losses, '--queue', withPassword, '--out', out]);
  assert.equal(await coordinator.exit(), 0, coordinator.output);
  const local = join(root, 'local');
  const reference = spawnSync(process.execPath, ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', 'bench', ...TINY, ...losses, '--workers', '2', '--out', local], { encoding: 'utf8' });
  assert.equal(reference.status, 0, reference.stderr);

  assert.match(coordinator.output, /3 runs planned: 0 already done, 3 to train on the queue redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 \(runs\)/);
  assert.match(coordinator.output, /3 enqueued; waiting for `affinity worker` processes/);
  assert.match(coordinator.output, /3 runs trained, 0 already done, 0 failed/);
  const queued = runs(out);
  const trained = runs(local);
  assert.deepEqual([...queued.keys()].sort(), [...trained.keys()].sort());
  for (const [file, run] of queued) {
    assert.deepEqual(numbers(run), numbers(trained.get(file)!), `${file}: the same numbers as the local run of the same config and seed`);
    assert.equal(run.command, `affinity bench ${TINY.join(' ')} ${losses.join(' ')} --queue 'redis://:***@127.0.0.1:${redis.port}' --out ${out}`);
  }
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { runs: RunResult[] };
  assert.deepEqual(results.runs.map((run) => run.id).sort(), [...queued.values()].map((run) => run.id).sort(), 'each run once in the report');
  for (const name of ['results.csv', 'results.md', 'report.html', 'plots/figure1.png']) assert.ok(existsSync(join(out, name)), name);

  // Both workers trained; the queue says so too.
  for (const worker of workers) assert.match(worker.output, /finished digits-0-4-at-10__\S+ in \d+ s/);
  const status = spawnSync(process.execPath, ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', 'queue', 'status', withoutPassword], { encoding: 'utf8', env: { ...process.env, ...passwordEnv } });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /waiting 0, active 0, completed 3, failed 0/);
  assert.match(status.stdout, new RegExp(`workers connected: .*:${workers[0].pid}.*:${workers[1].pid}|workers connected: .*:${workers[1].pid}.*:${workers[0].pid}`));

  for (const worker of workers) worker.child.kill('SIGTERM');
  for (const worker of workers) {
    assert.equal(await worker.exit(), 0, worker.output);
    assert.match(worker.output, /SIGTERM: taking no new job.*\n.*stopped/);
  }
  // The password is in no output and no file.
  for (const text of [coordinator.output, status.stdout, status.stderr, ...workers.map((worker) => worker.output)]) assert.ok(!text.includes(PASSWORD));
  for (const file of filesUnder(out)) assert.ok(!readFileSync(file).includes(PASSWORD), `${file} holds the password`);
});

test('a server that is down or refuses the password fails within seconds, with exit 2, naming the URL without the password', async () => {
  const closed = await startRedisServer();
  await closed.stop();
  const out = join(root, 'refused');
  const tune = ['tune', '--dataset', 'gaussians', '--method', 'affinity', '--epochs', '1', '--budget', '2', '--out', out];
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['bench', ...TINY, '--queue', `redis://:wrong-${PASSWORD}@127.0.0.1:${redis.port}`, '--out', out], {}, new RegExp(`the queue server redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0 refused the credentials \\(WRONGPASS`)],
    [['bench', ...TINY, '--queue', `redis://127.0.0.1:${redis.port}`, '--out', out], {}, new RegExp(`the queue server redis://127\\.0\\.0\\.1:${redis.port}/0 asks for a password and none was given; set AFFINITY_QUEUE_PASSWORD`)],
    [[...tune, '--queue', `redis://127.0.0.1:${redis.port}`], { AFFINITY_QUEUE_PASSWORD: `not-${PASSWORD}` }, /refused the credentials/],
    [['worker', '--queue', `redis://:${PASSWORD}@127.0.0.1:${closed.port}`], {}, new RegExp(`cannot reach the queue server redis://:\\*\\*\\*@127\\.0\\.0\\.1:${closed.port}/0 \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${closed.port}\\)`)],
    [['queue', 'status', `redis://:${PASSWORD}@127.0.0.1:${closed.port}`], {}, /cannot reach the queue server/],
    [['bench', ...TINY, '--queue', `redis://${PASSWORD}@127.0.0.1:${redis.port}`, '--out', out], {}, /queue URL redis:\/\/\*\*\*@127\.0\.0\.1:\d+: give the password after a colon/],
    [['bench', ...TINY, '--workers', '1', '--queue', withPassword, '--out', out], {}, /--workers sets the training threads of this machine, and with --queue nothing trains here/],
  ];
  for (const [args, env, message] of cases) {
    const command = new CliProcess(args, env);
    const code = await command.exit();
    assert.equal(code, 2, `${args.join(' ')}: ${command.output}`);
    assert.match(command.output, message);
    assert.ok(command.seconds < 15, `${args[0]} took ${command.seconds} s`);
    assert.ok(!command.output.includes(PASSWORD), command.output);
    assert.doesNotMatch(command.output, /\n\s+at /, 'no stack trace');
  }
  assert.equal(existsSync(out), false, 'nothing written for a refused command');
});

test('a job a retry cannot fix fails once: its error is in the output and the report, the other runs are written, exit 1', async () => {
  const name = 'tampered';
  const out = join(root, 'tampered');
  const { plans } = planBench({ protocol: 'figure1', quick: true, methods: ['softmax', 'affinity'], overrides: { trainFraction: 0.06, epochs: 1 } });
  const [bad, good] = plans;
  // Someone with access to Redis put a job with the id the coordinator will look for, naming a module.
  const queue = new Queue<RunJobData>(name, queueOptions(parseQueueUrl(withPassword, {})));
  queue.on('error', () => {});
  const tampered = jobDataOf(bad);
  (tampered.plan.config as unknown as Record<string, unknown>).module = '/tmp/evil.js';
  await queue.add(RUN_JOB_NAME, tampered, runJobOptions(bad));

  try {
    const coordinator = new CliProcess(['bench', ...TINY, '--methods', 'softmax,affinity', '--queue', withoutPassword, '--queue-name', name, '--out', out], passwordEnv);
    await coordinator.waitFor(/1 enqueued, 1 already queued or running/);
    const worker = new CliProcess(['worker', '--queue', withoutPassword, '--queue-name', name, '--workers', '1'], passwordEnv);
    assert.equal(await coordinator.exit(), 1, coordinator.output);
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exit(), 0);

    const reason = `job ${jobIdOf(bad)} refused: its config has unknown field module`;
    assert.match(coordinator.output, new RegExp(`affinity: run ${bad.id} failed: ${reason}.* \\(on \\S+:${worker.pid}, 1 attempt; not retried: a retry cannot fix it\\)`));
    assert.match(coordinator.output, /1 runs trained, 0 already done, 1 failed/);
    assert.match(worker.output, new RegExp(`failed ${jobIdOf(bad)}: ${reason}.*\\(not retried\\)`));
    assert.deepEqual([...runs(out).keys()], [`${good.id}.json`]);
    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    assert.match(markdown, new RegExp(`## Failed runs\\n\\nThese runs have no result, so the tables leave them out; the same command again retries them\\.\\n\\n- \`${bad.id}\`: ${reason}`));
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), new RegExp(`<h2>Failed runs</h2>[\\s\\S]*<code>${bad.id}</code>: ${reason}`));
    const job = await queue.getJob(jobIdOf(bad));
    assert.equal(job!.attemptsMade, 1, 'tried once, not retried');
  } finally {
    await queue.close();
  }
});

test('tune through the queue: every round through the workers, the same trials and best config as a local tune', async () => {
  const name = 'tune';
  const args = ['tune', '--dataset', 'gaussians', '--feature-width', '8', '--epochs', '3', '--lr', '0.01', '--budget', '3'];
  const worker = new CliProcess(['worker', '--queue', withoutPassword, '--queue-name', name, '--workers', '1'], passwordEnv);
  try {
    await worker.waitFor(/1 job at once/);
    const out = join(root, 'tune-queued');
    const queued = new CliProcess([...args, '--queue', withoutPassword, '--queue-name', name, '--out', out], passwordEnv);
    assert.equal(await queued.exit(), 0, queued.output);
    const local = join(root, 'tune-local');
    const reference = spawnSync(process.execPath, ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts', ...args, '--workers', '1', '--out', local], { encoding: 'utf8' });
    assert.equal(reference.status, 0, reference.stderr);

    // Halving over 3 configurations: a round of 1 epoch, then the best one at 3.
    assert.match(queued.output, /3 runs planned: 0 already done, 3 to train on the queue[\s\S]*1 run planned: 0 already done, 1 to train on the queue/);
    assert.equal(count(worker.output, /finished round\d__trial\d+__/g), 4);
    for (const file of ['trials.csv', 'tune.md']) {
      const strip = (text: string) => text.replace(/^Command: .*$/m, '');
      assert.equal(strip(readFileSync(join(out, file), 'utf8')), strip(readFileSync(join(local, file), 'utf8')), file);
    }
    const config = (folder: string) => (JSON.parse(readFileSync(join(folder, 'best-config.json'), 'utf8')) as { config: unknown }).config;
    assert.deepEqual(config(out), config(local));
  } finally {
    worker.child.kill('SIGTERM');
    await worker.exit();
  }
});

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}
