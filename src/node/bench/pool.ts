/**
 * Runs planned runs in a pool of worker threads (one per core: each worker has its own
 * single-threaded wasm backend) and writes each finished run at once to its own file in a runs
 * folder, through a temporary file and a rename: a crash loses at most the runs in flight and
 * never leaves half a file. Runs whose file is already there with the same config are skipped,
 * so the same command again resumes. `affinity bench` and `affinity tune` both run through it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Piscina } from 'piscina';
import { AffinityConfigError } from '../../errors.js';
import { requireInteger } from '../../validate.js';
import { writeFileAtomic } from '../io/atomicWrite.js';
import { parseRunResult } from '../report/read.js';
import { configDifferences } from './experiment.js';
import type { RunResult } from './results.js';
import type { PlannedRun } from './run.js';

/** What the pool reports as it goes. */
export type BenchEvent =
  | { type: 'planned'; total: number; skipped: number; toRun: number; workers: number }
  | { type: 'finished'; run: RunResult; file: string; done: number; toRun: number }
  | { type: 'failed'; plan: PlannedRun; error: Error; done: number; toRun: number };

/** Options of `runPlans`. */
export interface RunPlansOptions {
  /** Folder of the result files, `<id>.json` each (created if missing). */
  runsDir: string;
  /** Worker threads. Default: the number of cores (never more than the runs to do). */
  workers?: number;
  /** Rerun runs whose result file holds a different config instead of refusing. */
  force?: boolean;
  /** Called as runs are planned, finish and fail (progress display). */
  onEvent?: (event: BenchEvent) => void;
}

/** What `runPlans` did. */
export interface RunPlansResult {
  /** Every run of the plans that has a result, found or trained now, in plan order. */
  done: RunResult[];
  /** Runs that failed (the others still finished and were written). */
  failed: { plan: PlannedRun; error: Error }[];
  /** Runs skipped because their result file was there. */
  skipped: number;
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
 * Trains the plans that have no result yet and writes each result as it finishes.
 *
 * @throws AffinityConfigError, before anything trains, when a result file holds a different
 *   config and `force` is not set, or when two plans share an id.
 */
export async function runPlans(plans: readonly PlannedRun[], options: RunPlansOptions): Promise<RunPlansResult> {
  const ids = new Set(plans.map((plan) => plan.id));
  if (ids.size !== plans.length) throw new AffinityConfigError('runPlans: two plans share an id, so they would share a result file');
  await mkdir(options.runsDir, { recursive: true });
  const fileOf = (plan: PlannedRun) => join(options.runsDir, `${plan.id}.json`);

  const done: RunResult[] = [];
  const pending: PlannedRun[] = [];
  for (const plan of plans) {
    const existing = await finishedRun(fileOf(plan));
    if (existing === undefined || (options.force && !isDeepStrictEqual(existing.config, recordedConfig(plan)))) {
      pending.push(plan);
    } else if (isDeepStrictEqual(existing.config, recordedConfig(plan))) {
      done.push(existing);
    } else {
      throw new AffinityConfigError(
        `${fileOf(plan)} was made with a different config (${configDifferences(existing.config, recordedConfig(plan))}); ` +
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
            const file = await writeFileAtomic(fileOf(plan), `${JSON.stringify(run, null, 2)}\n`);
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
  // Keep the plans' order (settings, then losses, then seeds) in every table and file.
  const order = new Map(plans.map((plan, index) => [plan.id, index]));
  done.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { done, failed, skipped };
}
