/**
 * PyTorch's side of the training-speed benchmark: bench/torch/train_speed.py run as a child
 * process on the same rows, with its thread count set explicitly.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HeadName, ModelName, StepPlan } from './measureOurs.js';

const SCRIPT = fileURLToPath(new URL('../torch/train_speed.py', import.meta.url));

/** What train_speed.py prints (the fields this benchmark reads). */
export interface TorchMeasurement {
  threads: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  steps: number;
  trainSamplesPerSec: number;
  inferenceSamplesPerSec: number;
  peakRssMiB: number;
  parameters: number;
  torchVersion: string;
}

/** Runs the PyTorch reference once; returns its measurement or why there is none. */
export function measureTorch(
  python: string,
  model: ModelName,
  head: HeadName,
  threads: number,
  dataFile: string,
  plan: StepPlan,
): TorchMeasurement | { error: string } {
  const args = [
    SCRIPT,
    ['--model', model],
    ['--head', head],
    ['--threads', String(threads)],
    ['--steps', String(plan.steps)],
    ['--warmup', String(plan.warmup)],
    ['--batch', String(plan.batch)],
    ['--inference-steps', String(plan.inferenceSteps)],
    ['--data', dataFile],
  ].flat();
  // One BLAS thread: OpenBLAS threads on top of torch's own stall for ~100 ms at 2 threads.
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const run = spawnSync(python, args, { env, encoding: 'utf8', maxBuffer: 16 * 2 ** 20, timeout: 10 * 60 * 1000 });
  if (run.error !== undefined) return { error: `${python} could not run: ${run.error.message}` };
  if (run.status !== 0) return { error: `train_speed.py failed: ${run.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${run.status}`}` };
  try {
    return JSON.parse(run.stdout) as TorchMeasurement;
  } catch {
    return { error: `train_speed.py printed no JSON: ${run.stdout.slice(0, 200)}` };
  }
}
