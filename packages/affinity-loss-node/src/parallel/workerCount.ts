/**
 * How many threads a run may use: one per core by default, never more than the cores. More
 * threads than cores only share the same cores (each with its own model copy and tfjs backend),
 * so `--workers 1000` would start hundreds of threads and slow a one-second job past minutes.
 */
import { availableParallelism } from 'node:os';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { requireInteger } from 'affinity-loss/internal/validate.js';

/** The number of workers to use when none is given: one per core (`os.availableParallelism()`). */
export function defaultWorkers(): number {
  return availableParallelism();
}

/**
 * Checks a worker count: an integer from 1 to the machine's cores.
 *
 * @throws AffinityConfigError naming the count and the cores.
 */
export function requireWorkerCount(value: unknown, name = 'workers'): number {
  const workers = requireInteger(name, value, 1);
  const cores = availableParallelism();
  if (workers > cores) {
    throw new AffinityConfigError(`${name} ${workers} is more than this machine's ${cores} cores: more threads would only share them; use at most ${cores}`);
  }
  return workers;
}
