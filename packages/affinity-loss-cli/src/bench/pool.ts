/**
 * Runs planned runs and writes each finished run at once to its own file in a runs folder,
 * through a temporary file and a rename: a crash loses at most the runs in flight and never
 * leaves half a file. Runs whose file is already there with the same config are skipped, so the
 * same command again resumes. `affinity bench` and `affinity tune` both run through it.
 *
 * Where the runs train is the one pluggable step (`RunExecutor`): by default a pool of worker
 * threads on this machine (one per core: each worker has its own single-threaded wasm backend);
 * with `--queue`, jobs on a Redis queue that `affinity worker` processes on other machines take.
 * Resuming, the folder lock, the writes and the progress events stay here, the same for both.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { writeFileAtomic } from 'affinity-loss-node/internal/io/atomicWrite.js';
import { lockFolder } from 'affinity-loss-node/internal/io/folderLock.js';
import { createFolder } from 'affinity-loss-node/internal/io/folders.js';
import { defaultWorkers, requireWorkerCount } from 'affinity-loss-node/internal/parallel/workerCount.js';
import { parseRunRecord } from '../report/read.js';
import { configDifferences } from './experiment.js';
import type { RunRecord } from './results.js';
import { recordedConfig, recordsPlan, type PlannedRun } from './run.js';
import { startRunThreads } from './threads.js';

/** What the pool reports as it goes. */
export type PoolEvent =
  | {
      type: 'planned';
      total: number;
      skipped: number;
      toRun: number;
      /** Local worker threads (0 when the runs train elsewhere, see `where`). */
      workers: number;
      /** Where the runs train, in words: `2 workers`, `the queue redis://host:6379/0 (runs)`. */
      where: string;
    }
  | { type: 'started'; plan: PlannedRun; where: string }
  | { type: 'finished'; run: RunRecord; file: string; done: number; toRun: number }
  | { type: 'failed'; plan: PlannedRun; error: Error; done: number; toRun: number }
  | { type: 'note'; message: string }
  | { type: 'warning'; message: string };

/** What an executor tells `runPlans` as runs start, finish and fail. */
export interface RunSink {
  /** A run began training on `where` (a worker's name); an executor that cannot tell does not call it. */
  started(plan: PlannedRun, where: string): void;
  /**
   * A run finished: its file is written (atomically) before this resolves. A run delivered
   * again (queues deliver at least once) is counted once, and its first file is kept.
   */
  finished(plan: PlannedRun, record: RunRecord): Promise<void>;
  /** A run failed for good (the executor has done any retrying). */
  failed(plan: PlannedRun, error: Error): void;
  /** Something worth a line in the output (what the queue already held, a job back in the queue). */
  note(message: string): void;
  /** Something that went wrong without failing a run (a lost connection, retried). */
  warning(message: string): void;
}

/** The step of `runPlans` that trains the runs that have no result yet. */
export interface RunExecutor {
  /** Local threads it trains on (0 for none) and where the runs train, in words, for `toRun` runs. */
  describe(toRun: number): { workers: number; where: string };
  /** Trains every plan, telling `sink` of each start, result and failure; resolves when none is left. */
  execute(pending: readonly PlannedRun[], sink: RunSink): Promise<void>;
}

/** Trains on `workers` threads of this machine (default: one per core, never more than the runs). */
export function localExecutor(workers?: number): RunExecutor {
  const threadsFor = (toRun: number) => Math.max(1, Math.min(toRun, requireWorkerCount(workers ?? defaultWorkers())));
  return {
    describe(toRun) {
      const threads = threadsFor(toRun);
      return { workers: threads, where: `${threads} worker${threads === 1 ? '' : 's'}` };
    },
    async execute(pending, sink) {
      const threads = startRunThreads(threadsFor(pending.length), (error) => sink.warning(`worker pool: ${error.message}`));
      try {
        await Promise.all(
          pending.map(async (plan) => {
            let trained: RunRecord;
            try {
              trained = await threads.run(plan);
            } catch (error) {
              sink.failed(plan, error instanceof Error ? error : new Error(String(error)));
              return;
            }
            await sink.finished(plan, trained);
          }),
        );
      } finally {
        await threads.destroy();
      }
    },
  };
}

/** Options of `runPlans`. */
export interface RunPlansOptions {
  /** Folder of the result files, `<id>.json` each (created if missing). */
  runsDir: string;
  /** Worker threads of the local pool. Default: the number of cores (never more than the runs to do). */
  workers?: number;
  /** Where the runs train. Default: `localExecutor(workers)`. */
  executor?: RunExecutor;
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
    } else if (recordsPlan(existing.config, plan)) {
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
  const executor = options.executor ?? localExecutor(options.workers);
  const { workers, where } = executor.describe(pending.length);
  options.onEvent?.({ type: 'planned', total: plans.length, skipped, toRun: pending.length, workers, where });

  const failed: { plan: PlannedRun; error: Error }[] = [];
  if (pending.length > 0) {
    const written = new Map<string, RunRecord>();
    const settled = new Set<string>();
    let finished = 0;
    const emit = (event: PoolEvent) => options.onEvent?.(event);
    await executor.execute(pending, {
      started: (plan, at) => emit({ type: 'started', plan, where: at }),
      async finished(plan, trained) {
        const first = written.get(plan.id);
        if (first !== undefined) {
          // At-least-once delivery: the same run trained twice. Same seed, same numbers; the
          // first file stays, and the run counts once.
          const same = isDeepStrictEqual(sameRunFields(first), sameRunFields(trained));
          emit(
            same
              ? { type: 'note', message: `${plan.id} was delivered again (it trained twice); the same result, counted once` }
              : { type: 'warning', message: `${plan.id} was delivered again with other numbers than the first time; the first result is kept` },
          );
          return;
        }
        if (settled.has(plan.id)) return;
        const run = options.command === undefined ? trained : { ...trained, command: options.command };
        const file = await writeFileAtomic(fileOf(plan), `${JSON.stringify(run, null, 2)}\n`);
        written.set(plan.id, run);
        settled.add(plan.id);
        done.push(run);
        emit({ type: 'finished', run, file, done: ++finished, toRun: pending.length });
      },
      failed(plan, error) {
        if (settled.has(plan.id)) return;
        settled.add(plan.id);
        failed.push({ plan, error });
        emit({ type: 'failed', plan, error, done: ++finished, toRun: pending.length });
      },
      note: (message) => emit({ type: 'note', message }),
      warning: (message) => emit({ type: 'warning', message }),
    });
  }
  // Keep the plans' order (settings, then methods, then seeds) in every table and file.
  const order = new Map(plans.map((plan, index) => [plan.id, index]));
  done.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { done, failed, skipped };
}

/** What two deliveries of one run must agree on: everything but the time it took and where. */
function sameRunFields(run: RunRecord): object {
  const { seconds: _seconds, backend: _backend, command: _command, history, ...rest } = run;
  return { ...rest, history: history.map(({ seconds: _epochSeconds, ...epoch }) => epoch) };
}
