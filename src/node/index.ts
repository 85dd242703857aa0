/**
 * affinity-loss/node: Node-only code. The fast training backend (wasm with gradient fixes),
 * file:// model saving, dataset readers and the named-dataset registry, experiments from a
 * config, the bench protocols and their worker-pool runner (or a Redis job queue across
 * machines), and the report writers. Never imported by the browser entry.
 */
import { registerFileSystemRouter } from './io/index.js';

export * from './backend/index.js';
export * from './io/index.js';
export * from './data/index.js';
export * from './bench/index.js';
export * from './report/index.js';
export * from './tune/index.js';
export * from './parallel/index.js';
export * from './queue/index.js';

// Importing the Node entry makes model.save('file://...') work, as tfjs-node does.
registerFileSystemRouter();
