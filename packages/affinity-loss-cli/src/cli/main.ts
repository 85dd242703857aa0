#!/usr/bin/env node
/** The `affinity` executable; the commands live in program.ts. */
import { main } from './program.js';

// `affinity train --help | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main();
