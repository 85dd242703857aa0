/**
 * Worker-thread entry of data-parallel training: builds the model from the recipe, takes the
 * main thread's initial weights and training rows (shared memory, not copies), and trains as
 * one replica of the group until the main thread's replica ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { trainReplica, type TrainerOptions } from 'affinity-loss/internal/train/trainer.js';
import { useNodeBackend, type NodeBackendName } from '../backend/backend.js';
import { openDiskRows, type DiskRowsHandle } from '../data/imageCache.js';
import { buildFromRecipe, joinGroup, type ReplicaRecipe } from './replica.js';
import { SharedMemoryGroup, type GroupMemory } from './sharedMemoryGroup.js';

/** What the main thread hands each worker. */
export interface ReplicaWorkerData {
  replica: number;
  memory: GroupMemory;
  backend: NodeBackendName;
  recipe: ReplicaRecipe;
  /** The main model's weights in `getWeights()` order. */
  weights: { values: Float32Array; shape: number[] }[];
  /** The training rows, in shared buffers. */
  /** The training rows: shared memory, or the cache on disk they stream from. */
  features: SharedArrayBuffer | DiskRowsHandle;
  labels: SharedArrayBuffer;
  /** The trainer's options without functions, validation or early stopping. */
  options: Omit<TrainerOptions, 'loss' | 'callbacks' | 'validation' | 'earlyStoppingPatience'>;
}

/** What a worker posts: 'ready' once built (then it trains), and how it ended. */
export type ReplicaWorkerMessage =
  | { type: 'ready' }
  | { type: 'done' }
  | { type: 'failed'; name: string; message: string; stack?: string; /** Set when the thread ended (see replicaSupervisor.ts). */ exitCode?: number };

async function run(data: ReplicaWorkerData, post: (message: ReplicaWorkerMessage) => void): Promise<ReplicaWorkerMessage> {
  const group = new SharedMemoryGroup(data.memory, data.replica);
  try {
    await useNodeBackend({ prefer: data.backend, quiet: true });
    const built = await buildFromRecipe(data.recipe);
    const ownWeights = built.model.getWeights();
    const shapesDiffer =
      ownWeights.length !== data.weights.length || ownWeights.some((weight, i) => weight.shape.join() !== data.weights[i].shape.join());
    if (shapesDiffer) {
      throw new AffinityConfigError(`the recipe '${data.recipe.exportName}' builds a model whose weights differ in number or shape from the model being trained`);
    }
    const weights = data.weights.map(({ values, shape }) => tf.tensor(values, shape));
    built.model.setWeights(weights);
    tf.dispose(weights);
    const features = data.features instanceof SharedArrayBuffer ? new Float32Array(data.features) : openDiskRows(data.features);
    const labels = new Int32Array(data.labels);
    joinGroup(built.model, group);
    post({ type: 'ready' });
    await trainReplica(built.model, { features, labels, count: labels.length }, { ...data.options, loss: built.loss, callbacks: built.callbacks }, group);
    built.model.dispose();
    return { type: 'done' };
  } catch (error) {
    // Wake the other replicas (they would wait for this one forever), then report.
    group.abort();
    const failure = error instanceof Error ? error : new Error(String(error));
    return { type: 'failed', name: failure.name, message: failure.message, stack: failure.stack };
  }
}

if (parentPort !== null) {
  const port = parentPort;
  const post = (message: ReplicaWorkerMessage) => port.postMessage(message);
  void run(workerData as ReplicaWorkerData, post).then(post);
}
