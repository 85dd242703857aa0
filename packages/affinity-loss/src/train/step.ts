/**
 * One optimizer step of the training loop: the loss of a batch (every output's loss plus the
 * layers' regularizers), its gradient, weight decay, and the update. In a data-parallel group
 * this replica computes its shard of the rows and the group sums the shards' gradients, losses
 * and counts before the (identical) update on every replica.
 */
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../data/dataset.js';
import type { Features } from '../data/rowStore.js';
import type { LossFunction } from '../losses/shared.js';
import { inputBatch, oneHotBatch } from './batches.js';
import { reduceStep, shardOf, type DataParallelGroup } from './dataParallel.js';

/** What a step needs besides its rows; fixed for a whole training run. */
export interface TrainingStepSetup {
  /** The model trained. */
  model: tf.LayersModel;
  /** Its optimizer. */
  optimizer: tf.Optimizer;
  /** One loss for every output, or one per output. */
  lossFunctions: LossFunction[];
  /** Which output holds the class scores. */
  scoreOutput: number;
  /** Shape of one sample. */
  featureShape: number[];
  /** Number of classes. */
  classes: number;
  /** L2 weight decay on the weights of rank >= 2 (0: none). */
  weightDecay: number;
  /** The replica group, when training data-parallel. */
  dataParallel?: DataParallelGroup;
}

/** What one step gives back. */
export interface StepOutcome {
  /** The batch's loss (the whole batch's, in a data-parallel group). */
  loss: number;
  /** Rows of the batch classified correctly before the update. */
  correct: number;
}

/** Trains a model one batch at a time. */
export class TrainingStep {
  private readonly variables: tf.Variable[];
  /** Names of the variables weight decay applies to: kernels, prototypes, centres; not biases or BatchNorm's. */
  private readonly decayed: Set<string>;

  constructor(private readonly setup: TrainingStepSetup) {
    this.variables = setup.model.trainableWeights.map((weight) => weight.read() as tf.Variable);
    this.decayed = new Set(this.variables.filter((variable) => variable.rank >= 2).map((variable) => variable.name));
  }

  /** One optimizer step on `rows` of `train`. */
  run(train: Split<Features>, rows: Int32Array): StepOutcome {
    const { model, optimizer, lossFunctions, scoreOutput, featureShape, classes, weightDecay, dataParallel: group } = this.setup;
    return tf.tidy(() => {
      const shard = group === undefined ? rows : shardOf(rows, group.replica, group.replicas);
      const x = inputBatch(train, shard, featureShape);
      const y = oneHotBatch(train.labels, shard, classes);
      let scores: tf.Tensor | null = null;
      const { value, grads: shardGrads } = tf.variableGrads(() => {
        const outputs = asList(model.apply(x, { training: true }) as tf.Tensor | tf.Tensor[]);
        scores = tf.keep(outputs[scoreOutput]);
        const terms = outputs.map((output, k) => (lossFunctions.length === 1 ? lossFunctions[0] : lossFunctions[k])(y, output));
        return tf.addN([...terms, ...regularizationLosses(model)]) as tf.Scalar;
      }, this.variables);
      const predicted = tf.argMax(scores!, 1).dataSync();
      tf.dispose(scores!);
      let correct = 0;
      for (let i = 0; i < shard.length; i++) if (predicted[i] === train.labels[shard[i]]) correct++;
      let share = { grads: shardGrads, loss: value.dataSync()[0], correct };
      if (group !== undefined) share = reduceStep(group, this.variables, share, shard.length / rows.length);
      const grads = share.grads;
      if (weightDecay > 0) {
        for (const variable of this.variables) {
          if (this.decayed.has(variable.name)) grads[variable.name] = tf.add(grads[variable.name], tf.mul(variable, weightDecay));
        }
      }
      optimizer.applyGradients(grads);
      return { loss: share.loss, correct: share.correct };
    });
  }
}

/** The regularization terms the model's layers registered (tfjs adds these inside `fit`). */
function regularizationLosses(model: tf.LayersModel): tf.Scalar[] {
  // A Sequential keeps its graph in an inner functional model; its layers' losses live there.
  const inner = (model as unknown as { model?: tf.LayersModel }).model;
  return (inner instanceof tf.LayersModel ? inner : model).calculateLosses();
}

function asList(output: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(output) ? output : [output];
}
