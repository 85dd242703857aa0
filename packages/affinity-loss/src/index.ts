/**
 * affinity-loss: the browser-safe entry. Everything here runs wherever TensorFlow.js runs;
 * Node-only code (fast backend, file readers, data-parallel training) lives in `affinity-loss-node`, the experiment runner in `affinity-loss-cli`.
 */
export * from './errors.js';
export * from './affinity/index.js';
export * from './losses/index.js';
export * from './metrics/index.js';
export * from './data/index.js';
export * from './train/index.js';
export * from './models/index.js';
export { checkLabels } from './labels.js';
