/**
 * Training speed against PyTorch on the same machine: `npm run bench:train`.
 *
 * For each model (MLP 784-256-128, small CNN, 3-block CNN) and head (softmax, affinity), back
 * to back on the same synthetic MNIST-shaped rows: our trainer with 1 thread and with every core
 * (data-parallel workers), then the PyTorch reference (bench/torch/train_speed.py) with 1 and 2
 * threads, the best of which is the reference. Prints samples/s, the ratios, the step-time spread,
 * inference samples/s and peak RSS; each of our measurements runs in a fresh process so that its
 * peak RSS is its own.
 *
 * All of that runs in `--rounds` rounds, both heads in each, and each number is the median over
 * the rounds (a ratio: the median of the rounds' ratios). Why: a shared VM's speed drifts by up
 * to 2x over minutes, and a slow spell that hit only one side would decide the ratio; in rounds
 * both sides meet it (the table gives the range of the per-round ratios).
 *
 *   npm run bench:train                       mlp and cnn, both heads
 *   npm run bench:train -- --models mlp,cnn,cnn3 --json results.json
 *   npm run bench:train -- --quick            fewer steps (under two minutes)
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { useNodeBackend } from 'affinity-loss-node';
import { measureOurs, type HeadName, type ModelName, type OursMeasurement, type StepPlan } from './train/measureOurs.js';
import { measureTorch, type TorchMeasurement } from './train/measureTorch.js';
import { syntheticSplit, writeBatchFile } from './train/syntheticData.js';

const MODELS: readonly ModelName[] = ['mlp', 'cnn', 'cnn3'];
const HEADS: readonly HeadName[] = ['softmax', 'affinity'];

/** Steps per model: the CNNs take ~50x longer per step than the MLP. */
function planFor(model: ModelName, quick: boolean): StepPlan {
  if (model === 'mlp') return quick ? { batch: 128, warmup: 10, steps: 40, inferenceSteps: 20 } : { batch: 128, warmup: 20, steps: 200, inferenceSteps: 50 };
  return quick ? { batch: 128, warmup: 3, steps: 10, inferenceSteps: 5 } : { batch: 128, warmup: 5, steps: 40, inferenceSteps: 15 };
}

/** One of our measurements, with the peak RSS of the process that made it. */
type OursRun = OursMeasurement & { peakRssMiB: number };

/** Everything measured for one model and head in one round. */
interface Round {
  /** Ours with 1 thread, then with `--workers` threads (when that is more than 1). */
  ours: OursRun[];
  /** PyTorch with 1, then 2 threads (empty without PyTorch). */
  torch: TorchMeasurement[];
  torchError?: string;
  /** Best ours / best PyTorch in this round; null without PyTorch. */
  ratio: number | null;
  /** Our trainer on tfjs-node (one process; TensorFlow runs its own threads), when it is installed. */
  tfjsNode?: OursRun;
}

/** One row of the table and of the JSON file. */
interface Row {
  model: ModelName;
  head: HeadName;
  /** Our best training throughput (with `workers` threads). */
  oursSamplesPerSec: number;
  /** PyTorch's best training throughput (with `torchThreads` threads); null without PyTorch. */
  torchSamplesPerSec: number | null;
  /** ours / PyTorch: the median over rounds of each round's best ours / best PyTorch. */
  ratio: number | null;
  /** Lowest and highest ratio of a single round. */
  ratioRange: [number, number] | null;
  workers: number;
  torchThreads: number | null;
  /** Our throughput with one thread, and the speed-up of `workers` threads over it. */
  oursOneThreadSamplesPerSec: number;
  workerSpeedup: number;
  /** Per thread count, the measurement of the median round (its steps, spread, memory). */
  ours: OursRun[];
  torch: TorchMeasurement[];
  /** Every round, as measured. */
  rounds: Round[];
  oursInferenceSamplesPerSec: number;
  torchInferenceSamplesPerSec: number | null;
  oursPeakRssMiB: number;
  torchPeakRssMiB: number | null;
  torchError?: string;
  /** Our trainer on tfjs-node, median over rounds; null when tfjs-node is not installed. */
  tfjsNodeSamplesPerSec: number | null;
  /** tfjs-node / our best on wasm: the median over rounds of each round's ratio. */
  tfjsNodeRatio: number | null;
}

/** Backends our side runs on. */
type Backend = 'wasm' | 'tensorflow';

/** Whether @tensorflow/tfjs-node is installed with a built binding (loaded in a child, so this process stays on wasm). */
function tfjsNodeLoads(): boolean {
  const run = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  return run.status === 0;
}

/** Runs one of our measurements in a fresh Node process (same loader) and reads its JSON. */
function measureOursInChild(model: ModelName, head: HeadName, workers: number, quick: boolean, backend: Backend = 'wasm'): OursRun {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--child', `${model},${head},${workers},${backend}`, ...(quick ? ['--quick'] : [])];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 2 ** 20, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (run.status !== 0) throw new Error(`measuring ${model} ${head} with ${workers} workers on ${backend} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as OursRun;
}

/** The child's job: one measurement, printed as JSON. */
async function child(spec: string, quick: boolean): Promise<void> {
  const [model, head, workers, backend] = spec.split(',');
  const plan = planFor(model as ModelName, quick);
  const started = await useNodeBackend({ prefer: backend as Backend, quiet: true });
  if (started.backend !== backend) throw new Error(`the ${backend} backend did not start (got ${started.backend})`);
  const data = syntheticSplit(plan.batch * (plan.warmup + plan.steps), 7);
  const measured = await measureOurs(model as ModelName, head as HeadName, Number(workers), data, plan);
  // maxRSS of the whole process, worker threads included (KiB on Linux).
  console.log(JSON.stringify({ ...measured, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

function listOf<T extends string>(allowed: readonly T[]): (value: string) => T[] {
  return (value) => {
    const items = value.split(',').map((item) => item.trim());
    for (const item of items) {
      if (!allowed.includes(item as T)) throw new InvalidArgumentError(`'${item}' is not one of ${allowed.join(', ')}`);
    }
    return items as T[];
  };
}

/** The measurement with the median throughput (the lower of the middle two for an even count). */
function medianRun<T extends { trainSamplesPerSec: number }>(runs: T[]): T {
  const sorted = [...runs].sort((a, b) => a.trainSamplesPerSec - b.trainSamplesPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return Number.isInteger(middle) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[Math.floor(middle)];
}

function best<T extends { trainSamplesPerSec: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.trainSamplesPerSec > a.trainSamplesPerSec ? b : a));
}

/** The highest throughput among `runs`. */
function bestRate(runs: Array<{ trainSamplesPerSec: number }>): number {
  return best(runs).trainSamplesPerSec;
}

interface RoundSettings {
  threads: number[];
  /** Also measure on tfjs-node. */
  tfjsNode: boolean;
  quick: boolean;
  python: string;
  torch: boolean;
  dataFile: string;
  plan: StepPlan;
}

/** One round for one model and head: ours with each thread count, then PyTorch with 1 and 2 threads. */
function measureRound(model: ModelName, head: HeadName, settings: RoundSettings): Round {
  const ours = settings.threads.map((workers) => measureOursInChild(model, head, workers, settings.quick));
  const torch: TorchMeasurement[] = [];
  let torchError: string | undefined;
  if (settings.torch) {
    for (const count of [1, 2]) {
      const measured = measureTorch(settings.python, model, head, count, settings.dataFile, settings.plan);
      if ('error' in measured) torchError = measured.error;
      else torch.push(measured);
    }
  }
  const ratio = torch.length === 0 ? null : bestRate(ours) / bestRate(torch);
  const tfjsNode = settings.tfjsNode ? measureOursInChild(model, head, 1, settings.quick, 'tensorflow') : undefined;
  return { ours, torch, ratio, ...(torch.length === 0 && torchError !== undefined ? { torchError } : {}), ...(tfjsNode ? { tfjsNode } : {}) };
}

/** The row of a model and head from its rounds: per thread count the median round, then the best thread count. */
function rowOf(model: ModelName, head: HeadName, rounds: Round[]): Row {
  const ours = rounds[0].ours.map((_, i) => medianRun(rounds.map((round) => round.ours[i])));
  // A thread count PyTorch failed at in some round is taken over the rounds it ran in.
  const torchThreads = [...new Set(rounds.flatMap((round) => round.torch.map((run) => run.threads)))].sort((a, b) => a - b);
  const torch = torchThreads.map((threads) => medianRun(rounds.flatMap((round) => round.torch.filter((run) => run.threads === threads))));
  const bestOurs = best(ours);
  const bestTorch = torch.length === 0 ? null : best(torch);
  if (bestTorch !== null && bestTorch.parameters !== ours[0].parameters) {
    console.warn(`warning: ${model} ${head}: ${ours[0].parameters} parameters here, ${bestTorch.parameters} in PyTorch's model`);
  }
  const ratios = rounds.flatMap((round) => (round.ratio === null ? [] : [round.ratio]));
  const torchError = rounds.find((round) => round.torchError !== undefined)?.torchError;
  const tfjsNodeRuns = rounds.flatMap((round) => (round.tfjsNode ? [round.tfjsNode] : []));
  return {
    model,
    head,
    oursSamplesPerSec: bestOurs.trainSamplesPerSec,
    torchSamplesPerSec: bestTorch?.trainSamplesPerSec ?? null,
    ratio: ratios.length === 0 ? null : median(ratios),
    ratioRange: ratios.length === 0 ? null : [Math.min(...ratios), Math.max(...ratios)],
    workers: bestOurs.workers,
    torchThreads: bestTorch?.threads ?? null,
    oursOneThreadSamplesPerSec: ours[0].trainSamplesPerSec,
    workerSpeedup: ours[ours.length - 1].trainSamplesPerSec / ours[0].trainSamplesPerSec,
    ours,
    torch,
    rounds,
    oursInferenceSamplesPerSec: Math.max(...ours.map((m) => m.inferenceSamplesPerSec)),
    torchInferenceSamplesPerSec: bestTorch === null ? null : Math.max(...torch.map((m) => m.inferenceSamplesPerSec)),
    oursPeakRssMiB: Math.max(...ours.map((m) => m.peakRssMiB)),
    torchPeakRssMiB: bestTorch === null ? null : Math.max(...torch.map((m) => m.peakRssMiB)),
    ...(torch.length === 0 && torchError !== undefined ? { torchError } : {}),
    tfjsNodeSamplesPerSec: tfjsNodeRuns.length === 0 ? null : medianRun(tfjsNodeRuns).trainSamplesPerSec,
    tfjsNodeRatio: tfjsNodeRuns.length === 0 ? null : median(rounds.flatMap((round) => (round.tfjsNode ? [round.tfjsNode.trainSamplesPerSec / bestRate(round.ours)] : []))),
  };
}

const fixed = (value: number | null, digits = 0) => (value === null ? 'n/a' : value.toFixed(digits));

function table(rows: Row[], workers: number): string {
  const lines = [
    `| model | head | ours, 1 thread | ours, ${workers} threads | speed-up | ours on tfjs-node (/ ours best) | PyTorch best (threads) | ours / PyTorch (range over rounds) | inference ours / PyTorch | peak RSS MiB ours / PyTorch |`,
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.model} | ${row.head} | ${fixed(row.oursOneThreadSamplesPerSec)} | ${fixed(row.ours[row.ours.length - 1].trainSamplesPerSec)} | ${row.workerSpeedup.toFixed(2)}x | ` +
        `${row.tfjsNodeSamplesPerSec === null ? 'n/a' : `${fixed(row.tfjsNodeSamplesPerSec)} (${row.tfjsNodeRatio!.toFixed(2)}x)`} | ` +
        `${row.torchSamplesPerSec === null ? `n/a${row.torchError ? ` (${row.torchError})` : ''}` : `${fixed(row.torchSamplesPerSec)} (${row.torchThreads})`} | ` +
        `${row.ratio === null ? 'n/a' : `${row.ratio.toFixed(2)}x${row.ratioRange !== null && row.rounds.length > 1 ? ` (${row.ratioRange[0].toFixed(2)}-${row.ratioRange[1].toFixed(2)})` : ''}`} | ${fixed(row.oursInferenceSamplesPerSec)} / ${fixed(row.torchInferenceSamplesPerSec)} | ` +
        `${fixed(row.oursPeakRssMiB)} / ${fixed(row.torchPeakRssMiB)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * Time of an affinity-head step over a softmax-head step, per model: the median over rounds of
 * the ratio within a round (both heads are measured back to back in every round).
 */
function headCosts(rows: Row[]): string[] {
  const lines: string[] = [];
  for (const model of new Set(rows.map((row) => row.model))) {
    const softmax = rows.find((row) => row.model === model && row.head === 'softmax');
    const affinity = rows.find((row) => row.model === model && row.head === 'affinity');
    if (softmax === undefined || affinity === undefined) continue;
    const cost = (side: 'ours' | 'torch'): number | null => {
      const ratios = softmax.rounds.flatMap((round, i) => {
        const other = affinity.rounds[i];
        if (round[side].length === 0 || other[side].length === 0) return [];
        return [bestRate(round[side]) / bestRate(other[side])];
      });
      return ratios.length === 0 ? null : median(ratios);
    };
    const ours = cost('ours');
    const torch = cost('torch');
    lines.push(`- ${model}: an affinity-head step takes ${ours?.toFixed(2)}x the softmax-head step (ours${torch === null ? '' : `, PyTorch ${torch.toFixed(2)}x`})`);
  }
  return lines;
}

async function main(): Promise<void> {
  const program = new Command('bench:train')
    .description('Training throughput of our trainer against PyTorch on the same machine and data.')
    .addOption(new Option('--models <list>', 'models to measure').argParser(listOf(MODELS)).default(['mlp', 'cnn'], 'mlp,cnn'))
    .addOption(new Option('--heads <list>', 'heads to measure').argParser(listOf(HEADS)).default([...HEADS], HEADS.join(',')))
    .option('--workers <n>', 'threads of the multi-thread measurement', (value) => Number.parseInt(value, 10), availableParallelism())
    .option('--python <path>', 'the Python with PyTorch', '/usr/bin/python3')
    .option('--no-torch', 'skip the PyTorch side')
    .option('--no-tfjs-node', 'skip the tfjs-node column (measured when @tensorflow/tfjs-node loads: npm run build:tfjs-node)')
    .option('--quick', 'fewer steps (under two minutes in all)')
    .option('--rounds <n>', 'rounds of every measurement; each number is the median over them (default 3, 1 with --quick)', (value) => Number.parseInt(value, 10))
    .option('--json <file>', 'also write the rows as JSON')
    .addOption(new Option('--child <spec>').hideHelp());
  program.parse();
  const options = program.opts<{ models: ModelName[]; heads: HeadName[]; workers: number; python: string; torch: boolean; tfjsNode: boolean; quick?: boolean; rounds?: number; json?: string; child?: string }>();
  const quick = options.quick === true;
  if (options.child !== undefined) return child(options.child, quick);
  const flags = { ...options, rounds: options.rounds ?? (quick ? 1 : 3) };
  if (!Number.isInteger(flags.workers) || flags.workers < 1) throw new InvalidArgumentError(`--workers must be an integer >= 1, got ${flags.workers}`);
  if (!Number.isInteger(flags.rounds) || flags.rounds < 1) throw new InvalidArgumentError(`--rounds must be an integer >= 1, got ${flags.rounds}`);

  const tfjsNode = flags.tfjsNode && tfjsNodeLoads();
  if (flags.tfjsNode && !tfjsNode) console.error('tfjs-node is not installed or not built (npm run build:tfjs-node): its column is n/a');
  const folder = await mkdtemp(join(tmpdir(), 'bench-train-'));
  const rows: Row[] = [];
  try {
    for (const model of flags.models) {
      const plan = planFor(model, quick);
      const dataFile = join(folder, 'batches.bin');
      await writeBatchFile(dataFile, syntheticSplit(plan.batch * (plan.warmup + plan.steps), 7));
      const settings: RoundSettings = { threads: [...new Set([1, flags.workers])], tfjsNode, quick, python: flags.python, torch: flags.torch, dataFile, plan };
      // Heads alternate within a round, so that the head-cost ratio is measured close in time too.
      const rounds = new Map<HeadName, Round[]>(flags.heads.map((head) => [head, []]));
      for (let round = 1; round <= flags.rounds; round++) {
        for (const head of flags.heads) rounds.get(head)!.push(measureRound(model, head, settings));
        if (flags.rounds > 1) console.error(`  ${model}: round ${round} of ${flags.rounds} done`);
      }
      for (const head of flags.heads) {
        const row = rowOf(model, head, rounds.get(head)!);
        rows.push(row);
        console.error(`measured ${model} ${head}: ours ${fixed(row.oursSamplesPerSec)} samples/s, PyTorch ${fixed(row.torchSamplesPerSec)}`);
      }
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }

  const torchVersion = rows.flatMap((row) => row.torch)[0]?.torchVersion;
  console.log(`\nTraining throughput, samples/s (batch 128, Adam; median step after warm-up, median over ${flags.rounds} round${flags.rounds === 1 ? '' : 's'}), ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, tfjs wasm${tfjsNode ? ' and tfjs-node' : ''}${torchVersion ? `, PyTorch ${torchVersion}` : ''}.\n`);
  console.log(table(rows, flags.workers));
  console.log(['', 'Head cost:', ...headCosts(rows)].join('\n'));
  console.log(`\nSteps measured: ${rows.map((row) => `${row.model} ${row.ours[0].steps}`).filter((v, i, all) => all.indexOf(v) === i).join(', ')}; spread p10-p90 of our step times: ${rows.map((row) => `${row.model}/${row.head} ${row.ours.map((m) => `${m.p10Ms.toFixed(1)}-${m.p90Ms.toFixed(1)} ms`).join(' | ')}`).join('; ')}.`);
  if (flags.json !== undefined) {
    await writeFile(flags.json, `${JSON.stringify({ machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version, torch: torchVersion ?? null }, quick, rounds: flags.rounds, rows }, null, 2)}\n`);
    console.log(`\nWrote ${flags.json}.`);
  }
}

await main();
