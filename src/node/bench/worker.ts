/**
 * Worker-thread entry of the bench's pool: each worker starts its own backend (wasm, one
 * core) once and then trains the runs it is handed, one at a time.
 */
import { useNodeBackend, type NodeBackendInfo } from '../backend/index.js';
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
