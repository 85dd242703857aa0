/**
 * affinity-loss-node: affinity-loss in Node. The fastest backend per model (`useNodeBackend`:
 * tfjs-node for convolutions, wasm made to train by tfjs-wasm-training for dense models),
 * file:// model saving, dataset readers (IDX, CSV, CIFAR-10, folders of images, streamed from a
 * decoded-image cache when large) and the named-dataset registry, and data-parallel training of
 * one model on every core. Loads no plotting, CLI or job-queue code.
 */
import { registerFileSystemRouter } from './io/index.js';

export * from './backend/index.js';
export * from './io/index.js';
export * from './data/index.js';
export * from './parallel/index.js';

// Importing the Node entry makes model.save('file://...') work, as tfjs-node does.
registerFileSystemRouter();
