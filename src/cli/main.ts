#!/usr/bin/env node
/** The `affinity` executable; the commands live in program.ts. */
import { main } from './program.js';

process.exitCode = await main();
