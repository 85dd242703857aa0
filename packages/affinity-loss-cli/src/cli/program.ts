/**
 * The `affinity` command tree: train one model, evaluate a saved one, run a benchmark protocol
 * against the baselines, rebuild a benchmark's report, or tune the affinity head's settings;
 * with a Redis queue, train a bench's or a tune's runs on other machines (`worker`, `queue`).
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { AffinityLossError } from 'affinity-loss/internal/errors.js';
import { asFileSystemError } from 'affinity-loss-node/internal/io/folders.js';
import { benchCommand } from './commands/bench.js';
import { evalCommand } from './commands/eval.js';
import { reportCommand } from './commands/report.js';
import { trainCommand } from './commands/train.js';
import { tuneCommand } from './commands/tune.js';
import { queueCommand } from './commands/queue.js';
import { workerCommand } from './commands/worker.js';
import { withExamples } from './options.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The whole command tree (exported for tests and for embedding). */
export function program(): Command {
  const root = new Command('affinity')
    .version(version)
    .description('Gaussian-affinity max-margin loss and class-imbalance baselines on TensorFlow.js: train, evaluate, benchmark.')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  for (const command of [trainCommand(), evalCommand(), benchCommand(), reportCommand(), tuneCommand(), workerCommand(), queueCommand()]) root.addCommand(command.exitOverride());
  return withExamples(root, [
    'affinity train --dataset mnist --imbalance step:0-4:0.1 --method affinity --epochs 10 --out runs/affinity',
    'affinity eval --model runs/affinity --dataset fashion-mnist',
    'affinity bench --protocol figure1 --quick',
    'affinity report runs/bench/step-sweep',
    'affinity tune --dataset mnist --imbalance evencap:10 --method affinity --budget 9 --out runs/tune-k10',
    'affinity bench --protocol step-sweep --seeds 3 --queue redis://lab-server:6379   # + affinity worker --queue ... on each machine',
  ]);
}

/** Runs the command line; bad input and unusable paths exit with 2 and a one-line message, crashes with 1. */
export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await program().parseAsync(argv);
    // A command that finished its work but with failures (bench runs, tune trials) set 1 here.
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help / version) already.
      return error.exitCode === 0 ? 0 : 2;
    }
    // A file the command could not read or write (read-only, full disk, a file where a folder
    // should be) is a problem with the input, named as one, not a crash.
    const named = asFileSystemError(error);
    if (named instanceof AffinityLossError) {
      console.error(`affinity: ${named.message}`);
      return 2;
    }
    console.error(error);
    return 1;
  }
}

