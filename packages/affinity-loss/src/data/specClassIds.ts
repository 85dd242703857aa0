/**
 * The class-id check of the builders' specs (step minority classes, noise maps). It is the
 * range test of `checkClassIds` in validate.ts, but a bad id here is a wrong option, not a
 * malformed label, so it throws AffinityConfigError rather than LabelError.
 */
import { AffinityConfigError } from '../errors.js';

/**
 * Throws AffinityConfigError unless `id` is an integer class id in [0, classes).
 *
 * @param what names the option in the message (`'step minorityClasses'`).
 */
export function requireSpecClassId(what: string, id: unknown, classes: number): number {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= classes) {
    throw new AffinityConfigError(`${what}: ${String(id)} is not a class id of this dataset (0-${classes - 1})`);
  }
  return id;
}
