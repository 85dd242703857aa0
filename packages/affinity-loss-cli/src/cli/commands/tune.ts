/** `affinity tune`: search sigma, margin, prototypes and learning rate on the validation split. */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { RunRecord } from '../../bench/results.js';
import { percent } from '../../report/tables.js';
import { defaultWorkers } from 'affinity-loss-node/internal/parallel/workerCount.js';
import { describeSearchSpace } from '../../tune/space.js';
import { planTune, runTune, validationScore, TUNE_STRATEGIES, type TuneStrategy } from '../../tune/tuner.js';
import { addExperimentOptions, experimentInput, type ExperimentFlags } from '../experimentOptions.js';
import { commandLine, parseCount, parsePositiveInteger, parseWorkerCount, withExamples } from '../options.js';
import { reportFailures, runsProgress } from '../progress.js';
import { addQueueOptions, queueExecutorOf, type QueueFlags } from '../queueOptions.js';

interface TuneFlags extends ExperimentFlags, QueueFlags {
  budget: number;
  strategy: TuneStrategy;
  eta: number;
  searchSeed: number;
  out: string;
  workers: number;
  force?: boolean;
  quiet?: boolean;
}

/** `[3/12] round 0 (3 epochs) trial 5: validation macro-F1 97.31 at epoch 3, 12 s`. */
function trialLine(run: RunRecord, done: number, toRun: number): string {
  const { validationMacroF1, bestEpoch } = validationScore(run);
  return `[${done}/${toRun}] ${run.setting} ${run.id.split('__')[1]}: validation macro-F1 ${percent(validationMacroF1)} at epoch ${bestEpoch}, ${Math.round(run.seconds)} s`;
}

/** `affinity tune`. */
export function tuneCommand(): Command {
  const command = new Command('tune').description(
    "Search the affinity head's settings and the learning rate (listed below), scored by validation macro-F1 (never the test split); writes the best config for " +
      '`affinity train --config`. A searched setting typed on the command line is fixed, as is one in a --config file that is not its default (the learning rate only when typed).',
  );
  addExperimentOptions(command)
    .option('--budget <n>', 'configurations to draw', parsePositiveInteger, 9)
    .addOption(new Option('--strategy <name>', 'successive halving (few epochs for all, then the best retrained from scratch with more) or random search (full epochs for all)').choices(TUNE_STRATEGIES).default('halving'))
    .option('--eta <n>', 'halving: keep the best 1/eta each round, with eta times the epochs', parsePositiveInteger, 3)
    .option('--search-seed <n>', 'seed of the draw of configurations', parseCount, 1)
    .option('-o, --out <dir>', 'output folder (runs/, trials.csv, tune.md, best-config.json)', join('runs', 'tune'))
    .option('-w, --workers <n>', 'worker threads, one trial each', parseWorkerCount, defaultWorkers())
    .option('--force', 'rerun trials whose result file was made with a different config')
    .option('--quiet', 'no progress output');
  addQueueOptions(command, 'train the trials as jobs on this Redis queue, taken by `affinity worker` processes on any machine; this command waits and writes every result')
    .addHelpText(
      'after',
      `\nSearched (unless fixed by an option or not applying to the method): ${describeSearchSpace()}.`,
    )
    .action(async (flags: TuneFlags) => {
      // The search options keep the flags' values, so only the experiment's are read from --config.
      const base = await experimentInput(flags);
      // A default is not a choice: the learning rate is searched unless typed (every saved config
      // holds one, so --config alone does not fix it either).
      if (command.getOptionValueSource('lr') !== 'cli') delete base.learningRate;
      const options = { base, budget: flags.budget, strategy: flags.strategy, eta: flags.eta, searchSeed: flags.searchSeed };
      const { configurations, rounds } = planTune(options); // every value checked before a worker starts
      const executor = await queueExecutorOf(command, flags);
      const progress = runsProgress(flags.quiet === true, trialLine);
      if (!flags.quiet) {
        console.error(`${configurations.length} configurations, ${rounds.length} round${rounds.length === 1 ? '' : 's'} of ${rounds.join(', ')} epochs.`);
      }
      let summary;
      try {
        summary = await runTune({
          ...options,
          outDir: flags.out,
          workers: flags.workers,
          executor,
          force: flags.force,
          command: commandLine(),
          onEvent: progress.onEvent,
        });
      } finally {
        progress.stop();
      }
      const { best } = summary;
      console.log(
        `Best: trial ${best.trial} ${JSON.stringify(best.values)}, validation macro-F1 ${percent(best.validationMacroF1)} ` +
          `at epoch ${best.bestEpoch} of ${best.epochs}.\nTable: ${join(flags.out, 'tune.md')}\n` +
          `Train it: affinity train --config ${join(flags.out, 'best-config.json')} --out runs/<name>`,
      );
      reportFailures(summary.failed, 'trial');
    });
  return withExamples(command, [
    'affinity tune --dataset mnist --imbalance evencap:10 --method affinity --epochs 9 --budget 9 --out runs/tune-k10',
    'affinity tune --dataset fashion-mnist --imbalance exp:100 --method affinity-m5 --margin 0.3 --strategy random --budget 6',
    'affinity train --config runs/tune-k10/best-config.json --out runs/k10-tuned',
  ]);
}
