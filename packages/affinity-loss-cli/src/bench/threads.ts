/**
 * The worker threads that train planned runs, one run at a time each (each thread has its own
 * single-threaded wasm backend): what a local bench trains with, and what `affinity worker`
 * trains the jobs it takes from a queue with.
 */
import { Piscina } from 'piscina';
import { siblingModule } from 'affinity-loss-node/internal/io/siblingModule.js';
import type { RunRecord } from './results.js';
import type { PlannedRun } from './run.js';
import type { RunOutcome } from './worker.js';

/** The worker file next to this one. */
const WORKER_FILE = siblingModule('./worker', import.meta.url);

/** A pool of training threads. */
export interface RunThreads {
  /** Trains a run; rejects with the run's error (its message; the class is lost crossing threads). */
  run(plan: PlannedRun): Promise<RunRecord>;
  /**
   * Trains a run and tells a failure apart from a crash of the thread: resolves with the
   * outcome (see `RunOutcome`), rejects only when the thread itself died or was stopped.
   *
   * @param signal aborting it stops the run's thread (a new one takes its place).
   */
  outcome(plan: PlannedRun, signal?: AbortSignal): Promise<RunOutcome>;
  /** Stops every thread; runs in flight reject. Calling it again waits for the first call. */
  destroy(): Promise<void>;
}

/**
 * Starts `threads` training threads.
 *
 * @param onError told of an error of the pool itself (not of a run), which would otherwise end the process.
 */
export function startRunThreads(threads: number, onError: (error: Error) => void = () => {}): RunThreads {
  const pool = new Piscina<PlannedRun, RunRecord | RunOutcome>({ filename: WORKER_FILE, minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  // A run aborted just as it finished makes the pool report the late answer as an error event.
  pool.on('error', onError);
  let destroyed: Promise<void> | undefined;
  return {
    run: (plan) => pool.run(plan) as Promise<RunRecord>,
    outcome: (plan, signal) => pool.run(plan, { name: 'runOutcome', ...(signal ? { signal } : {}) }) as Promise<RunOutcome>,
    destroy: () => (destroyed ??= pool.destroy()),
  };
}
