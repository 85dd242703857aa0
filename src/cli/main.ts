#!/usr/bin/env node
/**
 * The `affinity` command. This version has no subcommands yet (train, eval, bench and report
 * come in a later version); it answers --version and --help so the name is reserved and an
 * installed package says honestly what it can do.
 */
import { createRequire } from 'node:module';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
const args = process.argv.slice(2);

if (args.includes('--version') || args.includes('-V')) {
  console.log(version);
} else if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  console.log(`affinity ${version}\n\nNo commands yet in this version: use the library (see the README).`);
} else {
  console.error(`affinity: unknown command '${args[0]}'. This version has no commands yet; see --help.`);
  process.exitCode = 2;
}
