/**
 * affinity-loss-node: affinity-loss in Node. The fastest backend per model (`useNodeBackend`:
 * tfjs-node for convolutions, wasm made to train by tfjs-wasm-training for dense models),
 * file:// model saving, dataset readers (IDX, CSV, CIFAR-10, folders of images, streamed from a
 * decoded-image cache when large) and the named-dataset registry, and data-parallel training of
 * one model on every core. Loads no plotting, CLI or job-queue code.
 *
 * The entry lists its names one by one, and each is in the README (a test holds the two
 * together): per-format parsers, file lookup, the image cache's row store, whole-or-nothing file writes, worker counts and the
 * replicas' shared memory stay behind `affinity-loss-node/internal/*`, for the app only.
 */
import { registerFileSystemRouter } from './io/fileHandler.js';

// The backend: the fastest one installed for a workload, and the wasm training fixes.
export {
  useNodeBackend,
  preferredBackend,
  type NodeBackendName,
  type NodeBackendOptions,
  type NodeBackendInfo,
  type NodeWorkload,
} from './backend/backend.js';
export { installGradientFixes, removeGradientFixes, gradientFixesInstalled } from 'tfjs-wasm-training';

// Files: the file:// model handler (registered below).
export { fileSystemHandler } from './io/fileHandler.js';

// Datasets: readers of the common formats, and the named datasets with their recipes.
export { readIdxImages, readIdxLabels, type IdxImages } from './data/idx.js';
export { readCsv, type CsvOptions, type CsvTable } from './data/csv.js';
export { readCifar10 } from './data/cifar.js';
export { readImageFolder, type ImageFolderOptions } from './data/imageFolder.js';
export { loadDataset, loadPreparedDataset, type DatasetName, type LoadDatasetOptions } from './data/registry.js';

// Data-parallel training: one model on several cores.
export { trainDataParallel, ReplicaFailedError, type DataParallelOptions } from './parallel/trainDataParallel.js';
export { classifierRecipe, type ReplicaRecipe, type ReplicaModel } from './parallel/replica.js';
export { defaultWorkers } from './parallel/workerCount.js';

// Importing the Node entry makes model.save('file://...') work, as tfjs-node does.
registerFileSystemRouter();
