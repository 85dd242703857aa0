/** The `affinity eval` command (being written). */
import { Command } from 'commander';

/** `affinity eval`. */
export function evalCommand(): Command {
  return new Command('eval').description('(not yet)');
}
