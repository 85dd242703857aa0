/** `affinity worker`: train the runs a `--queue` bench or tune enqueued, on this machine. */
import { Command } from 'commander';
import { checkQueueServer } from '../../queue/connection.js';
import { parseQueueUrl, QUEUE_PASSWORD_ENV } from '../../queue/url.js';
import { QUEUE_LOCK_DEFAULTS, startQueueWorker, type QueueWorkerEvent } from '../../queue/worker.js';
import { defaultWorkers } from 'affinity-loss-node/internal/parallel/workerCount.js';
import { parseCount, parsePositive, parsePositiveInteger, parseWorkerCount, withExamples } from '../options.js';
import { addQueueOptions, type QueueFlags } from '../queueOptions.js';

interface WorkerFlags extends QueueFlags {
  queue: string;
  workers: number;
  concurrency?: number;
  lockSeconds: number;
  stallCheckSeconds: number;
  maxStalls: number;
  quiet?: boolean;
}

/** `12:04:31 ` before every line: a worker runs for days, and its log is read afterwards. */
function stamp(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** One line per worker event. */
function eventLine(event: QueueWorkerEvent): string | undefined {
  switch (event.type) {
    case 'ready':
      return undefined;
    case 'started':
      return `started ${event.jobId} (${event.plan.protocol}, ${event.plan.setting}, ${event.plan.config.method}, seed ${event.plan.config.seed})`;
    case 'finished':
      return `finished ${event.jobId} in ${Math.round(event.seconds)} s`;
    case 'failed':
      return `failed ${event.jobId}: ${event.message}${event.retried ? ' (it will be retried)' : ' (not retried)'}`;
    case 'released':
      return `put ${event.jobId} back in the queue, unfinished`;
    case 'lost':
      return `lost the lock of ${event.jobId} (this process was paused or cut off, and another worker may have it now); stopped training it`;
    case 'warning':
      return `warning: ${event.message}`;
  }
}

/** `affinity worker`. */
export function workerCommand(): Command {
  const defaults = QUEUE_LOCK_DEFAULTS;
  const command = new Command('worker')
    .description(
      'Take run jobs from a queue that `affinity bench --queue` or `affinity tune --queue` filled, and train them on this machine until stopped. ' +
        'Ctrl-C (or SIGTERM) finishes the jobs in training and stops; a second one puts them back in the queue, unfinished, and stops. A worker writes no files: the results go back through the queue.',
    )
    .requiredOption('--queue <url>', `the queue's Redis server: redis://[user:password@]host:port[/db] (rediss:// for TLS); the password may come from ${QUEUE_PASSWORD_ENV} instead`);
  addQueueOptions(command)
    .option('-w, --workers <n>', 'training threads, one run each', parseWorkerCount, defaultWorkers())
    .option('--concurrency <n>', 'jobs taken at once (default: --workers); more keeps the next job ready while the others train', parsePositiveInteger)
    .option('--lock-seconds <s>', "how long a job's lock lasts; renewed every half of it while its run trains, so a vanished worker's job is free this long after", parsePositive, defaults.lockDurationMs / 1000)
    .option('--stall-check-seconds <s>', 'how often to look for jobs whose worker vanished (lock expired) and put them back in the queue', parsePositive, defaults.stalledIntervalMs / 1000)
    .option('--max-stalls <n>', 'times a job may lose its worker and go back to the queue before it fails', parseCount, defaults.maxStalledCount)
    .option('--quiet', 'print only warnings')
    .action(async (flags: WorkerFlags) => {
      const address = parseQueueUrl(flags.queue);
      await checkQueueServer(address, flags.queueName);
      const log = (line: string) => console.error(`${stamp()} ${line}`);
      const worker = await startQueueWorker({
        address,
        queueName: flags.queueName,
        threads: flags.workers,
        concurrency: flags.concurrency,
        lockDurationMs: Math.round(flags.lockSeconds * 1000),
        stalledIntervalMs: Math.round(flags.stallCheckSeconds * 1000),
        maxStalledCount: flags.maxStalls,
        onEvent(event) {
          if (flags.quiet && event.type !== 'warning') return;
          const line = eventLine(event);
          if (line !== undefined) log(line);
        },
      });
      if (!flags.quiet) {
        log(
          `worker ${worker.name} on ${address.redacted} (${flags.queueName}): ${flags.workers} thread${flags.workers === 1 ? '' : 's'}, ` +
            `${flags.concurrency ?? flags.workers} job${(flags.concurrency ?? flags.workers) === 1 ? '' : 's'} at once. ` +
            'Ctrl-C finishes the jobs in training, twice puts them back in the queue.',
        );
      }
      await new Promise<void>((resolve, reject) => {
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          signals++;
          if (signals === 1) {
            log(`${signal}: taking no new job; finishing the jobs in training (${signal} again puts them back in the queue)`);
            worker.close().then(resolve, reject);
          } else if (signals === 2) {
            log(`${signal}: putting the jobs in training back in the queue`);
            worker.release().then(resolve, reject);
          } else {
            // Redis gone while releasing: stop anyway; the jobs come back when their locks expire.
            process.exit(130);
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      log('stopped');
    });
  return withExamples(command, [
    'AFFINITY_QUEUE_PASSWORD=... affinity worker --queue redis://lab-server:6379',
    'affinity worker --queue redis://:password@10.0.0.5:6379/0 --queue-name lab-a --workers 8',
  ]);
}
