/**
 * A bench protocol through the Redis queue with 1 worker process and with 2 (one training thread
 * each), each with its own redis-server on a free loopback port: `npm run bench:queue`.
 *
 * Prints the CPU, then per worker count: the sweep's time (first job enqueued to last result file
 * written) and the coordinator's wall time, the speed-up of 2 workers over 1, and the per-job
 * overhead of the queue, from the jobs' own timestamps in Redis and the result files' times:
 *   enqueue -> start   a job enqueued to a waiting worker starting it (each worker's first job);
 *   between jobs       a worker finishing one job to starting the next;
 *   worker, not training  a job's time on its worker less the run's own training time (job
 *                      checks, the thread hand-off, the result's trip back; the first job of a
 *                      worker also starts its thread's backend);
 *   result -> file     a job completed in Redis to its result file written by the coordinator.
 *
 *   npm run bench:queue                         figure1 --quick, 2 seeds: 8 runs (minutes)
 *   npm run bench:queue -- --tiny               2 runs of seconds: checks that the script works
 *   npm run bench:queue -- --protocol step-sweep --seeds 1
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { Queue } from 'bullmq';
import { queueOptions } from 'affinity-loss-cli/internal/queue/connection.js';
import { parseQueueUrl } from 'affinity-loss-cli/internal/queue/url.js';
import type { RunRecord } from 'affinity-loss-cli/internal/bench/results.js';
import { launchRedisServer } from '../packages/affinity-loss-cli/test/queue/redisServer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts'];

/** A started `affinity` command: its output so far and its end. */
function start(args: readonly string[]): { output: () => string; exited: Promise<number | null>; kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { output: () => output, exited: new Promise((resolve) => child.on('exit', resolve)), kill: (signal) => child.kill(signal) };
}

async function waitFor(command: ReturnType<typeof start>, pattern: RegExp): Promise<void> {
  let ended = false;
  void command.exited.then(() => (ended = true));
  while (!pattern.test(command.output())) {
    if (ended) throw new Error(`command ended:\n${command.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const max = (values: number[]) => (values.length === 0 ? NaN : Math.max(...values));

/** What one worker count measured. */
interface Measurement {
  workers: number;
  runs: number;
  sweepSeconds: number;
  wallSeconds: number;
  /** Milliseconds, per job or per gap. */
  enqueueToStart: number[];
  betweenJobs: number[];
  workerNotTraining: number[];
  resultToFile: number[];
}

async function measure(workers: number, benchArgs: readonly string[]): Promise<Measurement> {
  const redis = await launchRedisServer();
  const out = await mkdtemp(join(tmpdir(), `affinity-queue-bench-${workers}-`));
  const started: ReturnType<typeof start>[] = [];
  try {
    for (let i = 0; i < workers; i++) started.push(start(['worker', '--queue', redis.url, '--workers', '1']));
    for (const worker of started) await waitFor(worker, /1 job at once/);
    const wallStart = performance.now();
    const coordinator = start(['bench', ...benchArgs, '--queue', redis.url, '--out', out, '--quiet']);
    const code = await coordinator.exited;
    const wallSeconds = (performance.now() - wallStart) / 1000;
    if (code !== 0) throw new Error(`the bench failed (${code}):\n${coordinator.output()}`);

    const queue = new Queue<unknown, RunRecord>('runs', queueOptions(parseQueueUrl(redis.url, {})));
    const jobs = await queue.getJobs(['completed']);
    await queue.close();
    const timings = await Promise.all(
      jobs.map(async (job) => ({
        worker: job.processedBy ?? '?',
        added: job.timestamp,
        startedAt: job.processedOn!,
        finishedAt: job.finishedOn!,
        trainingMs: job.returnvalue.seconds * 1000,
        writtenAt: (await stat(join(out, 'runs', `${job.returnvalue.id}.json`))).mtimeMs,
      })),
    );
    const byWorker = new Map<string, typeof timings>();
    for (const timing of timings) byWorker.set(timing.worker, [...(byWorker.get(timing.worker) ?? []), timing]);
    const enqueueToStart: number[] = [];
    const betweenJobs: number[] = [];
    for (const list of byWorker.values()) {
      list.sort((a, b) => a.startedAt - b.startedAt);
      enqueueToStart.push(list[0].startedAt - list[0].added);
      for (let i = 1; i < list.length; i++) betweenJobs.push(list[i].startedAt - list[i - 1].finishedAt);
    }
    return {
      workers,
      runs: timings.length,
      sweepSeconds: (max(timings.map((t) => t.writtenAt)) - Math.min(...timings.map((t) => t.added))) / 1000,
      wallSeconds,
      enqueueToStart,
      betweenJobs,
      workerNotTraining: timings.map((t) => t.finishedAt - t.startedAt - t.trainingMs),
      resultToFile: timings.map((t) => t.writtenAt - t.finishedAt),
    };
  } finally {
    for (const worker of started) worker.kill('SIGTERM');
    await Promise.all(started.map((worker) => worker.exited));
    await redis.stop();
    await rm(out, { recursive: true, force: true });
  }
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`must be an integer >= 1, got ${value}`);
  return number;
}

const program = new Command('bench:queue')
  .description('Times a quick bench protocol through the Redis queue with 1 and with 2 worker processes (one thread each).')
  .option('--protocol <name>', 'bench protocol (quick settings)', 'figure1')
  .option('--methods <list>', "comma-separated losses (default: the protocol's quick list)")
  .option('--seeds <n>', 'seeds', positiveInteger, 2)
  .option('--tiny', '2 runs of seconds (6% of the rows, 1 epoch, softmax and affinity, 1 seed): checks that the script works, measures nothing worth quoting')
  .parse();
const flags = program.opts<{ protocol: string; losses?: string; seeds: number; tiny?: boolean }>();
const benchArgs = flags.tiny
  ? ['--protocol', 'figure1', '--quick', '--train-fraction', '0.06', '--epochs', '1', '--methods', 'softmax,affinity', '--seeds', '1']
  : ['--protocol', flags.protocol, '--quick', '--seeds', String(flags.seeds), ...(flags.losses ? ['--methods', flags.losses] : [])];

console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}`);
console.log(`affinity bench ${benchArgs.join(' ')} --queue ..., worker processes with --workers 1 each\n`);
const results: Measurement[] = [];
for (const workers of [1, 2]) {
  process.stderr.write(`${workers} worker process${workers === 1 ? '' : 'es'}...\n`);
  results.push(await measure(workers, benchArgs));
}
const [one, two] = results;
const ms = (values: number[]) => `${Math.round(median(values))} (max ${Math.round(max(values))})`;
console.log('| worker processes | runs | sweep s | coordinator wall s | speed-up (sweep) | enqueue -> start ms | between jobs ms | worker, not training ms | result -> file ms |');
console.log('| --: | --: | --: | --: | --: | --: | --: | --: | --: |');
for (const result of results) {
  const speedUp = result === one ? '1.00x' : `${(one.sweepSeconds / result.sweepSeconds).toFixed(2)}x`;
  console.log(
    `| ${result.workers} | ${result.runs} | ${result.sweepSeconds.toFixed(1)} | ${result.wallSeconds.toFixed(1)} | ${speedUp} | ` +
      `${ms(result.enqueueToStart)} | ${result.betweenJobs.length === 0 ? '-' : ms(result.betweenJobs)} | ${ms(result.workerNotTraining)} | ${ms(result.resultToFile)} |`,
  );
}
console.log(`\nSpeed-up of 2 worker processes over 1: ${(one.sweepSeconds / two.sweepSeconds).toFixed(2)}x on the sweep, ${(one.wallSeconds / two.wallSeconds).toFixed(2)}x on the coordinator's wall time. Median (max) per job.`);
