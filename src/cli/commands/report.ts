/** The `affinity report` command (being written). */
import { Command } from 'commander';

/** `affinity report`. */
export function reportCommand(): Command {
  return new Command('report').description('(not yet)');
}
