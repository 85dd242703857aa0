/**
 * affinity-loss-cli: the experiment application behind the `affinity` command, as a library:
 * experiments from a plain config, the paper's benchmark protocols and their resumable runner
 * (a worker pool on this machine, or jobs on a Redis queue across machines), the
 * hyper-parameter search, and the report writers (tables, plots, HTML).
 */
import 'affinity-loss-node'; // the file:// model handler, for runs that save models

export * from './bench/index.js';
export * from './report/index.js';
export * from './tune/index.js';
export * from './queue/index.js';
