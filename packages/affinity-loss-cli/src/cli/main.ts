#!/usr/bin/env node
/** The `affinity` executable; the commands live in program.ts. */
import { createRequire } from 'node:module';

// `affinity train --help | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Answered before the command tree loads tfjs, the datasets and the plotting stack (seconds).
  console.log((createRequire(import.meta.url)('../../package.json') as { version: string }).version);
} else {
  const { main } = await import('./program.js');
  process.exitCode = await main();
}
