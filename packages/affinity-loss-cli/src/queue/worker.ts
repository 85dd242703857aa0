/**
 * `affinity worker`: takes run jobs from a queue and trains each in the bench's pool of worker
 * threads, as a local bench would. A worker writes no file: it returns each result to Redis, and
 * the coordinator writes it; so a worker that dies leaves nothing half-written anywhere.
 *
 * Training runs in a thread while this process's event loop stays free, so BullMQ keeps
 * renewing the job's lock during a run of any length. The lock settings (see
 * `QUEUE_LOCK_DEFAULTS`) decide how soon a job whose worker vanished goes to another one.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import type { RunRecord } from '../bench/results.js';
import type { PlannedRun } from '../bench/run.js';
import { startRunThreads } from '../bench/threads.js';
import { defaultWorkers, requireWorkerCount } from 'affinity-loss-node/internal/parallel/workerCount.js';
import { requireInteger } from 'affinity-loss/internal/validate.js';
import { queueOptions } from './connection.js';
import { readJobData, type RunJobData } from './jobs.js';
import { DEFAULT_QUEUE_NAME, redactCredentials, type QueueAddress } from './url.js';

/**
 * The lock settings, for runs of 10-60 minutes (BullMQ's own defaults are 30 s each, made for
 * jobs of seconds).
 *
 * - `lockDurationMs` 5 min: a worker holds a job's lock this long and renews it every half of it
 *   (2.5 min) for as long as it trains, so a run of any length keeps its lock while its process
 *   lives, and a pause of the process or of Redis shorter than 2.5 min costs nothing. A worker
 *   that vanishes (killed, powered off, cut off) lets its lock expire within 5 min.
 * - `stalledIntervalMs` 1 min: how often each worker looks for jobs whose lock expired and puts
 *   them back in the queue. A lost job so waits at most about 6 min for another worker: little
 *   beside the 10-60 min it trains.
 * - `maxStalledCount` 2: a job is put back at most twice; the third time its worker vanishes it
 *   fails. One or two lost machines do not fail a run, but a run that brings down every worker
 *   that takes it (memory) does not go round the lab forever.
 *
 * Every worker of a queue should use the same settings: any worker's stall check acts on the
 * jobs of all.
 */
export const QUEUE_LOCK_DEFAULTS = Object.freeze({ lockDurationMs: 5 * 60_000, stalledIntervalMs: 60_000, maxStalledCount: 2 });

/** What a queue worker reports as it goes. */
export type QueueWorkerEvent =
  | { type: 'ready'; name: string; threads: number; concurrency: number }
  | { type: 'started'; jobId: string; plan: PlannedRun }
  | { type: 'finished'; jobId: string; plan: PlannedRun; seconds: number }
  | { type: 'failed'; jobId: string; message: string; retried: boolean }
  | { type: 'released'; jobId: string }
  | { type: 'lost'; jobId: string }
  | { type: 'warning'; message: string };

/** Options of `startQueueWorker`. */
export interface QueueWorkerOptions {
  /** The Redis server (see `parseQueueUrl`). */
  address: QueueAddress;
  /** Queue name (`--queue-name`). Default `runs`. */
  queueName?: string;
  /** Training threads (one run each). Default: one per core. */
  threads?: number;
  /**
   * Jobs taken at once. Default: `threads`. More than `threads` keeps the next job taken while
   * the current ones train (no wait between runs), at the cost of holding a job another machine
   * could have started.
   */
  concurrency?: number;
  /** See `QUEUE_LOCK_DEFAULTS`. */
  lockDurationMs?: number;
  /** See `QUEUE_LOCK_DEFAULTS`. */
  stalledIntervalMs?: number;
  /** See `QUEUE_LOCK_DEFAULTS`. */
  maxStalledCount?: number;
  /** The name the queue shows for this worker. Default `<host name>:<pid>`. */
  name?: string;
  /** Told of each job started, finished, failed, released or lost. */
  onEvent?: (event: QueueWorkerEvent) => void;
}

/** A running queue worker. */
export interface QueueWorkerHandle {
  /** The name the queue shows for it. */
  readonly name: string;
  /** Takes no new job, waits for the current ones to finish (their results reach the queue), then stops. */
  close(): Promise<void>;
  /**
   * Takes no new job and puts the current ones back in the queue at once, unfinished, for
   * another worker; then stops. Their training is abandoned (nothing of it was written).
   */
  release(): Promise<void>;
}

/**
 * Starts a worker on the queue. Connects first, so a server that is down or refuses the
 * password fails here (see `checkQueueServer`, which callers run before).
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorkerHandle> {
  const threads = requireWorkerCount(options.threads ?? defaultWorkers(), 'threads');
  const concurrency = requireInteger('concurrency', options.concurrency ?? threads, 1);
  const lockDuration = requireInteger('lockDurationMs', options.lockDurationMs ?? QUEUE_LOCK_DEFAULTS.lockDurationMs, 1000);
  const stalledInterval = requireInteger('stalledIntervalMs', options.stalledIntervalMs ?? QUEUE_LOCK_DEFAULTS.stalledIntervalMs, 500);
  const maxStalledCount = requireInteger('maxStalledCount', options.maxStalledCount ?? QUEUE_LOCK_DEFAULTS.maxStalledCount, 0);
  if (concurrency > 1000) throw new AffinityConfigError(`concurrency must be at most 1000, got ${concurrency}`);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const emit = (event: QueueWorkerEvent) => options.onEvent?.(event);
  const pool = startRunThreads(Math.min(threads, concurrency), (error) => emit({ type: 'warning', message: `worker pool: ${error.message}` }));

  // The jobs training now: their lock token, to put them back, and a way to stop their thread.
  const active = new Map<string, { job: Job<RunJobData, RunRecord>; token: string; stop: AbortController }>();
  let releasing = false;

  const processor = async (job: Job<RunJobData, RunRecord>, token?: string): Promise<RunRecord> => {
    const jobId = job.id!;
    let plan: PlannedRun;
    try {
      plan = readJobData(job.data, jobId);
    } catch (error) {
      // A job this worker refuses is refused by every worker: fail it once, never retry.
      throw new UnrecoverableError((error as Error).message);
    }
    const stop = new AbortController();
    active.set(jobId, { job, token: token ?? '', stop });
    emit({ type: 'started', jobId, plan });
    try {
      const outcome = await pool.outcome(plan, stop.signal);
      if (outcome.ok) {
        emit({ type: 'finished', jobId, plan, seconds: outcome.record.seconds });
        return outcome.record;
      }
      const message = `${outcome.name}: ${outcome.message}`;
      // The library's own errors (config, dataset, divergence) come back the same on every try.
      throw outcome.deterministic ? new UnrecoverableError(message) : new Error(message);
    } catch (error) {
      // Put back by release(), or stopped after its lock was lost: not this run's failure.
      if (releasing || stop.signal.aborted) throw new WaitingError();
      throw error;
    } finally {
      active.delete(jobId);
    }
  };

  const worker = new Worker<RunJobData, RunRecord>(options.queueName ?? DEFAULT_QUEUE_NAME, processor, {
    ...queueOptions(options.address),
    name,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
    autorun: false,
  });
  const lost = new Set<string>();
  worker.on('error', (error: Error) => {
    // Already told as a 'lost' event, in words that say what it means.
    const renewal = /^could not renew lock for job (.*)$/.exec(error.message);
    if (renewal !== null && lost.has(renewal[1])) return;
    emit({ type: 'warning', message: redactCredentials(error.message) });
  });
  worker.on('failed', (job, error) => {
    if (job === undefined || error.name === 'WaitingError') return;
    const retried = error.name !== 'UnrecoverableError' && job.attemptsMade < (job.opts.attempts ?? 1);
    emit({ type: 'failed', jobId: job.id!, message: error.message, retried });
  });
  // Another worker may be training the job now (its lock expired while this process was paused
  // or cut off): stop this copy, whose result the queue would refuse anyway.
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const jobId of jobIds) {
      const running = active.get(jobId);
      if (running === undefined || releasing) continue;
      lost.add(jobId);
      emit({ type: 'lost', jobId });
      running.stop.abort();
    }
  });
  await worker.waitUntilReady();
  void worker.run().catch((error: unknown) => emit({ type: 'warning', message: redactCredentials(String(error)) }));
  emit({ type: 'ready', name, threads: Math.min(threads, concurrency), concurrency });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await worker.close();
      await pool.destroy();
    })());
  return {
    name,
    close,
    async release() {
      releasing = true;
      for (const [jobId, { job, token }] of active) {
        try {
          await job.moveToWait(token);
          emit({ type: 'released', jobId });
        } catch (error) {
          emit({ type: 'warning', message: `could not put job ${jobId} back (${redactCredentials((error as Error).message)}); it returns to the queue when its lock expires` });
        }
      }
      // Ends the threads: the runs in flight reject, and their processors answer WaitingError.
      await pool.destroy();
      await close();
    },
  };
}
