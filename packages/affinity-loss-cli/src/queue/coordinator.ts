/**
 * The queue form of `runPlans`' training step: each run without a result becomes a job on a
 * Redis queue (BullMQ), `affinity worker` processes on any machine train them, and this process
 * stays up as the coordinator, handing every result to `runPlans`, which writes it exactly as a
 * local run's. Resuming, the folder lock and the files stay in `runPlans`.
 *
 * What is already in Redis counts: a job completed while no coordinator ran is written without
 * training it again; a waiting or running one is waited for; one that failed before is retried
 * (the same command again is how a user asks for that); only runs with no job are enqueued, and
 * enqueueing a job id that exists is a no-op, so two coordinators of one sweep share its jobs.
 *
 * Completions are learnt from the queue's event stream and, in case an event is missed (a lost
 * connection, a trimmed stream), from a slow poll of the jobs still open.
 */
import { Queue, QueueEvents, type Job, type JobsOptions } from 'bullmq';
import type { RunExecutor, RunSink } from '../bench/pool.js';
import type { RunRecord } from '../bench/results.js';
import type { PlannedRun } from '../bench/run.js';
import { queueOptions } from './connection.js';
import { jobDataOf, jobIdOf, readJobResult, RUN_JOB_NAME, type RunJobData } from './jobs.js';
import { DEFAULT_QUEUE_NAME, redactCredentials, type QueueAddress } from './url.js';

/** Options of `queueExecutor`. */
export interface QueueExecutorOptions {
  /** The Redis server (see `parseQueueUrl`). */
  address: QueueAddress;
  /** Queue name (`--queue-name`). Default `runs`. */
  queueName?: string;
  /** Milliseconds between polls of the open jobs, the safety net under the event stream. Default 10 000. */
  pollMs?: number;
  /**
   * Tries of a job that fails for a reason a retry may fix (a worker thread that crashed, a full
   * disk); a failure retrying cannot fix (a bad config, a missing dataset) fails at once. Default 2.
   */
  attempts?: number;
  /** Milliseconds before such a retry. Default 30 000. */
  retryDelayMs?: number;
  /**
   * How long Redis keeps a finished job and its result, in seconds: the window in which a
   * coordinator that was down finds the results made meanwhile. Default 7 days.
   */
  keepSeconds?: number;
}

/** Default of `QueueExecutorOptions.keepSeconds`: a week, long past any sweep's restart. */
export const KEEP_FINISHED_JOBS_SECONDS = 7 * 24 * 3600;

/** The job options of every run. */
export function runJobOptions(plan: PlannedRun, options: Pick<QueueExecutorOptions, 'attempts' | 'retryDelayMs' | 'keepSeconds'> = {}): JobsOptions {
  const age = options.keepSeconds ?? KEEP_FINISHED_JOBS_SECONDS;
  return {
    jobId: jobIdOf(plan),
    attempts: options.attempts ?? 2,
    backoff: { type: 'fixed', delay: options.retryDelayMs ?? 30_000 },
    removeOnComplete: { age },
    removeOnFail: { age },
  };
}

/** `Job` failed for good: its reason, where and after how many tries. */
function failureOf(job: Job, attempts: number): Error {
  const tries = job.attemptsMade;
  const why = tries < attempts && !/stalled more than allowable limit/.test(job.failedReason) ? '; not retried: a retry cannot fix it' : '';
  return new Error(`${job.failedReason} (on ${job.processedBy ?? 'a worker'}, ${tries} attempt${tries === 1 ? '' : 's'}${why})`);
}

/** Runs the plans as jobs on the queue at `options.address`, waiting for every result. */
export function queueExecutor(options: QueueExecutorOptions): RunExecutor {
  const name = options.queueName ?? DEFAULT_QUEUE_NAME;
  const where = `the queue ${options.address.redacted} (${name})`;
  return {
    describe: () => ({ workers: 0, where }),
    execute: (pending, sink) => coordinate(pending, sink, options, name, where),
  };
}

async function coordinate(pending: readonly PlannedRun[], sink: RunSink, options: QueueExecutorOptions, name: string, where: string): Promise<void> {
  const attempts = options.attempts ?? 2;
  const queue = new Queue<RunJobData, RunRecord>(name, queueOptions(options.address));
  // Read events from a little before now rather than from whenever the first read happens: an
  // event between the scan below and that read is not lost (one seen twice is harmless).
  const events = new QueueEvents(name, { ...queueOptions(options.address), lastEventId: `${Date.now() - 5000}-0` });
  const reported = new Map<string, number>();
  // A lost connection repeats its error on every retry: one line per message per half minute.
  const connectionTrouble = (error: Error) => {
    const message = redactCredentials(error.message);
    const last = reported.get(message) ?? -Infinity;
    if (Date.now() - last < 30_000) return;
    reported.set(message, Date.now());
    sink.warning(`${where}: ${message} (retrying)`);
  };
  queue.on('error', connectionTrouble);
  events.on('error', connectionTrouble);

  const plans = new Map(pending.map((plan) => [jobIdOf(plan), plan]));
  const open = new Set(plans.keys());
  // Per job: who was announced running (worker and start time), and which completion was delivered.
  const announced = new Map<string, string>();
  const delivered = new Map<string, number | undefined>();
  const triesNoted = new Map<string, number>();
  const inFlight = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const settleIfDone = () => {
    if (open.size === 0 && inFlight.size === 0) allDone();
  };

  const enqueue = async (runs: readonly PlannedRun[]) => {
    if (runs.length === 0) return;
    await queue.addBulk(runs.map((plan) => ({ name: RUN_JOB_NAME, data: jobDataOf(plan), opts: runJobOptions(plan, options) })));
  };

  /** Looks at a job and tells the sink what changed; one look per job at a time. */
  const inspect = async (jobId: string) => {
    const plan = plans.get(jobId)!;
    // The job's fields and its state are two reads: a job that finished between them would look
    // completed without its result. Read the state on both sides and look again if it moved.
    const before = await queue.getJobState(jobId);
    const job = await queue.getJob(jobId);
    const state = job === undefined ? 'unknown' : await job.getState();
    if (state !== before) {
      again.add(jobId);
      return;
    }
    if (job === undefined) {
      if (!open.has(jobId)) return;
      await enqueue([plan]);
      sink.note(`${plan.id}: its job was gone from the queue (removed, or Redis lost its data); enqueued again`);
      return;
    }
    if (state === 'completed') {
      if (delivered.has(jobId) && delivered.get(jobId) === job.finishedOn) return;
      delivered.set(jobId, job.finishedOn);
      let record: RunRecord;
      try {
        record = readJobResult(job.returnvalue, plan, jobId);
      } catch (error) {
        if (open.delete(jobId)) sink.failed(plan, error as Error);
        return;
      }
      // The sink writes the file (or, for a second delivery, keeps the first and says so).
      await sink.finished(plan, record);
      open.delete(jobId);
    } else if (state === 'failed') {
      if (open.delete(jobId)) sink.failed(plan, failureOf(job as Job, attempts));
    } else if (open.has(jobId)) {
      // A try that failed and will be retried, seen whenever it is seen (waiting, or running again).
      if (job.attemptsMade > (triesNoted.get(jobId) ?? 0) && job.failedReason) {
        triesNoted.set(jobId, job.attemptsMade);
        announced.delete(jobId);
        sink.note(`${plan.id}: try ${job.attemptsMade} failed (${job.failedReason}); back in the queue to be retried`);
      }
      if (state === 'active') {
        const run = `${job.processedBy}@${job.processedOn}`;
        if (announced.get(jobId) !== run) {
          announced.set(jobId, run);
          sink.started(plan, job.processedBy ?? 'a worker');
        }
      } else if (announced.delete(jobId)) {
        // Waiting again after it ran, without a failure: a stall, or a worker let it go.
        sink.note(`${plan.id}: back in the queue (its worker stopped or let it go)`);
      }
    }
  };
  const look = (jobId: string) => {
    if (!plans.has(jobId)) return;
    if (inFlight.has(jobId)) {
      again.add(jobId);
      return;
    }
    const looking = inspect(jobId)
      .catch((error: unknown) => sink.warning(`${where}: could not read job ${jobId}: ${redactCredentials(error instanceof Error ? error.message : String(error))}`))
      .finally(() => {
        inFlight.delete(jobId);
        if (again.delete(jobId)) look(jobId);
        else settleIfDone();
      });
    inFlight.set(jobId, looking);
  };

  let poll: NodeJS.Timeout | undefined;
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    for (const type of ['active', 'completed', 'failed', 'waiting', 'delayed', 'removed'] as const) events.on(type, ({ jobId }: { jobId: string }) => look(jobId));
    events.on('stalled', ({ jobId }) => {
      const plan = plans.get(jobId);
      if (plan !== undefined && open.has(jobId)) sink.note(`${plan.id}: its worker stopped answering (lock expired); the job goes back to the queue for another worker`);
      look(jobId);
    });

    // What Redis already holds, then the rest enqueued.
    const missing: PlannedRun[] = [];
    let queued = 0;
    let completed = 0;
    let retried = 0;
    for (const [jobId, plan] of plans) {
      const job = await queue.getJob(jobId);
      const state = job === undefined ? 'missing' : await job.getState();
      if (state === 'missing' || state === 'unknown') {
        missing.push(plan);
      } else if (state === 'failed') {
        // The same command again is how a user retries a failure (after fixing its cause).
        await job!.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        retried++;
      } else if (state === 'completed') {
        completed++;
      } else {
        queued++;
      }
    }
    await enqueue(missing);
    const parts = [`${missing.length} enqueued`];
    if (queued > 0) parts.push(`${queued} already queued or running`);
    if (completed > 0) parts.push(`${completed} already completed there (not trained again)`);
    if (retried > 0) parts.push(`${retried} that had failed retried`);
    sink.note(`${where}: ${parts.join(', ')}; waiting for \`affinity worker\` processes to train them.`);

    for (const jobId of plans.keys()) look(jobId);
    poll = setInterval(() => {
      for (const jobId of open) look(jobId);
    }, options.pollMs ?? 10_000);
    await finished;
  } finally {
    clearInterval(poll);
    await Promise.allSettled([...inFlight.values()]);
    await Promise.allSettled([events.close(), queue.close()]);
  }
}
