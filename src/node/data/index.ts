/**
 * Node-only dataset code: readers for IDX (raw and gzipped), CSV and CIFAR-10 binary files,
 * and the named-dataset registry (`loadDataset('mnist')`).
 */
export * from './idx.js';
export * from './csv.js';
export * from './cifar.js';
export * from './mnist.js';
export * from './sklearn.js';
export * from './registry.js';
