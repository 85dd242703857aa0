/**
 * Worker-thread entry of the bench's pool: each worker starts its own backend (wasm, one
 * core) once and then trains the runs it is handed, one at a time.
 */
import { AffinityLossError } from 'affinity-loss/internal/errors.js';
import { useNodeBackend, type NodeBackendInfo } from 'affinity-loss-node/internal/backend/backend.js';
import { executeRun, type PlannedRun } from './run.js';
import type { RunRecord } from './results.js';

let backend: Promise<NodeBackendInfo> | undefined;

/** Piscina calls the default export with each task. */
export default async function runInWorker(plan: PlannedRun): Promise<RunRecord> {
  // A backend that failed to start is tried again by the next run, not remembered as failed.
  backend ??= useNodeBackend({ prefer: 'wasm', quiet: true }).catch((error: unknown) => {
    backend = undefined;
    throw error;
  });
  return executeRun(plan, (await backend).backend);
}

/** A run's result, or why it failed, as it crosses back from the thread (see `runOutcome`). */
export type RunOutcome =
  | { ok: true; record: RunRecord }
  | {
      ok: false;
      /** The error's class name (`DatasetNotFoundError`). */
      name: string;
      message: string;
      /**
       * True for the library's own errors (a bad config, a missing or malformed dataset, a
       * diverging run): the same run fails the same way again, so retrying cannot help.
       */
      deterministic: boolean;
    };

/**
 * Trains a run and reports a failure as data. An error crossing a thread boundary keeps its
 * message but loses its class, so whether a retry could help is decided here, where it is known.
 */
export async function runOutcome(plan: PlannedRun): Promise<RunOutcome> {
  try {
    return { ok: true, record: await runInWorker(plan) };
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    return { ok: false, name: failure.name, message: failure.message, deterministic: failure instanceof AffinityLossError };
  }
}
