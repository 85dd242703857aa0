/**
 * Our side of the training-speed benchmark: the library's own trainer (`trainDataParallel`, the
 * path `affinity train` takes) on a model from `buildClassifier`, timed step by step.
 */
import * as tf from '@tensorflow/tfjs';
import { buildClassifier, type ClassifierOptions, type Split, type TrainingCallback } from 'affinity-loss';
import { classifierRecipe, trainDataParallel } from 'affinity-loss-node';
import { CLASSES } from './syntheticData.js';
import { samplesPerSecond, summarizeTimes, type TimeSummary } from './stepTimes.js';

/** The models compared (backbone names of the library). */
export type ModelName = 'mlp' | 'cnn' | 'cnn3';
/** The heads compared. */
export type HeadName = 'softmax' | 'affinity';

/** The affinity head's settings on both sides: sigma = d + 2 (the library's default), margin 0.3, m = 1, diversity weight 1. */
export const FEATURE_WIDTH = 128;
export const SIGMA = FEATURE_WIDTH + 2;
export const MARGIN = 0.3;

/** How many steps to take and time. */
export interface StepPlan {
  batch: number;
  warmup: number;
  steps: number;
  inferenceSteps: number;
}

/** One measurement of our trainer. */
export interface OursMeasurement extends TimeSummary {
  workers: number;
  trainSamplesPerSec: number;
  inferenceSamplesPerSec: number;
  parameters: number;
}

function settingsOf(model: ModelName, head: HeadName): ClassifierOptions {
  return {
    method: head,
    backbone: model,
    inputShape: model === 'mlp' ? [784] : [28, 28, 1],
    classes: CLASSES,
    classCounts: new Array<number>(CLASSES).fill(1),
    featureWidth: FEATURE_WIDTH,
    epochs: 1,
    seed: 1,
    ...(head === 'affinity' ? { sigma: SIGMA, margin: MARGIN, diversityWeight: 1 } : {}),
  };
}

/**
 * Trains one epoch of `warmup + steps` batches of `data` with `workers` threads and times each
 * step (from one step's end to the next, so the data batching, the gradient sums across threads
 * and the reads of loss and predictions count); then times inference on batches of the same size.
 */
export async function measureOurs(model: ModelName, head: HeadName, workers: number, data: Split, plan: StepPlan): Promise<OursMeasurement> {
  const settings = settingsOf(model, head);
  const classifier = buildClassifier(settings);
  try {
    const times: number[] = [];
    let last = 0;
    const timer: TrainingCallback = {
      epochStart: () => {
        last = performance.now();
      },
      stepEnd: () => {
        const now = performance.now();
        times.push(now - last);
        last = now;
      },
    };
    const result = await trainDataParallel(classifier.model, data, {
      classes: CLASSES,
      featureShape: settings.inputShape,
      loss: classifier.loss,
      epochs: 1,
      batchSize: plan.batch,
      seed: 1,
      workers,
      recipe: classifierRecipe(settings),
      callbacks: [...classifier.callbacks, timer],
    });
    tf.dispose(result.bestWeights);
    const summary = summarizeTimes(times.slice(plan.warmup));
    return {
      ...summary,
      workers,
      trainSamplesPerSec: samplesPerSecond(plan.batch, summary.medianMs),
      inferenceSamplesPerSec: measureInference(classifier.model, settings.inputShape, plan),
      // Trainable ones, as PyTorch counts them (BatchNorm's moving statistics are buffers there).
      parameters: classifier.model.trainableWeights.reduce((sum, weight) => sum + weight.read().size, 0),
    };
  } finally {
    classifier.dispose();
  }
}

/** Samples per second of `model.predict` on batches of `plan.batch`, read back each time. */
function measureInference(model: tf.LayersModel, inputShape: number[], plan: StepPlan): number {
  const batch = tf.randomUniform([plan.batch, ...inputShape], 0, 1, 'float32', 2);
  const predict = () => {
    const scores = model.predict(batch) as tf.Tensor;
    scores.dataSync();
    scores.dispose();
  };
  try {
    for (let i = 0; i < 3; i++) predict();
    const times: number[] = [];
    for (let i = 0; i < plan.inferenceSteps; i++) {
      const start = performance.now();
      predict();
      times.push(performance.now() - start);
    }
    return samplesPerSecond(plan.batch, summarizeTimes(times).medianMs);
  } finally {
    batch.dispose();
  }
}
