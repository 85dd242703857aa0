/**
 * `affinity queue status`: what a queue holds now: counts by state, the jobs running and on which
 * worker, the latest failures, and the workers connected.
 */
import { Queue } from 'bullmq';
import { queueOptions } from './connection.js';
import { DEFAULT_QUEUE_NAME, type QueueAddress } from './url.js';

/** The states `queueStatus` counts, in the order it prints them. */
export const QUEUE_STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized'] as const;

/** A queue's state. */
export interface QueueStatus {
  /** `redis://host:6379/0 (runs)`: the server, redacted, and the queue name. */
  queue: string;
  /** Jobs per state. */
  counts: Record<(typeof QUEUE_STATES)[number], number>;
  /** Jobs training now: id, worker name, seconds since it started there. */
  active: { jobId: string; worker: string; seconds: number }[];
  /** The latest failed jobs (at most 10): id and reason. */
  failed: { jobId: string; reason: string; attempts: number }[];
  /** Names of the workers connected to the queue (undefined when the server refuses to list its clients). */
  workers?: string[];
}

/** Reads a queue's state (see `QueueStatus`). */
export async function queueStatus(address: QueueAddress, queueName = DEFAULT_QUEUE_NAME): Promise<QueueStatus> {
  const queue = new Queue(queueName, queueOptions(address));
  queue.on('error', () => {});
  try {
    const counts = (await queue.getJobCounts(...QUEUE_STATES)) as QueueStatus['counts'];
    const now = Date.now();
    const active = (await queue.getActive(0, 99)).map((job) => ({
      jobId: job.id ?? '?',
      worker: job.processedBy ?? '?',
      seconds: job.processedOn === undefined ? 0 : Math.round((now - job.processedOn) / 1000),
    }));
    const failed = (await queue.getFailed(0, 9)).map((job) => ({ jobId: job.id ?? '?', reason: job.failedReason, attempts: job.attemptsMade }));
    // CLIENT LIST names each worker connection `<prefix>:<base64 of the queue>:w:<worker name>`;
    // a Redis user without the right to list clients gets the counts without the names.
    const clients = await queue.getWorkers().catch(() => undefined);
    const workers = clients === undefined ? undefined : [...new Set(clients.map((client) => /:w:(.*)$/.exec(client.rawname ?? '')?.[1] ?? client.addr ?? '?'))].sort();
    return { queue: `${address.redacted} (${queueName})`, counts, active, failed, ...(workers === undefined ? {} : { workers }) };
  } finally {
    await queue.close();
  }
}

/** A queue's state as lines for a terminal. */
export function formatQueueStatus(status: QueueStatus): string {
  const lines = [`Queue ${status.queue}`, QUEUE_STATES.map((state) => `${state} ${status.counts[state] ?? 0}`).join(', ')];
  const workers = status.workers === undefined ? 'unknown (the server refused CLIENT LIST)' : status.workers.length === 0 ? 'none' : status.workers.join(', ');
  lines.push(`workers connected: ${workers}`);
  if (status.active.length > 0) {
    lines.push('running:');
    for (const job of status.active) lines.push(`  ${job.jobId} on ${job.worker}, for ${job.seconds} s`);
  }
  if (status.failed.length > 0) {
    lines.push('failed (latest):');
    for (const job of status.failed) lines.push(`  ${job.jobId} after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'}: ${job.reason}`);
  }
  return lines.join('\n');
}
