/** The `affinity train` command (being written). */
import { Command } from 'commander';

/** `affinity train`. */
export function trainCommand(): Command {
  return new Command('train').description('(not yet)');
}
