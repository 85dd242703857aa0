/** The `affinity bench` command (being written). */
import { Command } from 'commander';

/** `affinity bench`. */
export function benchCommand(): Command {
  return new Command('bench').description('(not yet)');
}
