/**
 * What makes a model one replica of a data-parallel group, in the main thread and in the worker
 * threads alike: BatchNorm on the whole batch's statistics, and sigma 'auto' calibrated on the
 * whole first batch.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { GaussianAffinity, SHARE_CALIBRATION } from 'affinity-loss/internal/affinity/layer.js';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import type { ClassifierOptions } from 'affinity-loss/internal/models/build.js';
import type { LossFunction } from 'affinity-loss/internal/losses/shared.js';
import { sumOverReplicas, type DataParallelGroup } from 'affinity-loss/internal/train/dataParallel.js';
import type { TrainingCallback } from 'affinity-loss/internal/train/trainer.js';
import { shareBatchNormStatistics } from './syncBatchNorm.js';

/**
 * How a worker thread builds its own copy of the model and loss (functions cannot be sent to a
 * thread): an ES module, the name of a function it exports, and the argument to call it with
 * (structured-clonable). `buildClassifier` is such a function; `classifierRecipe` names it.
 */
export interface ReplicaRecipe {
  /** URL (file:) or absolute path of the module. */
  module: string;
  /** The exported function; it may be async. */
  exportName: string;
  /** Its one argument. */
  args: unknown;
}

/** What a recipe's function returns (a `Classifier` from `buildClassifier` has this shape). */
export interface ReplicaModel {
  /** The model; its initial weights are replaced by the main thread's. */
  model: tf.LayersModel;
  /** The loss, as `trainModel` takes it. */
  loss: LossFunction | LossFunction[];
  /** Hooks the method needs during training (DRW's schedule); run in every replica. */
  callbacks?: TrainingCallback[];
}

/**
 * The module of buildClassifier, in the library package: its sources under tsx, its build once
 * published. Resolved with require's resolver, which also works where tsx runs this file as CommonJS
 * (the bench's worker threads), unlike import.meta.resolve.
 */
const BUILD_MODULE = createRequire(import.meta.url).resolve('affinity-loss/internal/models/build.js');

/** The recipe of a model from `buildClassifier(options)` (what experiments train). */
export function classifierRecipe(options: ClassifierOptions): ReplicaRecipe {
  return { module: BUILD_MODULE, exportName: 'buildClassifier', args: options };
}

/**
 * Builds a replica's model from its recipe.
 *
 * @throws AffinityConfigError when the module lacks the function or it returns no model and loss.
 */
export async function buildFromRecipe(recipe: ReplicaRecipe): Promise<ReplicaModel> {
  const url = recipe.module.startsWith('file:') ? recipe.module : pathToFileURL(recipe.module).href;
  const exported = ((await import(url)) as Record<string, unknown>)[recipe.exportName];
  if (typeof exported !== 'function') {
    throw new AffinityConfigError(`recipe: ${recipe.module} exports no function '${recipe.exportName}'`);
  }
  const built = (await exported(recipe.args)) as Partial<ReplicaModel> | null;
  if (!(built?.model instanceof tf.LayersModel) || built.loss === undefined) {
    throw new AffinityConfigError(`recipe: ${recipe.exportName}() must return { model, loss, callbacks? }`);
  }
  return { model: built.model, loss: built.loss, callbacks: built.callbacks ?? [] };
}

/** Every layer of a model, nested models' layers included. */
function allLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.flatMap((layer) => ('layers' in layer ? allLayers(layer as tf.LayersModel) : [layer]));
}

/**
 * Prepares `model` to train as one replica of `group`; returns a function that undoes it.
 *
 * @throws AffinityConfigError for a BatchNorm layer that cannot share its statistics.
 */
export function joinGroup(model: tf.LayersModel, group: DataParallelGroup): () => void {
  const layers = allLayers(model);
  const restoreBatchNorm = shareBatchNormStatistics(layers, group);
  const heads = layers.filter((layer): layer is GaussianAffinity => layer instanceof GaussianAffinity);
  for (const head of heads) {
    // The whole batch's mean: the replicas' shard means weighted by their rows.
    head[SHARE_CALIBRATION] = (mean, rows) => {
      const [weighted, total] = sumOverReplicas(group, [mean * rows, rows]);
      return weighted / total;
    };
  }
  return () => {
    restoreBatchNorm();
    for (const head of heads) head[SHARE_CALIBRATION] = undefined;
  };
}
