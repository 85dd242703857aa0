/** `affinity bench`: run a protocol of the paper against the baselines, resumably, on every core. */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { METHOD_NAMES } from 'affinity-loss/internal/models/methods.js';
import { PROTOCOL_NAMES, getProtocol } from '../../bench/protocols.js';
import { planBench, runBench } from '../../bench/runner.js';
import { defaultWorkers } from 'affinity-loss-node/internal/parallel/workerCount.js';
import { addBenchOverrideOptions, configFieldsOf } from '../experimentOptions.js';
import { addQueueOptions, queueExecutorOf, type QueueFlags } from '../queueOptions.js';
import { reportFailures, runsProgress } from '../progress.js';
import { commandLine, parseList, renamedOption, parsePositiveInteger, parseCount, parseWorkerCount, withExamples } from '../options.js';

/** The flags `affinity bench` reads itself; the experiment overrides go through `configFieldsOf`. */
interface BenchFlags extends QueueFlags {
  protocol: string;
  methods?: string[];
  seeds?: number;
  settings?: string[];
  firstSeed: number;
  quick?: boolean;
  out?: string;
  workers: number;
  force?: boolean;
  quiet?: boolean;
}

/** Default output folder of a protocol. */
export function defaultBenchFolder(protocol: string, quick: boolean): string {
  return join('runs', 'bench', quick ? `${protocol}-quick` : protocol);
}

/** `affinity bench`. */
export function benchCommand(): Command {
  const command = new Command('bench')
    .description('Run a benchmark protocol (the paper\'s experiments) for several methods and seeds; resumes where a previous run stopped.')
    .addOption(new Option('-p, --protocol <name>', 'protocol').choices(PROTOCOL_NAMES).makeOptionMandatory())
    .addOption(renamedOption('--losses', '--methods'))
    .option('-m, --methods <list>', `comma-separated methods (default: the protocol's, a shorter list with --quick); valid: ${METHOD_NAMES.join(', ')}`, parseList)
    .option('-s, --seeds <n>', "number of seeds (default: the protocol's)", parsePositiveInteger)
    .option('--first-seed <n>', 'first seed', parseCount, 1)
    .option('--settings <list>', "comma-separated settings of the protocol to run, as the tables name them (k=10,k=50; 'rho=100 mnist') (default: all)", parseList)
    .option('--quick', 'fewer settings and epochs on a quarter of the training rows: minutes, for a first look')
    .option('-o, --out <dir>', 'output folder (default runs/bench/<protocol>[-quick])')
    .option('-w, --workers <n>', 'worker threads, one run each', parseWorkerCount, defaultWorkers())
    .option('--force', 'rerun runs whose result file was made with a different config')
    .option('-q, --quiet', 'no progress output');
  addBenchOverrideOptions(command);
  addQueueOptions(command, 'train the runs as jobs on this Redis queue, taken by `affinity worker` processes on any machine; this command waits and writes every result')
    .addHelpText(
      'after',
      `\nProtocols:\n${PROTOCOL_NAMES.map((name) => `  ${name.padEnd(13)} ${getProtocol(name).description}`).join('\n')}`,
    )
    .action(async (flags: BenchFlags) => {
      // The protocol's settings, but for the experiment options given.
      const overrides = configFieldsOf(flags);
      const options = {
        protocol: flags.protocol,
        methods: flags.methods,
        seeds: flags.seeds,
        settings: flags.settings,
        firstSeed: flags.firstSeed,
        quick: flags.quick ?? false,
        overrides,
      };
      const outDir = flags.out ?? defaultBenchFolder(flags.protocol, options.quick);
      // Bad names and numbers are reported before the queue server is asked anything.
      if (flags.queue !== undefined) planBench(options);
      const executor = await queueExecutorOf(command, flags);
      const started = performance.now();
      const progress = runsProgress(flags.quiet ?? false);
      let summary;
      try {
        summary = await runBench({
          ...options,
          outDir,
          workers: flags.workers,
          executor,
          force: flags.force,
          command: commandLine(),
          onEvent: progress.onEvent,
        });
      } finally {
        progress.stop();
      }
      const minutes = ((performance.now() - started) / 60000).toFixed(1);
      if (!flags.quiet) {
        console.log(`${summary.ran} runs trained, ${summary.skipped} already done, ${summary.failed.length} failed, in ${minutes} min.`);
        if (summary.reportFiles.length > 0) {
          console.log(`Report: ${join(outDir, 'report.html')}\nTables: ${join(outDir, 'results.md')}`);
        }
      }
      reportFailures(summary.failed, 'run');
    });
  return withExamples(command, [
    'affinity bench --protocol figure1 --quick',
    'affinity bench --protocol step-sweep --methods softmax,focal,ldam-drw,affinity,affinity-m5 --seeds 3',
    'affinity bench --protocol long-tail --backbone cnn --epochs 20 --out runs/long-tail-cnn',
    "affinity bench --protocol long-tail --settings 'rho=100 mnist,rho=100 fashion-mnist' --seeds 3",
    'affinity bench --protocol noise --quick --workers 1',
    'affinity bench --protocol long-tail --dataset image-folder --data-path lesions --image-size 64 --channels 3 --backbone cnn --seeds 3',
    'AFFINITY_QUEUE_PASSWORD=... affinity bench --protocol step-sweep --seeds 3 --queue redis://lab-server:6379',
  ]);
}

