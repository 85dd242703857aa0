/** `affinity queue status URL`: what a run queue holds now. */
import { Command } from 'commander';
import { checkQueueServer } from '../../queue/connection.js';
import { formatQueueStatus, queueStatus } from '../../queue/status.js';
import { parseQueueUrl } from '../../queue/url.js';
import { withExamples } from '../options.js';
import { addQueueOptions, type QueueFlags } from '../queueOptions.js';

/** `affinity queue`. */
export function queueCommand(): Command {
  const status = new Command('status')
    .description('Counts of the jobs by state, the jobs training now and on which worker, the latest failures, the workers connected.')
    .argument('<url>', 'the queue\'s Redis server: redis://[user:password@]host:port[/db]; the password may come from AFFINITY_QUEUE_PASSWORD')
    .option('--json', 'print JSON');
  addQueueOptions(status).action(async (url: string, flags: QueueFlags & { json?: boolean }) => {
    const address = parseQueueUrl(url);
    await checkQueueServer(address, flags.queueName);
    const state = await queueStatus(address, flags.queueName);
    console.log(flags.json ? JSON.stringify(state, null, 2) : formatQueueStatus(state));
  });
  const command = new Command('queue').description('Look at the Redis queue of `affinity bench --queue` and `affinity worker`.').addCommand(status.exitOverride());
  return withExamples(command, ['affinity queue status redis://lab-server:6379', 'affinity queue status redis://localhost:6379 --queue-name lab-a --json']);
}
