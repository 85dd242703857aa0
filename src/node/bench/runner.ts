/**
 * Runs a bench protocol: plans every (setting, loss, seed), skips the runs whose result file
 * already exists with the same config, trains the rest in a pool of worker threads (one per
 * core: each worker has its own single-threaded wasm backend), writes each finished run at once
 * to its own file (temporary file + rename: a crash loses at most the runs in flight, never
 * leaves half a file), and then writes the report.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Piscina } from 'piscina';
import { AffinityConfigError } from '../../errors.js';
import { requireMethodName } from '../../models/methods.js';
import { requireInteger, requireSeed } from '../../validate.js';
import { writeFileAtomic } from '../io/atomicWrite.js';
import { parseRunResult, RUNS_FOLDER } from '../report/read.js';
import { slug } from '../report/slug.js';
import { writeReport } from '../report/write.js';
import { configDifferences, resolveExperimentConfig, type ExperimentConfig } from './experiment.js';
import { getProtocol, type Protocol } from './protocols.js';
import type { RunResult } from './results.js';
import type { PlannedRun } from './run.js';

/** Options of `planBench` and `runBench`. */
export interface BenchOptions {
  /** Protocol name (see PROTOCOL_NAMES). */
  protocol: string;
  /** Losses to compare. Default: the protocol's list. */
  losses?: readonly string[];
  /** Number of seeds (1, 2, ... from `firstSeed`). Default: the protocol's, or 1 when quick. */
  seeds?: number;
  /** First seed. Default 1. */
  firstSeed?: number;
  /** Fewer settings and epochs, a share of the training rows: minutes instead of hours. */
  quick?: boolean;
  /** Fields that override every run's config (epochs, backbone, sigma, ...). */
  overrides?: Partial<ExperimentConfig>;
}

/** Options of `runBench`. */
export interface RunBenchOptions extends BenchOptions {
  /** Output folder: runs/ (one file per run) and the report. */
  outDir: string;
  /** Worker threads. Default: the number of cores (never more than the runs to do). */
  workers?: number;
  /** Rerun runs whose result file holds a different config instead of refusing. */
  force?: boolean;
  /** The command line, printed in the report. */
  command?: string;
  /** Called as runs are skipped, start and finish (progress display). */
  onEvent?: (event: BenchEvent) => void;
}

/** What the runner reports as it goes. */
export type BenchEvent =
  | { type: 'planned'; total: number; skipped: number; toRun: number; workers: number }
  | { type: 'finished'; run: RunResult; file: string; done: number; toRun: number }
  | { type: 'failed'; plan: PlannedRun; error: Error; done: number; toRun: number };

/** What `runBench` did. */
export interface BenchSummary {
  /** The protocol run. */
  protocol: Protocol;
  /** Every run of the plan, finished now or before. */
  runs: RunResult[];
  /** Runs skipped because their result file was there. */
  skipped: number;
  /** Runs trained now. */
  ran: number;
  /** Runs that failed (the others still finished and were written). */
  failed: { plan: PlannedRun; error: Error }[];
  /** Report files written (empty when no run finished). */
  reportFiles: string[];
}

/**
 * Every run of a protocol, each config resolved and checked: bad names or numbers fail here,
 * before anything trains.
 *
 * @throws AffinityConfigError for an unknown protocol or loss (listing the valid ones) or a bad value.
 */
export function planBench(options: BenchOptions): { protocol: Protocol; plans: PlannedRun[] } {
  const protocol = getProtocol(options.protocol);
  const losses = (options.losses ?? protocol.defaultLosses).map(requireMethodName);
  if (losses.length === 0) throw new AffinityConfigError('losses: give at least one loss');
  if (new Set(losses).size !== losses.length) throw new AffinityConfigError(`losses: a loss is listed twice in ${losses.join(',')}`);
  const seeds = requireInteger('seeds', options.seeds ?? (options.quick ? 1 : protocol.defaultSeeds), 1);
  const firstSeed = requireSeed(options.firstSeed ?? 1, 'firstSeed');
  const plans: PlannedRun[] = [];
  protocol.settings(options.quick ?? false).forEach((setting, settingOrder) => {
    for (const loss of losses) {
      for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
        const config = resolveExperimentConfig({ ...setting.config, ...options.overrides, loss, seed });
        plans.push({
          id: `${slug(setting.setting)}__${loss}__seed${seed}`,
          protocol: protocol.name,
          setting: setting.setting,
          settingOrder,
          config,
          extras: setting.extras,
        });
      }
    }
  });
  return { protocol, plans };
}

/** The config a result file records for a plan (what resuming compares). */
function recordedConfig(plan: PlannedRun): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...plan.config, extras: plan.extras })) as Record<string, unknown>;
}

/** Reads the finished result of a plan, or undefined when there is none yet. */
async function finishedRun(file: string): Promise<RunResult | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseRunResult(text, file);
}

// The worker file next to this one: worker.ts when run through tsx, worker.js once built.
const WORKER_FILE = new URL(`./worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url).href;

/**
 * Runs (or resumes) a bench and writes its report.
 *
 * @throws AffinityConfigError before anything trains when a name or number is bad, or when a
 *   result file holds a different config and `force` is not set.
 */
export async function runBench(options: RunBenchOptions): Promise<BenchSummary> {
  const { protocol, plans } = planBench(options);
  const runsDir = join(options.outDir, RUNS_FOLDER);
  await mkdir(runsDir, { recursive: true });

  const done: RunResult[] = [];
  const pending: PlannedRun[] = [];
  for (const plan of plans) {
    const existing = await finishedRun(join(runsDir, `${plan.id}.json`));
    if (existing === undefined) {
      pending.push(plan);
    } else if (isDeepStrictEqual(existing.config, recordedConfig(plan))) {
      done.push(existing);
    } else if (options.force) {
      pending.push(plan);
    } else {
      throw new AffinityConfigError(
        `${join(runsDir, `${plan.id}.json`)} was made with a different config (${configDifferences(existing.config, recordedConfig(plan))}); ` +
          'use another output folder, or --force to rerun it',
      );
    }
  }
  const skipped = done.length;
  const workers = Math.max(1, Math.min(pending.length, requireInteger('workers', options.workers ?? availableParallelism(), 1)));
  options.onEvent?.({ type: 'planned', total: plans.length, skipped, toRun: pending.length, workers });

  const failed: { plan: PlannedRun; error: Error }[] = [];
  if (pending.length > 0) {
    const pool = new Piscina<PlannedRun, RunResult>({ filename: WORKER_FILE, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
    let finished = 0;
    try {
      await Promise.all(
        pending.map(async (plan) => {
          try {
            const run = await pool.run(plan);
            const file = await writeFileAtomic(join(runsDir, `${plan.id}.json`), `${JSON.stringify(run, null, 2)}\n`);
            done.push(run);
            options.onEvent?.({ type: 'finished', run, file, done: ++finished, toRun: pending.length });
          } catch (error) {
            const failure = error instanceof Error ? error : new Error(String(error));
            failed.push({ plan, error: failure });
            options.onEvent?.({ type: 'failed', plan, error: failure, done: ++finished, toRun: pending.length });
          }
        }),
      );
    } finally {
      await pool.destroy();
    }
  }

  // Keep the plan's order (settings, then losses, then seeds) in every table and file.
  const order = new Map(plans.map((plan, index) => [plan.id, index]));
  done.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  const reportFiles =
    done.length === 0
      ? []
      : await writeReport(options.outDir, done, {
          title: protocol.title,
          command: options.command,
          reference: protocol.reference,
          protocol: protocol.name,
          lossOrder: [...new Set(plans.map((plan) => plan.config.loss))],
        });
  return { protocol, runs: done, skipped, ran: pending.length - failed.length, failed, reportFiles };
}
