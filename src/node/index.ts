/**
 * affinity-loss/node: Node-only code. The fast training backend (wasm with gradient fixes),
 * dataset readers and the named-dataset registry. Never imported by the browser entry.
 */
export * from './backend/index.js';
export * from './data/index.js';
