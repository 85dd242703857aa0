/**
 * `trainDataParallel`: one training run on several cores. The main thread and `workers - 1`
 * worker threads each hold a copy of the model and compute the gradient of their share of every
 * batch; the shares are added in shared memory, and every copy applies the same update. So the
 * weights follow single-thread training up to float rounding (BatchNorm uses the whole batch's
 * statistics, see syncBatchNorm.ts), while a step costs about 1/workers of the compute.
 *
 * Known difference: a loss that divides by a batch-dependent total (LDAM-DRW's weighted mean)
 * is averaged shard by shard, which is close to, but not exactly, the whole batch's value.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { Split } from 'affinity-loss/internal/data/dataset.js';
import { isRowStore, type Features } from 'affinity-loss/internal/data/rowStore.js';
import { AffinityConfigError, AffinityLossError } from 'affinity-loss/internal/errors.js';
import { checkShardable } from 'affinity-loss/internal/train/dataParallel.js';
import { DEFAULT_BATCH_SIZE, trainModel, trainReplica, type TrainerOptions, type TrainResult } from 'affinity-loss/internal/train/trainer.js';
import { requireInteger } from 'affinity-loss/internal/validate.js';
import type { NodeBackendName } from '../backend/backend.js';
import { diskRowsHandle, type DiskRowsHandle } from '../data/imageCache.js';
import { siblingModule } from '../io/siblingModule.js';
import { joinGroup, type ReplicaRecipe } from './replica.js';
import { workerBootstrap } from './bootstrap.js';
import type { ReplicaSupervisorData, ReplicaSupervisorMessage } from './replicaSupervisor.js';
import type { ReplicaWorkerData, ReplicaWorkerMessage } from './replicaWorker.js';
import { allocateGroupMemory, ReplicaAbortedError, SharedMemoryGroup } from './sharedMemoryGroup.js';
import { defaultWorkers, requireWorkerCount } from './workerCount.js';

/** Options of `trainDataParallel`: the trainer's, plus how many threads and how they build the model. */
export interface DataParallelOptions extends TrainerOptions {
  /**
   * Threads that train together, this one included: 1 to the machine's cores. Default: the
   * machine's cores (`os.availableParallelism()`). With 1 this is `trainModel`.
   */
  workers?: number;
  /**
   * How each worker thread builds its own copy of the model and loss; needed when workers > 1
   * (`classifierRecipe(options)` for a model from `buildClassifier`).
   */
  recipe?: ReplicaRecipe;
}

/**
 * Thrown when a worker thread of a data-parallel run fails: names the replica, its error, and
 * its exit code when the thread ended (an uncaught error, `process.exit`, out of memory).
 */
export class ReplicaFailedError extends AffinityLossError {
  constructor(
    readonly replica: number,
    readonly causeName: string,
    causeMessage: string,
    readonly exitCode?: number,
  ) {
    super(`data-parallel worker ${replica} failed: ${causeName}: ${causeMessage}${exitCode === undefined ? '' : ` (exit code ${exitCode})`}`);
  }
}

/** The supervisor's file next to this one. */
const SUPERVISOR_FILE = siblingModule('./replicaSupervisor', import.meta.url);

/** A copy of `values` in shared memory, or the same memory if it is shared already. */
function shared(values: Float32Array | Int32Array): SharedArrayBuffer {
  if (values.buffer instanceof SharedArrayBuffer && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength) {
    return values.buffer;
  }
  const buffer = new SharedArrayBuffer(values.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return buffer;
}

/** A worker replica as the main thread sees it: when it is ready to train, and how it ended. */
interface StartedReplica {
  /** Resolves with 'ready', or with the failure if it ends before. */
  ready: Promise<ReplicaWorkerMessage>;
  outcome: Promise<ReplicaWorkerMessage>;
}

/** A promise with its resolve function beside it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

/**
 * Starts the worker replicas under a supervisor thread (replicaSupervisor.ts says why);
 * terminating the supervisor ends its workers too.
 */
function startReplicas(replicas: ReplicaWorkerData[]): { started: StartedReplica[]; supervisor: Worker } {
  const data: ReplicaSupervisorData = { replicas };
  const supervisor = new Worker(workerBootstrap(SUPERVISOR_FILE), { eval: true, workerData: data });
  const ready = replicas.map(() => deferred<ReplicaWorkerMessage>());
  const outcome = replicas.map(() => deferred<ReplicaWorkerMessage>());
  supervisor.on('message', ({ replica, message }: ReplicaSupervisorMessage) => {
    ready[replica - 1].resolve(message);
    if (message.type !== 'ready') outcome[replica - 1].resolve(message);
  });
  // If the supervisor itself ends (it should not before it is terminated), so does every replica.
  let failure: ReplicaWorkerMessage | undefined;
  supervisor.on('error', (error) => (failure = { type: 'failed', name: error.name, message: `the supervisor thread failed: ${error.message}` }));
  supervisor.on('exit', (exitCode) => {
    const ended = failure ?? { type: 'failed', name: 'Error', message: `the supervisor thread exited with code ${exitCode}`, exitCode };
    for (const { resolve } of [...ready, ...outcome]) resolve(ended);
  });
  return { started: replicas.map((_, i) => ({ ready: ready[i].promise, outcome: outcome[i].promise })), supervisor };
}

/** The first real failure among the workers' outcomes (not a worker stopped by another's failure). */
function firstFailure(outcomes: readonly ReplicaWorkerMessage[]): ReplicaFailedError | undefined {
  const index = outcomes.findIndex((outcome) => outcome.type === 'failed' && outcome.name !== ReplicaAbortedError.name);
  const failure = outcomes[index];
  return failure?.type === 'failed' ? new ReplicaFailedError(index + 1, failure.name, failure.message, failure.exitCode) : undefined;
}

/**
 * Trains `model` on `train` with `workers` threads (see the file comment). Same result shape as
 * `trainModel`; the model holds the last epoch's weights, and validation, early stopping and the
 * callbacks run in this thread only (the recipe's own callbacks run in every worker).
 *
 * @throws ReplicaFailedError when a worker thread fails (its recipe, its backend, its step) or
 *   ends (`process.exit`, out of memory), within a fraction of a second of it.
 * @throws AffinityConfigError for workers > 1 without a recipe, more workers than cores, or a
 *   batch too small to share.
 *
 * @example
 * const classifier = buildClassifier(settings);
 * await trainDataParallel(classifier.model, train, {
 *   classes: 10, featureShape: [784], loss: classifier.loss, epochs: 5, seed: 1,
 *   workers: 2, recipe: classifierRecipe(settings),
 * });
 */
export async function trainDataParallel(model: tf.LayersModel, train: Split<Features>, options: DataParallelOptions): Promise<TrainResult> {
  const { workers: asked, recipe, ...trainerOptions } = options;
  const workers = requireWorkerCount(asked ?? defaultWorkers());
  if (workers === 1) return trainModel(model, train, trainerOptions);
  if (recipe === undefined) {
    throw new AffinityConfigError('trainDataParallel with workers > 1 needs a recipe: how each worker thread builds the model and loss');
  }
  checkShardable(train.labels.length, requireInteger('batchSize', trainerOptions.batchSize ?? DEFAULT_BATCH_SIZE, 1), workers);
  const variables = model.trainableWeights.map((weight) => weight.read());
  const capacity = variables.reduce((sum, variable) => sum + variable.size, 0) + 2;
  const memory = allocateGroupMemory(workers, capacity);
  const { loss: _loss, callbacks: _callbacks, validation: _validation, earlyStoppingPatience: _patience, ...workerOptions } = trainerOptions;
  const weights = model.getWeights().map((weight) => ({ values: weight.dataSync() as Float32Array, shape: weight.shape }));
  // Streamed rows are opened again in each worker from their cache on disk; others are shared.
  let features: SharedArrayBuffer | DiskRowsHandle;
  if (isRowStore(train.features)) {
    const handle = diskRowsHandle(train.features);
    if (handle === undefined) throw new AffinityConfigError('trainDataParallel with workers > 1 takes features in memory or streamed from a decoded-image cache, not another row store');
    features = handle;
  } else {
    features = shared(train.features);
  }
  const labels = shared(train.labels);
  const { started, supervisor } = startReplicas(
    Array.from({ length: workers - 1 }, (_, i) => ({
      replica: i + 1,
      memory,
      backend: tf.getBackend() as NodeBackendName,
      recipe,
      weights,
      features,
      labels,
      options: workerOptions,
    })),
  );
  const group = new SharedMemoryGroup(memory, 0);
  let leaveGroup = () => undefined as void;
  try {
    // This thread blocks while it waits for the others in a step, so it could not hear of a
    // worker that dies before it trains (a module that fails to load): wait until all are built.
    const readiness = await Promise.all(started.map(({ ready }) => ready));
    if (readiness.some((message) => message.type !== 'ready')) throw new ReplicaAbortedError();
    leaveGroup = joinGroup(model, group);
    const result = await trainReplica(model, train, trainerOptions, group);
    const failure = firstFailure(await Promise.all(started.map(({ outcome }) => outcome)));
    if (failure !== undefined) {
      tf.dispose(result.bestWeights);
      throw failure;
    }
    return result;
  } catch (error) {
    group.abort();
    // A thread woken by a worker's failure reports that failure, not its own wake-up.
    const failure = error instanceof ReplicaAbortedError ? firstFailure(await Promise.all(started.map(({ outcome }) => outcome))) : undefined;
    throw failure ?? error;
  } finally {
    leaveGroup();
    await supervisor.terminate();
  }
}
