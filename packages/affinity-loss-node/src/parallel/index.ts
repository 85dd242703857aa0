// Data-parallel training of one model on several cores (worker threads + shared memory).
export { trainDataParallel, ReplicaFailedError, type DataParallelOptions } from './trainDataParallel.js';
export { defaultWorkers, requireWorkerCount } from './workerCount.js';
export { classifierRecipe, buildFromRecipe, type ReplicaRecipe, type ReplicaModel } from './replica.js';
export { SharedMemoryGroup, allocateGroupMemory, ReplicaAbortedError, type GroupMemory } from './sharedMemoryGroup.js';
