/**
 * affinity-loss/node: Node-only code. The fast training backend (wasm with gradient fixes),
 * file:// model saving, dataset readers and the named-dataset registry. Never imported by
 * the browser entry.
 */
import { registerFileSystemRouter } from './io/index.js';

export * from './backend/index.js';
export * from './io/index.js';
export * from './data/index.js';

// Importing the Node entry makes model.save('file://...') work, as tfjs-node does.
registerFileSystemRouter();
