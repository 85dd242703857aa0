/**
 * `--queue URL` and `--queue-name NAME` of `affinity bench` and `affinity tune`: with them the runs
 * become jobs on a Redis queue that `affinity worker` processes train, and the command stays up as
 * the coordinator that writes every result. Without them nothing changes.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import type { RunExecutor } from '../bench/pool.js';
import { checkQueueServer } from '../queue/connection.js';
import { queueExecutor } from '../queue/coordinator.js';
import { DEFAULT_QUEUE_NAME, parseQueueUrl, QUEUE_PASSWORD_ENV, requireQueueName } from '../queue/url.js';

/** The queue flags as commander hands them over. */
export interface QueueFlags {
  queue?: string;
  queueName: string;
}

/** A queue name, checked as commander reads it. */
export function parseQueueName(value: string): string {
  try {
    return requireQueueName(value);
  } catch (error) {
    if (error instanceof AffinityConfigError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** Adds `--queue-name`, and `--queue` when `urlHelp` (what the queue is for) is given (`affinity queue status` takes the URL as an argument). */
export function addQueueOptions(command: Command, urlHelp?: string): Command {
  if (urlHelp !== undefined) {
    command.option('--queue <url>', `${urlHelp}: redis://[user:password@]host:port[/db] (rediss:// for TLS); the password may come from ${QUEUE_PASSWORD_ENV} instead`);
  }
  return command.option('--queue-name <name>', 'name of the queue on that server: sweeps with different names never share jobs or workers', parseQueueName, DEFAULT_QUEUE_NAME);
}

/**
 * The executor of a `--queue` command, after a first connection (a server that is down or
 * refuses the password fails here, within seconds); undefined without `--queue`.
 *
 * @throws AffinityConfigError for a bad URL, or `--workers` given with `--queue`.
 * @throws QueueConnectionError naming the URL without its password.
 */
export async function queueExecutorOf(command: Command, flags: QueueFlags): Promise<RunExecutor | undefined> {
  if (flags.queue === undefined) return undefined;
  if (command.getOptionValueSource('workers') === 'cli') {
    throw new AffinityConfigError('--workers sets the training threads of this machine, and with --queue nothing trains here: give --workers to each `affinity worker` instead');
  }
  const address = parseQueueUrl(flags.queue);
  await checkQueueServer(address, flags.queueName);
  return queueExecutor({ address, queueName: flags.queueName });
}
