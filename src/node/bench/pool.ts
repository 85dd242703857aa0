/**
 * Runs planned runs in a pool of worker threads (one per core: each worker has its own
 * single-threaded wasm backend) and writes each finished run at once to its own file in a runs
 * folder, through a temporary file and a rename: a crash loses at most the runs in flight and
 * never leaves half a file. Runs whose file is already there with the same config are skipped,
 * so the same command again resumes. `affinity bench` and `affinity tune` both run through it.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Piscina } from 'piscina';
import { AffinityConfigError } from '../../errors.js';
import { writeFileAtomic } from '../io/atomicWrite.js';
import { lockFolder } from '../io/folderLock.js';
import { createFolder } from '../io/folders.js';
import { siblingModule } from '../io/siblingModule.js';
import { defaultWorkers, requireWorkerCount } from '../parallel/workerCount.js';
import { parseRunRecord } from '../report/read.js';
import { configDifferences } from './experiment.js';
import type { RunRecord } from './results.js';
import { recordedConfig, type PlannedRun } from './run.js';

/** What the pool reports as it goes. */
export type PoolEvent =
  | { type: 'planned'; total: number; skipped: number; toRun: number; workers: number }
  | { type: 'finished'; run: RunRecord; file: string; done: number; toRun: number }
  | { type: 'failed'; plan: PlannedRun; error: Error; done: number; toRun: number }
  | { type: 'warning'; message: string };

/** Options of `runPlans`. */
export interface RunPlansOptions {
  /** Folder of the result files, `<id>.json` each (created if missing). */
  runsDir: string;
  /** Worker threads. Default: the number of cores (never more than the runs to do). */
  workers?: number;
  /** Rerun runs whose result file holds a different config instead of refusing. */
  force?: boolean;
  /** Called as runs are planned, finish and fail (progress display). */
  onEvent?: (event: PoolEvent) => void;
  /** The command line, recorded in every run trained now (a report lists the commands of its runs). */
  command?: string;
}

/** What `runPlans` did. */
export interface RunPlansResult {
  /** Every run of the plans that has a result, found or trained now, in plan order. */
  done: RunRecord[];
  /** Runs that failed (the others still finished and were written). */
  failed: { plan: PlannedRun; error: Error }[];
  /** Runs skipped because their result file was there. */
  skipped: number;
}

/** Reads the finished result of a plan, or undefined when there is none yet. */
async function finishedRun(file: string): Promise<RunRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseRunRecord(text, file);
}

/** The worker file next to this one. */
const WORKER_FILE = siblingModule('./worker', import.meta.url);

/**
 * Trains the plans that have no result yet and writes each result as it finishes.
 *
 * @throws AffinityConfigError, before anything trains, when a result file holds a different
 *   config and `force` is not set, or when two plans share an id.
 * @throws FolderLockedError when another running process is writing to the same runs folder.
 */
export async function runPlans(plans: readonly PlannedRun[], options: RunPlansOptions): Promise<RunPlansResult> {
  const ids = new Set(plans.map((plan) => plan.id));
  if (ids.size !== plans.length) throw new AffinityConfigError('runPlans: two plans share an id, so they would share a result file');
  await createFolder(options.runsDir, 'runs folder');
  // One writer per folder; a stale lock (its process gone) is taken over, with a warning.
  const unlock = await lockFolder(options.runsDir, (message) => options.onEvent?.({ type: 'warning', message }));
  try {
    return await runUnlocked(plans, options);
  } finally {
    await unlock();
  }
}

async function runUnlocked(plans: readonly PlannedRun[], options: RunPlansOptions): Promise<RunPlansResult> {
  const fileOf = (plan: PlannedRun) => join(options.runsDir, `${plan.id}.json`);

  const done: RunRecord[] = [];
  const pending: PlannedRun[] = [];
  const stale: string[] = [];
  for (const plan of plans) {
    const existing = await finishedRun(fileOf(plan));
    if (existing === undefined) {
      pending.push(plan);
    } else if (isDeepStrictEqual(existing.config, recordedConfig(plan))) {
      done.push(existing);
    } else if (options.force) {
      stale.push(fileOf(plan));
      pending.push(plan);
    } else {
      throw new AffinityConfigError(
        `${fileOf(plan)} was made with a different config (${configDifferences(existing.config, recordedConfig(plan))}); ` +
          'use another output folder, or --force to rerun it',
      );
    }
  }
  // A forced rerun that then fails must not leave the other config's result to be reported.
  for (const file of stale) await rm(file);
  const skipped = done.length;
  const workers = Math.max(1, Math.min(pending.length, requireWorkerCount(options.workers ?? defaultWorkers())));
  options.onEvent?.({ type: 'planned', total: plans.length, skipped, toRun: pending.length, workers });

  const failed: { plan: PlannedRun; error: Error }[] = [];
  if (pending.length > 0) {
    const pool = new Piscina<PlannedRun, RunRecord>({ filename: WORKER_FILE, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
    let finished = 0;
    try {
      await Promise.all(
        pending.map(async (plan) => {
          let event: PoolEvent;
          try {
            const trained = await pool.run(plan);
            const run = options.command === undefined ? trained : { ...trained, command: options.command };
            const file = await writeFileAtomic(fileOf(plan), `${JSON.stringify(run, null, 2)}\n`);
            done.push(run);
            event = { type: 'finished', run, file, done: ++finished, toRun: pending.length };
          } catch (error) {
            const failure = error instanceof Error ? error : new Error(String(error));
            failed.push({ plan, error: failure });
            event = { type: 'failed', plan, error: failure, done: ++finished, toRun: pending.length };
          }
          // Outside the try: a progress display that throws must not turn a written run into a failed one.
          options.onEvent?.(event);
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
